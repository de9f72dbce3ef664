"""Seizure totals that count every seized quantity once.

A report's *own* quantity is its amount less the amounts of its parts (its breakdown
rows). Summing own quantities counts each gram once however deep the breakdowns go:
a part counts its own amount, and its parent only the remainder no part names, which the
totals show as an "unspecified" line of the parent's substance.

Sums are exact integers in base units, per unit kind. A report whose period spans several
calendar years is never given to one year: with `year` among the keys it goes to a
separate `multi_year` list, or is split pro rata by days when the caller asks, and each
split part is marked estimated.
"""

import typing
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session, aliased

from app.common import stage_reference
from app.models import (
    Country,
    Operation,
    SeizureOverlapMember,
    SeizureReport,
    SeizureSum,
    SeizureSumBySubstance,
    Source,
    Stage,
    Substance,
)
from app.models.enums import Qualifier, UnitKind
from app.seizures.covering import broader_figures, covers_line
from app.seizures.overlaps import CANDIDATE_COLUMNS, Candidate, Kinship, pairs_among
from app.seizures.schemas import MAX_SOURCES, MAX_STATED
from app.seizures.service import (
    BASE_UNITS,
    FIRST_DAY,
    LAST_DAY,
    FilterTarget,
    NeedsReportsError,
    SeizureFilters,
    beyond_window,
    compile_filters,
    conditions,
    covered_amount,
    has_inexact_parts,
    left_out,
    lineages,
    list_seizures,
    parents,
    related_substances,
    report_target,
    share_of_days,
    whole_years,
)
from app.wording import BOUND_WORDS, readable

GROUP_KEYS = ("year", "substance", "country", "operation", "stage")
MAX_WARNINGS = 100
DERIVED_NOTE = (
    "Holds the remainder of {n} report(s), found by subtraction: its stated total less what "
    "its breakdown rows name (the stated figures are in `stated_totals`). Where those rows "
    "are in this line too, the line adds back up to the stated total."
)

Window = tuple[date, date]
LineKey = tuple[Any, ...]  # (year, beyond-window period, *group keys, unit kind)


ESTIMATES = (Qualifier.ABOUT.value, Qualifier.ALMOST.value)


@dataclass
class _Sum:
    """A running total of own quantities that share every group key and the unit kind."""

    amount: int = 0
    reports: int = 0
    at_least: int = 0  # lower bounds, in either word
    about: int = 0
    remainders: int = 0
    more_than: int = 0  # lower bounds the source said "more than" of
    estimated: bool = False

    def add(
        self, amount: int, reports: int, at_least: int, about: int, remainders: int, more_than: int
    ) -> None:
        self.amount += amount
        self.reports += reports
        self.at_least += at_least
        self.about += about
        self.remainders += remainders
        self.more_than += more_than

    @property
    def bound_word(self) -> str | None:
        """A lower bound's word: "more than" if any of its bounds is (more than A and at
        least B is more than A + B), else "at least"."""
        if self.qualifier != Qualifier.AT_LEAST:
            return None
        return "more_than" if self.more_than else "at_least"

    @property
    def qualifier(self) -> Qualifier:
        # "about" is the weaker claim, so it wins over "at least" when both are present.
        # A share of a lower bound is still a lower bound: an estimated line keeps "at least"
        # (read "about ... or more"), and is "about" only when nothing in it is a bound.
        if self.about:
            return Qualifier.ABOUT
        if self.at_least:
            return Qualifier.AT_LEAST
        return Qualifier.ABOUT if self.estimated else Qualifier.EXACT


