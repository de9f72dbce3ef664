from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.error_words import Said, said
from app.http.bodies import (
    Bool,
    Iso3,
    Locator,
    Number,
    QuantityIn,
    SlugText,
    WholeNumber,
    WriteIn,
    not_null,
)
from app.http.schemas import Cited, IsoDate, Schema
from app.models.enums import Qualifier, UnitKind
from app.rules import ends_after

MAX_SOURCES = 20  # citations named per totals line
MAX_STATED = 20  # stated totals shown with the totals


class OperationRef(Schema):
    id: int
    slug: str
    name_en: str
    name_ru: str


class StageRef(Schema):
    id: int
    number: int | None = Field(description="Only where a source states the stage's number.")


class CountryRef(Schema):
    iso3: str
    name_en: str
    name_ru: str


class SubstanceRef(Schema):
    slug: str
    name_en: str
    name_ru: str


class SeizureOut(Cited):
    """A seizure report. `years` lists every calendar year its period touches: a 2017-2019
    figure is the three years' together, never any one year's own."""

    id: int
    operation: OperationRef
    stage: StageRef | None
    country: CountryRef | None
    period_start: date
    period_end: date
    years: list[int]
    substance: SubstanceRef
    unit_kind: UnitKind
    amount: int
    unit: str
    quantity_grams: int | None
    quantity_kg: float | None
    qualifier: Qualifier
    cases: int | None
    as_reported: str
    parent_id: int | None
    outside_stage: bool
    scope: str | None = Field(
        description="The part of the country the figure covers (a region), where not all."
    )
    alternative_to: int | None = Field(
        description="Set on another source's version of a figure: the id of the report whose "
        "figure the totals use instead (the rule on /methods picks it). Never added to totals."
    )
    within: int | None = Field(
        description="Set on a figure that a broader one includes without itemizing it (a "
        "stage's figure within its year's summary): the broader report's id. Totals count "
        "the broader figure where it matches the question and this one only where it does "
        "not (a stage's own totals, a year the summary reaches beyond), never both; see "
        "/methods. Every part of a breakdown is within what its top report is within."
    )
    within_window: bool | None = Field(
        description="With a window (`year`, `from`, `to`): whether the report's period lies "
        "inside it. A report reaching outside is never the window's own figure; totals put "
        "it in `beyond_window`. Null without a window."
    )
    counted_amount: int | None = Field(
        description="What the report adds to the totals of the same filters, in `unit`: its "
        "amount less its breakdown rows' (the parts count their own); 0 for another "
        "source's version and for a figure `within` a broader one those totals count. A "
        "spreadsheet sum of this column, per unit kind, equals the totals' `groups`. Null "
        "for a report reaching outside the window."
    )
    allocated_amount: int | None = Field(
        None,
        description="With `allocate=pro_rata` and a window: the share of what the report "
        "adds (its amount less its breakdown rows') that falls in the window, by days, "
        "rounded per report so that the shares of any split of its period add up to it; "
        "all of it for a report inside the window. A spreadsheet sum of this column, per "
        "unit kind, equals the pro-rata totals' line. An estimate, unless the report lies "
        "inside the window. Null otherwise.",
    )


class SeizureDetail(SeizureOut):
    alternatives: list[SeizureOut] = Field(
        description="The other versions of this figure, each with its source: the counted "
        "report (without `alternative_to`) and the reports that are its alternatives."
    )
    sources_disagree: bool


class Citation(Schema):
    source: str = Field(description="The source's slug (`/api/v1/sources/{slug}`).")
    locator: str = Field(description="Where in the source, e.g. `¶8`.")
    reports: int = Field(description="How many of the line's reports cite it.")


