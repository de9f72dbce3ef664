from datetime import date
from typing import Annotated, Literal

from pydantic import Field, field_validator

from app.models.enums import Qualifier, UnitKind
from app.rules import ends_after
from app.schemas.common import Cited, IsoDate, Schema
from app.schemas.writes import (
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

MAX_SOURCES = 20  # citations named per totals line
MAX_STATED = 20  # stated totals shown with the totals


class OperationRef(Schema):
    id: int
    slug: str
    name_en: str


class StageRef(Schema):
    id: int
    number: int


class CountryRef(Schema):
    iso3: str
    name_en: str


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
    within_window: bool | None = Field(
        description="With a window (`year`, `from`, `to`): whether the report's period lies "
        "inside it. A report reaching outside is never the window's own figure; totals put "
        "it in `beyond_window`. Null without a window."
    )
    counted_amount: int | None = Field(
        description="What the report adds to the totals of the same filters, in `unit`: its "
        "amount less its breakdown rows' (the parts count their own). A spreadsheet sum of "
        "this column, per unit kind, equals the totals' `groups`. Null for a report reaching "
        "outside the window."
    )


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
    amount: int = Field(description="Exact, in `unit` (grams for mass).")
    unit: str
    quantity_grams: int | None
    quantity_kg: float | None
    qualifier: Qualifier = Field(description="`at_least` if any part is; `about` if any part is.")
    estimated: bool = Field(
        description="Holds a pro-rata share of a report reaching beyond the window or year "
        "(then `qualifier` is `about`)."
    )
    derived: bool = Field(
        description="Holds a remainder found by subtraction: a stated total less what its "
        "breakdown rows name (the stated figures are in `stated_totals`)."
    )
    note: str | None = Field(description="How a derived line was found.")
    reports: int = Field(description="How many reports contribute.")
    sources: list[Citation] = Field(
        description=f"Where the line's reports come from, at most {MAX_SOURCES}."
    )
    sources_total: int = Field(description="How many (source, locator) pairs there are.")
    reports_url: str | None = Field(
        description="Lists exactly the reports this line sums (`counted_amount` adds up to "
        "`amount`, unless `estimated`)."
    )


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


# -- request bodies of the staff writes --------------------------------------------------


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
    parts: Annotated[list["SeizureIn"], Field(max_length=100)] = Field(
        default_factory=list, description='The breakdown ("including ..."), not added on top.'
    )

    _period_end = field_validator("period_end")(ends_after("period_start"))


class SeizureCreate(SeizureIn):
    source: SlugText
    locator: Locator
    parent_id: Number | None = Field(
        None, description="Make this report part of an existing report on the same stage."
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