@dataclass(frozen=True)
class _Shape:
    """How a request's rows become lines: which keys, which window, whether to split."""

    group_by: tuple[str, ...]
    filters: SeizureFilters  # `allocate_pro_rata` set to the total's own `pro_rata`

    @property
    def window(self) -> Window | None:
        return self.filters.window

    @property
    def pro_rata(self) -> bool:
        return self.filters.allocate_pro_rata

    @property
    def by_year(self) -> bool:
        return "year" in self.group_by

    @property
    def key_names(self) -> list[str]:
        names = []
        for key in GROUP_KEYS:
            if key in self.group_by and key != "year":
                names.extend({"substance": ["substance_id", "unspecified"]}.get(key, [key]))
        return names

    def placed(self, row: Any) -> list[tuple[str, LineKey, int | None]]:
        """Where a grouped row goes: (section, line key, the amount it brings, or None for
        all of it); a row reaching beyond the window is split by days when asked."""
        keys = (*(row[name] for name in self.key_names), row["unit_kind"])
        start = row["beyond_start"] if self.window or self.by_year else None
        if start is None:
            return [("groups", (row["year"] if self.by_year else None, None, *keys), None)]
        end = row["beyond_end"]
        if not self.pro_rata:
            return [("beyond_window", (None, (start, end), *keys), None)]
        return [
            ("groups", (year, None, *keys), share)
            for year, share in pro_rata_shares(
                int(row["amount"]), start, end, self.window, by_year=self.by_year
            )
        ]


def seizure_totals(
    session: Session,
    filters: SeizureFilters,
    group_by: Sequence[str],
    *,
    pro_rata: bool = False,
    from_reports: bool = False,
    list_url: Callable[[dict[str, str]], str] | None = None,
) -> dict[str, Any]:
    """The totals; `from_reports` sums the reports themselves rather than the sum tables
    (the reference the tests hold the fast path to). `list_url` makes the URL that lists a
    line's reports from the list filters that select them (`_key_filter`, `_window_filters`)."""
    shape = _Shape(tuple(group_by), replace(filters, allocate_pro_rata=pro_rata))
    sums = None if from_reports else _from_sums(filters, group_by)
    source = own_quantities(filters) if sums is None else sums
    # Grouped finer than the lines, by source and locator too: the lines' citations.
    grouped = _grouped(source, shape, source.c.source_id, source.c.locator)
    rows: Sequence[Any] = session.execute(grouped).mappings().all()
    if shape.pro_rata:
        rows = _split_report_by_report(session, filters, shape, rows)
    sections: dict[str, dict[LineKey, _Sum]] = {"groups": {}, "beyond_window": {}}
    citations: dict[tuple[str, LineKey], dict[tuple[int, str], int]] = defaultdict(dict)
    for row in rows:
        # PostgreSQL sums integers into numerics: Decimal, which JSON does not take.
        counts = (
            int(row["amount"]),
            int(row["reports"]),
            int(row["n_at_least"]),
            int(row["n_about"]),
            int(row["n_remainders"]),
            int(row["n_more_than"]),
        )
        cite = (row["source_id"], row["locator"])
        for section, key, share in shape.placed(row):
            total = sections[section].setdefault(key, _Sum())
            if share is None:
                total.add(*counts)
            else:  # a share of a report is an estimate, of a bound if the report is one
                total.add(share, *counts[1:])
                total.estimated = True
            cited = citations[(section, key)]
            cited[cite] = cited.get(cite, 0) + counts[1]
    names = _Names(session, rows, group_by, citations)
    stated = list_seizures(session, replace(filters, has_parts=True), MAX_STATED + 1)

    def lines(section: str) -> list[dict[str, Any]]:
        found = sorted(sections[section].items(), key=_order)
        return [
            _line(shape, section, key, total, names, citations.get((section, key), {}), list_url)
            for key, total in found
        ]

    covering = broader_figures(session, filters)
    return {
        "group_by": list(group_by),
        "groups": _with_unitemized(lines("groups"), covering, shape.window),
        "beyond_window": _with_unitemized(lines("beyond_window"), covering, shape.window),
        "stated_totals": stated[:MAX_STATED],
        "allocation": _allocation(shape),
        "warnings": possible_double_counts(session, filters, from_reports=sums is None)
        + _more_stated(len(stated)),
        "covered_by": covering,
    }


INCOMPLETE_NOTE = (
    "May be short: {figures} not itemized by substance may hold some of it (`covered_by`), "
    "so the line is a lower bound."
)