class TotalLine(Schema):
    """One sum. The group keys asked for are present; the others are absent."""

    year: int | None = Field(None, description="With `group_by=year`: a single calendar year.")
    period_start: date | None = Field(
        None, description="In `beyond_window`: the period of the reports summed."
    )
    period_end: date | None = None
    years: list[int] | None = Field(None, description="In `beyond_window`: the years it spans.")
    substance: SubstanceRef | None = None
    unspecified: bool | None = Field(
        None,
        description="The part of parent reports that none of their breakdown rows names.",
    )
    country: CountryRef | None = None
    operation: OperationRef | None = None
    stage: StageRef | None = None
    unit_kind: UnitKind
    amount: int = Field(
        description="In `unit` (grams for mass): the sum of what the sources state, each "
        "quantity once, to the unit; read it with `qualifier` (a lower bound or an "
        "approximation stays one). When `estimated`, a pro-rata estimate, kept to the unit "
        "only so that shares add up: no source states it."
    )
    unit: str
    quantity_grams: int | None
    quantity_kg: float | None
    qualifier: Qualifier = Field(
        description="`about` if any part is (or, when `estimated`, if no part is a lower "
        "bound); else `at_least` if any part is: a share of a lower bound stays one."
    )
    estimated: bool = Field(
        description="Holds a pro-rata share of a report reaching beyond the window or year "
        "(then `qualifier` is `about`)."
    )
    derived: bool = Field(
        description="Holds a remainder found by subtraction: a stated total less what its "
        "breakdown rows name (the stated figures are in `stated_totals`)."
    )
    note: str | None = Field(
        description="How a derived line was found; and, for a line that an unitemized "
        "figure may add to, which figure (`unitemized_in`)."
    )
    bound_word: Literal["more_than", "at_least"] | None = Field(
        None,
        description="With `qualifier: at_least`, the source's own word for the bound: "
        "`more_than` (more than, over, более, свыше) if any of the line's reports says so, "
        "else `at_least` (at least, не менее, or words not known). Null otherwise.",
    )
    reports: int = Field(description="How many reports contribute.")
    sources: list[Citation] = Field(
        description=f"Where the line's reports come from, at most {MAX_SOURCES}."
    )
    sources_total: int = Field(description="How many (source, locator) pairs there are.")
    reports_url: str | None = Field(
        description="Lists exactly the reports this line sums: their `counted_amount` adds "
        "up to `amount`, or, on a pro-rata line (the link then says `allocate=pro_rata`), "
        "their `allocated_amount`. A line of `beyond_window` links its period, without "
        "the window, so that each report's `counted_amount` is given."
    )

    unitemized_in: list[int] = Field(
        default_factory=list,
        description="The `covered_by` reports (by `report_id`) whose unitemized part of a "
        "parent substance may add to this line: the line is then a lower bound "
        "(`at_least`, with `bound_word: at_least`; an approximation stays `about`), and "
        "`note` names them.",
    )


class CoveringFigure(Schema):
    """A report the filters leave out that may hold what they ask for (empty is not zero)."""

    report_id: int
    broader_in: list[Literal["country", "stage", "substance"]] = Field(
        description="How it is broader than the filters: `country`, a figure of no single "
        "country whose operation the country takes part in (named as a party of it or of a "
        "stage, or as a member state when the member states take part as a group); "
        "`stage`, a figure of the whole operation over the stage's dates; `substance`, a "
        "report of a parent substance whose unitemized part may hold it."
    )
    operation: OperationRef
    country: CountryRef | None
    stage: StageRef | None
    substance: SubstanceRef
    period_start: date
    period_end: date
    unit_kind: UnitKind
    amount: int = Field(description="The report's figure as stated, in `unit`.")
    unit: str
    qualifier: Qualifier
    as_reported: str
    bound_word: Literal["more_than", "at_least"] | None = Field(
        description="With `qualifier: at_least`, the source's word for the bound."
    )
    unitemized_amount: int | None = Field(
        description="When broader in its substance: the part of the figure that its "
        "breakdown rows do not itemize (all of it without them), which may hold the "
        "substance asked for, or none of it. Null otherwise."
    )
    unitemized_qualifier: Qualifier | None = Field(
        description="The qualifier of `unitemized_amount`: a remainder is only as exact as "
        "the figure and its parts."
    )
    source: str = Field(description="The source's slug.")
    locator: str
    report_url: str = Field(description="The report, with its parts' figures.")


class Allocation(Schema):
    method: Literal["pro_rata"]
    basis: str


class TotalsWarning(Schema):
    kind: Literal["possible_double_count", "truncated"]
    report_ids: list[int]
    message: str