def _with_unitemized(
    lines: list[dict[str, Any]], covering: list[dict[str, Any]], window: Window | None
) -> list[dict[str, Any]]:
    """Lines that an unitemized part of a broader substance's report may add to become
    lower bounds (an approximation stays one), naming those reports; the others name none."""
    for line in lines:
        found = [figure for figure in covering if covers_line(figure, line, window)]
        line["unitemized_in"] = [figure["report_id"] for figure in found]
        if not found:
            continue
        if line["qualifier"] == Qualifier.EXACT or line["estimated"]:
            line["qualifier"] = Qualifier.AT_LEAST
            line["bound_word"] = line["bound_word"] or "at_least"
        figures = "; ".join(_unitemized_words(figure) for figure in found)
        note = INCOMPLETE_NOTE.format(figures=figures)
        line["note"] = f"{line['note']} {note}" if line["note"] else note
    return lines


def _unitemized_words(figure: dict[str, Any]) -> str:
    qualifier = str(figure["unitemized_qualifier"])
    if qualifier == Qualifier.AT_LEAST:
        word = "more than " if figure["bound_word"] == "more_than" else "at least "
    else:
        word = "about " if qualifier == Qualifier.ABOUT else ""
    amount = readable(figure["unit_kind"], figure["unitemized_amount"])
    return (
        f"{word}{amount} of report {figure['report_id']} "
        f"({figure['substance']['slug']}, {figure['period_start']}/{figure['period_end']}, "
        f"{figure['source']} {figure['locator']})"
    )


def _split_report_by_report(
    session: Session, filters: SeizureFilters, shape: _Shape, rows: Sequence[Any]
) -> list[Any]:
    """`rows` with those to be split by days replaced by one row per report: a report's
    share is its own (`share_of_days`), so that a line is the sum of its reports' shares,
    as the seizure list's `allocated_amount` gives them. The sum tables merge the reports of
    one period, so their split rows are read again from the reports of those periods."""
    whole = [row for row in rows if row.get("beyond_start") is None]
    if len(whole) == len(rows):
        return whole
    periods = sorted({(row["beyond_start"], row["beyond_end"]) for row in rows} - {(None, None)})
    own = own_quantities(filters)
    each = _grouped(own, shape, own.c.source_id, own.c.locator, own.c.id, only_beyond=True)
    each = each.where(tuple_(own.c.period_start, own.c.period_end).in_(periods))
    return whole + list(session.execute(each).mappings().all())


def totals_lines(body: dict[str, Any]) -> int:
    """The lines of a totals answer, and one for the rest: its weight in the answers cache."""
    return 1 + len(body["groups"]) + len(body["beyond_window"])


def _allocation(shape: _Shape) -> dict[str, str] | None:
    if not shape.pro_rata:
        return None
    if not shape.by_year:
        into = "the window"
    else:
        into = "the calendar years of the window" if shape.window else "its calendar years"
    return {
        "method": "pro_rata",
        "basis": "Each report whose period reaches beyond "
        + ("the window" if shape.window else "one calendar year")
        + f" gives {into} a share of its quantity in proportion to the number of its days "
        "that fall there, computed report by report: a share is the difference of the "
        "running totals at its first and last day, each rounded to the unit, so the shares "
        "of all its days add up exactly to the report, and a line is the sum of its "
        "reports' shares (the list's `allocated_amount`, which the line's `reports_url` "
        "gives). A share is an estimate: its line is "
        "`estimated`, and `about`; a share of a lower bound stays a lower bound (its line "
        "keeps `at_least`: about that much or more).",
    }


def _more_stated(found: int) -> list[dict[str, Any]]:
    if found <= MAX_STATED:
        return []
    return [
        {
            "kind": "truncated",
            "report_ids": [],
            "message": f"more than {MAX_STATED} stated totals match; list them all with "
            "/api/v1/seizures and the same filters plus has_parts=true",
        }
    ]


def own_quantities(
    filters: SeizureFilters | None = None,
    report_ids: Sequence[int] | BindParameter[Any] | None = None,
) -> Any:
    """One row per matching report: its own quantity, and whether that is a remainder."""
    report = SeizureReport
    target = report_target(report)
    # A remainder is only as exact as every part taken from it. A lower bound the source
    # said "more than" of is `more_than` here (and in the sum tables), so that a line can
    # say it in the source's word; `stated_qualifier` keeps the report's own.
    qualifier = case(
        (has_inexact_parts(report), literal(Qualifier.ABOUT.value)),
        (
            and_(report.qualifier == Qualifier.AT_LEAST.value, _says_more_than(report)),
            literal(MORE_THAN),
        ),
        else_=report.qualifier,
    )
    own = report.amount - covered_amount(report)
    where = conditions(filters) if filters else []
    if report_ids is not None:
        where.append(report.id.in_(report_ids))
    return (
        select(
            report.id,
            report.operation_id.label("operation"),
            report.stage_id.label("stage"),
            report.country_id.label("country"),
            report.substance_id,
            target.has_parts.label("unspecified"),
            report.unit_kind,
            report.qualifier.label("stated_qualifier"),
            qualifier.label("qualifier"),
            report.period_start,
            report.period_end,
            (
                cast(extract("year", report.period_start), Integer)
                != cast(extract("year", report.period_end), Integer)
            ).label("multi_year"),
            own.label("own"),
            literal(1).label("weight"),
            # A fully itemized parent adds nothing, unless its "at least" must carry through.
            typing.cast(ColumnElement[bool], target.counted).label("adds_something"),
            report.source_id,
            report.locator,
            func.coalesce(report.within_id, 0).label("covered_by"),
        )
        .where(*where)
        .subquery("own_quantities")
    )


MORE_THAN = "more_than"  # the own quantities' qualifier of a "more than" lower bound


def _says_more_than(report: Any) -> ColumnElement[bool]:
    """Whether the report's words open with "more than", "over", "более" or "свыше"
    (`wording.bound_word`; SQLite's lower() leaves Cyrillic alone, hence both cases)."""
    text = func.lower(func.ltrim(report.as_reported))
    words = [
        form
        for word in BOUND_WORDS["more_than"]
        for form in dict.fromkeys((word, word.capitalize(), word.upper()))
    ]
    return or_(*(text.like(f"{form} %") for form in words))


def _grouped(own: Any, shape: _Shape, *extra: Any, only_beyond: bool = False) -> Any:
    """Own quantities (from the reports or from the sum tables) summed by the line keys:
    the year, the period of what reaches beyond the window (or, by year, beyond one
    calendar year), the group keys and the unit kind; `extra` keys group finer still.
    `only_beyond`: only what reaches beyond."""
    beyond = beyond_window(
        shape.window, own.c.period_start, own.c.period_end, shape.by_year, own.c.multi_year
    )
    keys: list[Any] = []
    if beyond is not None:
        keys += [
            case((beyond, own.c.period_start)).label("beyond_start"),
            case((beyond, own.c.period_end)).label("beyond_end"),
        ]
        if shape.by_year:  # by year, a period over several years is always beyond one
            start_year = cast(extract("year", own.c.period_start), Integer)
            keys.append(case((beyond, None), else_=start_year).label("year"))
    keys += [own.c[name] for name in shape.key_names]
    keys += extra
    weight = own.c.weight
    where = [
        own.c.adds_something,
        # A figure within a broader one that this answer counts is not added beside it.
        ~left_out(
            shape.filters,
            own.c,
            by_year=shape.by_year,
            covered_by=own.c.covered_by,
            multi_year=own.c.multi_year,
        ),
    ]
    if only_beyond:  # asked only when some rows reach beyond, so `beyond` is a test
        assert beyond is not None
        where.append(beyond)

    def weighted_count(when: Any) -> Any:
        return func.sum(case((when, weight), else_=0))

    return (
        select(
            *keys,
            own.c.unit_kind,
            func.sum(own.c.own).label("amount"),
            func.sum(weight).label("reports"),
            weighted_count(own.c.qualifier.in_([Qualifier.AT_LEAST.value, MORE_THAN])).label(
                "n_at_least"
            ),
            weighted_count(own.c.qualifier == MORE_THAN).label("n_more_than"),
            # "almost" is an estimate too: a total with such a part is "about", never exact.
            weighted_count(own.c.qualifier.in_(ESTIMATES)).label("n_about"),
            weighted_count(own.c.unspecified).label("n_remainders"),
        )
        .where(*where)
        .group_by(*keys, own.c.unit_kind)
    )