class SeizureTotals(Schema):
    group_by: list[str]
    groups: list[TotalLine] = Field(
        description="Sums of the reports inside the window (with `group_by=year`, inside "
        "one calendar year too), and pro-rata shares when asked."
    )
    beyond_window: list[TotalLine] = Field(
        description="Reports whose period reaches beyond the window (with `group_by=year`, "
        "beyond one calendar year), unsplit, by period: never any one window's own figure."
    )
    stated_totals: list[SeizureOut] = Field(
        description="The matching reports that have breakdown rows, as the source states "
        f"them (at most {MAX_STATED}): the headline figures that derived lines come from."
    )
    allocation: Allocation | None
    warnings: list[TotalsWarning]
    covered_by: list[CoveringFigure] = Field(
        default_factory=list,
        description="Empty is not zero: figures the filters leave out that may hold what "
        "they ask for, broader in the country (the parties of an operation together), the "
        "stage (the whole operation) or the substance (the unitemized part of a parent "
        "substance's report); each shown once, by its topmost such report, at most "
        "20. With no line of its own, an answer's only figures for what it asks; never "
        "added to its lines.",
    )


# -- request bodies of the staff writes --------------------------------------------------

# How deep a breakdown nests: a report's parts are one level below it, their parts two. The
# sources break a report down once ("including hashish 1,200 kg"), and the substance
# taxonomy is three levels deep (controlled substances > opioids > heroin), so a breakdown by
# substance needs at most two levels; five leaves room for a breakdown by country or period
# inside those. Deeper is no figure a source states, only a body that makes each step that
# walks it (validation, the writer, a client reading the answer) work the harder.
MAX_PART_DEPTH = 5
# Parts of one report: a breakdown by every substance of the taxonomy, or by every country
# a stage names, fits with room to spare.
MAX_PARTS = 50
# Reports in one body, parts included: a stage's reports by country and substance are tens.
# A post's time grows with its reports (the double-count check stops at each report's
# first partner): 1,000 reports of one substance and period post in about 0.5 s on SQLite,
# and 1,000 with 15 parts each in 7 s. The bound keeps one request's work and memory in
# that range; before it only the body size limited a body, to some 25,000 reports.
MAX_REPORTS = 1000
PARTS_DESCRIPTION = (
    f'The breakdown ("including ..."), not added on top: at most {MAX_PARTS} parts, which may '
    f"have parts of their own, nested at most {MAX_PART_DEPTH} levels below the report."
)

Place = tuple[int | str, ...]


def levels_of(reports: Any) -> Iterator[list[tuple[Place, Any]]]:
    """Reports as sent (`reports`, then their parts, then theirs), a level at a time, each
    with its place from `reports`: (0,), (0, "parts", 1), ... Read so, and not by
    recursion, before the schema walks them, no nesting can exhaust a stack."""
    level = _placed((), reports)
    while level:
        yield level
        level = [
            below
            for place, entry in level
            if isinstance(entry, dict)
            for below in _placed((*place, "parts"), entry.get("parts"))
        ]


def _placed(place: Place, reports: Any) -> list[tuple[Place, Any]]:
    return (
        [((*place, i), each) for i, each in enumerate(reports)] if isinstance(reports, list) else []
    )


def _refusal(kind: str, message: Said, place: Place = ()) -> ValidationError:
    """An error at `place` under the field being validated: raised from a field's validator
    as a ValidationError, its place is put under the field's own path."""
    custom = PydanticCustomError(kind, message, {"ru": message.ru})
    error = InitErrorDetails(type=custom, loc=place, input=None)
    return ValidationError.from_exception_data("body", [error])


def at_most_max_reports(reports: Any, alone: int = 0) -> Any:
    """Refuses `reports` with their parts (and `alone` more) beyond MAX_REPORTS."""
    count = alone + sum(len(level) for level in levels_of(reports))
    if count > MAX_REPORTS:
        raise _refusal(
            "too_many_reports",
            said(
                f"at most {MAX_REPORTS} seizure reports in one body, parts included; this one "
                f"has {count}: post the rest with POST /api/v1/stages/{{id}}/seizures",
                f"не больше {MAX_REPORTS} сводок об изъятии в одном теле, с частями; в этом "
                f"{count}: остальные отправьте через POST /api/v1/stages/{{id}}/seizures",
            ),
        )
    return reports