def _from_sums(filters: SeizureFilters, group_by: Sequence[str]) -> Any | None:
    """The sum table that can answer, as rows shaped like `own_quantities`; None when only
    the reports can (a date range that cuts through a year, say)."""
    detailed = bool(
        {"country", "operation", "stage"} & set(group_by)
        or any(
            value is not None
            for value in (filters.operation_id, filters.stage_id, filters.country_id)
        )
    )
    table: Any = SeizureSum if detailed else SeizureSumBySubstance
    operation: Any = table.__table__.c.operation_id if detailed else null()
    stage: Any = table.stage_key if detailed else null()
    country: Any = table.country_key if detailed else null()
    target = FilterTarget(
        operation=operation,
        stage=stage,
        country=country,
        substance=table.substance_id,
        unit_kind=table.unit_kind,
        stated_qualifier=table.stated_qualifier,
        period_start=table.period_start,
        period_end=table.period_end,
        has_parts=table.unspecified,
        counted=None,  # the sum tables hold only what counts
    )
    try:
        where = compile_filters(filters, target)
    except NeedsReportsError:
        return None
    return (
        select(
            operation.label("operation"),
            (func.nullif(stage, 0) if detailed else stage).label("stage"),
            (func.nullif(country, 0) if detailed else country).label("country"),
            table.substance_id,
            table.unspecified,
            table.unit_kind,
            table.qualifier,
            table.period_start,
            table.period_end,
            table.multi_year,
            table.amount.label("own"),
            table.reports.label("weight"),
            literal(True).label("adds_something"),
            table.source_id,
            table.locator,
            table.covered_by,
        )
        .where(*where)
        .subquery("sums")
    )


def pro_rata_shares(
    amount: int, start: date, end: date, window: Window | None, *, by_year: bool
) -> list[tuple[int | None, int]]:
    """The shares of `amount` that fall in the window (by year when `by_year`), in
    proportion to the days of [start, end] there (`share_of_days`). The shares of all its
    days, inside the window and out, add up exactly to `amount`."""
    first, last = window or (start, end)
    first, last = max(first, start), min(last, end)
    if first > last:
        return []
    if not by_year:
        return [(None, share_of_days(amount, start, end, first, last))]
    return [
        (
            year,
            share_of_days(
                amount, start, end, max(first, date(year, 1, 1)), min(last, date(year, 12, 31))
            ),
        )
        for year in range(first.year, last.year + 1)
    ]


class _Names:
    """Names for the ids that appear in the lines, one query per kind of key."""

    def __init__(
        self,
        session: Session,
        rows: Sequence[Any],
        group_by: Sequence[str],
        citations: dict[Any, dict[tuple[int, str], int]],
    ) -> None:
        def named(key: str, column: str, columns: Any, shape: Any) -> dict[int, dict[str, Any]]:
            if key not in group_by:
                return {}
            ids = {row[column] for row in rows} - {None}
            return _named(session, ids, columns, shape)

        self.substances = named(
            "substance",
            "substance_id",
            [Substance.id, Substance.slug, Substance.name_en, Substance.name_ru],
            lambda r: {"slug": r.slug, "name_en": r.name_en, "name_ru": r.name_ru},
        )
        self.countries = named(
            "country",
            "country",
            [Country.id, Country.iso3, Country.name_en, Country.name_ru],
            lambda r: {"iso3": r.iso3, "name_en": r.name_en, "name_ru": r.name_ru},
        )
        self.operations = named(
            "operation",
            "operation",
            [Operation.id, Operation.slug, Operation.name_en, Operation.name_ru],
            lambda r: {"id": r.id, "slug": r.slug, "name_en": r.name_en, "name_ru": r.name_ru},
        )
        self.stages = named(
            "stage",
            "stage",
            [Stage.id, Stage.number],
            lambda r: {"id": r.id, "number": r.number},
        )
        # How list filters name a stage (`channel-31`, its key, `id:42`).
        self.stage_refs = {
            row.id: stage_reference(row.operation, row.number, row.slug, row.id)
            for row in session.execute(
                select(Stage.id, Stage.number, Stage.slug, Operation.slug.label("operation"))
                .join(Operation, Operation.id == Stage.operation_id)
                .where(Stage.id.in_(self.stages))
            )
        } if self.stages else {}  # fmt: skip
        source_ids = {pair[0] for cited in citations.values() for pair in cited}
        self.sources = _named(session, source_ids, [Source.id, Source.slug], lambda r: r.slug)