class SeizureIn(WriteIn):
    substance: SlugText = Field(description="Substance slug (see /api/v1/substances).")
    quantity: QuantityIn = Field(
        description='A phrase ("1 t 500 kg", "3 т 737 кг") or {"amount": 1.5, "unit": "t"}; '
        "the phrase is kept as reported."
    )
    qualifier: Qualifier | None = Field(
        None, description="exact, at_least or about; if left out, read from the phrase."
    )
    country: Iso3 | None = None
    period_start: IsoDate | None = Field(None, description="Defaults to the stage's start.")
    period_end: IsoDate | None = Field(None, description="Defaults to the stage's end.")
    outside_stage: Bool = Field(
        False, description="Set to state that the period reaches outside the stage's dates."
    )
    cases: Annotated[int, WholeNumber(ge=0, le=10**9)] | None = None
    locator: Locator | None = Field(None, description="Overrides the stage's locator.")
    parts: Annotated[list["SeizureIn"], Field(max_length=MAX_PARTS)] = Field(
        default_factory=list, description=PARTS_DESCRIPTION
    )

    _period_end = field_validator("period_end")(ends_after("period_start"))

    @field_validator("parts", mode="before")
    @classmethod
    def _nested_at_most_max_depth(cls, parts: Any) -> Any:
        # The outermost report's check sees every part below it, and refuses first.
        for depth, level in enumerate(levels_of(parts), start=1):
            if depth > MAX_PART_DEPTH:
                raise _refusal(
                    "parts_too_deep",
                    said(
                        f"parts nest at most {MAX_PART_DEPTH} levels below their report (a "
                        "breakdown, a breakdown of one of its parts, ...); this part is on "
                        f"level {depth}",
                        f"части вкладываются не глубже {MAX_PART_DEPTH} уровней под своей "
                        "сводкой (разбивка, разбивка одной из её частей, ...); эта часть на "
                        f"уровне {depth}",
                    ),
                    level[0][0],
                )
        return parts

    def depth(self) -> int:
        """How many levels of parts lie below this report (0 for none)."""
        depth, level = 0, self.parts
        while level:
            depth, level = depth + 1, [part for entry in level for part in entry.parts]
        return depth


WITHIN_DESCRIPTION = (
    "The broader figure (a report's id) that holds this one's seizures without itemizing "
    "it, being itemized another way: a stage's figure within its year's summary broken "
    "down by substance, a country's figure within a stage's total. Only for a report that "
    "is no part; its parts follow it. The broader figure must be a top report of the same "
    "operation and unit kind, over a period holding this one's, of its substance or a "
    "broader one, of its stage, country and region or of none, within nothing itself. "
    "Totals then count the broader figure where it answers and this one only where it "
    "does not (see /methods)."
)


class SeizureCreate(SeizureIn):
    source: SlugText
    locator: Locator
    parent_id: Number | None = Field(
        None, description="Make this report part of an existing report on the same stage."
    )
    alternative_to: Number | None = Field(
        None,
        description="Another source's version of an existing report's figure on the same "
        "stage (its id): the same substance and kind of unit, no parts; kept and shown with "
        "that report, never added to totals. Its source must not rank before the report's "
        "own (see /methods): if it does, correct the report and post the other as a version.",
    )
    within: Number | None = Field(
        None,
        description=WITHIN_DESCRIPTION,
    )

    _at_most_max_reports = field_validator("parts", mode="before")(
        lambda parts: at_most_max_reports(parts, alone=1)
    )


class SeizurePatch(WriteIn):
    _required = not_null(
        "substance", "quantity", "qualifier", "period_start", "period_end", "outside_stage",
        "source", "locator",
    )  # fmt: skip

    substance: SlugText | None = None
    quantity: QuantityIn | None = None
    qualifier: Qualifier | None = None
    country: Iso3 | None = None
    period_start: IsoDate | None = None
    period_end: IsoDate | None = None
    outside_stage: Bool | None = None
    cases: Annotated[int, WholeNumber(ge=0, le=10**9)] | None = None
    source: SlugText | None = None
    locator: Locator | None = None
    within: Number | None = Field(
        None, description=WITHIN_DESCRIPTION + " `null` takes the report out of it."
    )