def _named(session: Session, ids: set[Any], columns: Any, shape: Any) -> dict[Any, Any]:
    if not ids:
        return {}
    table = columns[0].class_
    found = session.execute(select(*columns).where(table.id.in_(ids)))
    return {row.id: shape(row) for row in found}


_UNIT_KINDS = {kind.value: kind for kind in UnitKind}  # faster than UnitKind(value)


def _line(
    shape: _Shape,
    section: str,
    key: LineKey,
    total: _Sum,
    names: _Names,
    cited: dict[tuple[int, str], int],
    list_url: Callable[[dict[str, str]], str] | None,
) -> dict[str, Any]:
    year, period, *group_keys, unit_kind_value = key
    values = iter(group_keys)
    line: dict[str, Any] = {}
    if period is not None:
        start, end = period
        line |= {
            "period_start": start,
            "period_end": end,
            "years": list(range(start.year, end.year + 1)),
        }
    elif shape.by_year:
        line["year"] = year
    selects: dict[str, str] = {}
    if "substance" in shape.group_by:
        line["substance"] = names.substances[next(values)]
        line["unspecified"] = bool(next(values))
        selects |= {
            "substance": line["substance"]["slug"],
            "descendants": "false",
            "has_parts": str(line["unspecified"]).lower(),
        }
    for name, table in (
        ("country", names.countries),
        ("operation", names.operations),
        ("stage", names.stages),
    ):
        if name in shape.group_by:
            found = next(values)
            line[name] = None if found is None else table[found]
            selects[name] = _key_filter(name, found, line[name], names)
    unit_kind = _UNIT_KINDS[unit_kind_value]
    grams = total.amount if unit_kind == UnitKind.MASS else None
    sources = [
        {"source": names.sources[source_id], "locator": locator, "reports": reports}
        for (source_id, locator), reports in cited.items()
    ]
    sources.sort(key=lambda cite: (cite["source"], cite["locator"]))
    selects |= _window_filters(shape, section, year, period) | {"unit_kind": unit_kind.value}
    return line | {
        "unit_kind": unit_kind,
        "amount": total.amount,
        "unit": BASE_UNITS[unit_kind],
        "quantity_grams": grams,
        "quantity_kg": None if grams is None else grams / 1000,
        "qualifier": total.qualifier,
        "estimated": total.estimated,
        "derived": total.remainders > 0,
        "note": DERIVED_NOTE.format(n=total.remainders) if total.remainders else None,
        "bound_word": total.bound_word,
        "reports": total.reports,
        "sources": sources[:MAX_SOURCES],
        "sources_total": len(sources),
        "reports_url": list_url(selects | {"counted": "true"}) if list_url else None,
    }


def _key_filter(name: str, found: int | None, named: dict[str, Any] | None, names: _Names) -> str:
    """The list filter's value that selects a line's key."""
    if found is None or named is None:
        return "none"
    if name == "country":
        return str(named["iso3"])
    if name == "operation":
        return str(named["slug"])
    return names.stage_refs[found]


def _window_filters(
    shape: _Shape, section: str, year: int | None, period: tuple[date, date] | None
) -> dict[str, str]:
    """The list filters that narrow the request's window to a line's reports: its year,
    inside the window, or its exact period beyond it."""
    if section == "beyond_window" and period is not None:
        # The period alone names them (a report of this period overlaps the window), and
        # without the window each listed report's `counted_amount` is what the line sums.
        return {"period": f"{period[0].isoformat()}/{period[1].isoformat()}"}
    selects: dict[str, str] = {"allocate": "pro_rata"} if shape.pro_rata else {}
    first, last = shape.window or (FIRST_DAY, LAST_DAY)
    if year is not None:
        first, last = max(first, date(year, 1, 1)), min(last, date(year, 12, 31))
    if (first, last) != (FIRST_DAY, LAST_DAY):
        if first.year == last.year and whole_years(first, last):
            selects["year"] = str(first.year)
        else:
            if first != FIRST_DAY:
                selects["from"] = first.isoformat()
            if last != LAST_DAY:
                selects["to"] = last.isoformat()
        if not shape.pro_rata:
            selects["within_window"] = "true"
    return selects


def _order(item: tuple[LineKey, _Sum]) -> tuple[Any, ...]:
    """Lines in key order, with absent keys (no year, no country, no stage) last."""
    return tuple((True, 0) if value is None else (False, value) for value in item[0])


def possible_double_counts(
    session: Session, filters: SeizureFilters, *, from_reports: bool = True
) -> list[dict[str, Any]]:
    """Pairs of matching reports that could describe the same seizures without being linked:
    same operation and unit kind, overlapping periods, compatible country, stage and region,
    substances on one branch of the tree, and neither a breakdown of the other. Found in
    the reports, or among the reports that `seizure_overlap_members` names (the write path
    keeps there every report that has such a partner)."""
    if not from_reports:
        member = aliased(SeizureReport)
        reports = [
            Candidate(*tuple(row))
            for row in session.execute(
                select(*(getattr(member, column.key) for column in CANDIDATE_COLUMNS))
                .join(SeizureOverlapMember, SeizureOverlapMember.report_id == member.id)
                .where(*conditions(filters, member))
            )
        ]
        kin = Kinship(related_substances(session), parents(session, [r.id for r in reports]))
        return _warnings(pairs_among(reports, kin, MAX_WARNINGS + 1))
    first, second = aliased(SeizureReport), aliased(SeizureReport)
    on_one_branch = sorted(
        (a, b) for a, related in related_substances(session).items() for b in related
    )
    pairs = session.execute(
        select(first.id, second.id)
        .where(
            *conditions(filters, first, subtree_name="first_subtree"),
            *conditions(filters, second, subtree_name="second_subtree"),
            first.id < second.id,
            first.alternative_to_id.is_(None),
            second.alternative_to_id.is_(None),
            first.operation_id == second.operation_id,
            first.unit_kind == second.unit_kind,
            first.period_start <= second.period_end,
            second.period_start <= first.period_end,
            _same_or_unknown(first.country_id, second.country_id),
            _same_or_unknown(first.stage_id, second.stage_id),
            _same_or_unknown(first.scope, second.scope),
            tuple_(first.substance_id, second.substance_id).in_(on_one_branch),
            or_(first.parent_id.is_(None), first.parent_id != second.id),
            or_(second.parent_id.is_(None), second.parent_id != first.id),
        )
        .order_by(first.id, second.id)
        .limit(MAX_WARNINGS * 4)
    ).all()
    lineage = lineages(session, {report_id for pair in pairs for report_id in pair})
    return _warnings([(a, b) for a, b in pairs if a not in lineage[b] and b not in lineage[a]])


def _warnings(pairs: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
    warnings = [
        {
            "kind": "possible_double_count",
            "report_ids": [a, b],
            "message": (
                f"seizure reports {a} and {b} may cover the same seizures: same operation, "
                "overlapping periods and substances on one branch, but neither is a breakdown "
                "of the other; both are counted. Link them (parent_id) if one includes the other."
            ),
        }
        for a, b in pairs
    ]
    if len(warnings) > MAX_WARNINGS:
        warnings = warnings[:MAX_WARNINGS]
        warnings.append(
            {
                "kind": "truncated",
                "report_ids": [],
                "message": f"more than {MAX_WARNINGS} such pairs; narrow the filters to see all",
            }
        )
    return warnings


def _same_or_unknown(a: Any, b: Any) -> ColumnElement[bool]:
    return or_(a == b, a.is_(None), b.is_(None))
