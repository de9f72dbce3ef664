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

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    case,
    cast,
    exists,
    extract,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session, aliased

from app.models import (
    Country,
    Operation,
    SeizureOverlap,
    SeizureReport,
    SeizureSum,
    SeizureSumBySubstance,
    Stage,
    Substance,
)
from app.models.enums import Qualifier, UnitKind
from app.services.seizures import (
    BASE_UNITS,
    SeizureFilters,
    conditions,
    lineages,
    related_substances,
)
from app.services.substances import subtree_ids_query

GROUP_KEYS = ("year", "substance", "country", "operation", "stage")
MAX_WARNINGS = 100
PRO_RATA_BASIS = (
    "Each multi-year report is split across the calendar years of its period in proportion "
    "to the number of its days that fall in each year; grams are rounded by the largest "
    "remainder so the parts add up exactly to the report."
)


@dataclass
class _Sum:
    """A running total of own quantities that share every group key and the unit kind."""

    amount: int = 0
    reports: int = 0
    at_least: int = 0
    about: int = 0
    estimated: bool = False
    report_ids: set[int] = field(default_factory=set)

    def add(self, amount: int, reports: int, at_least: int, about: int) -> None:
        self.amount += amount
        self.reports += reports
        self.at_least += at_least
        self.about += about

    @property
    def qualifier(self) -> Qualifier:
        # "about" is the weaker claim, so it wins over "at least" when both are present.
        if self.about:
            return Qualifier.ABOUT
        return Qualifier.AT_LEAST if self.at_least else Qualifier.EXACT


def seizure_totals(
    session: Session,
    filters: SeizureFilters,
    group_by: Sequence[str],
    *,
    pro_rata: bool = False,
    from_reports: bool = False,
) -> dict[str, Any]:
    """The totals; `from_reports` sums the reports themselves rather than the sum tables
    (the reference the tests hold the fast path to)."""
    by_year = "year" in group_by
    sums = None if from_reports else _from_sums(filters, group_by)
    source = own_quantities(filters) if sums is None else sums
    rows = session.execute(_grouped(source, group_by)).mappings().all()
    groups: dict[tuple[Any, ...], _Sum] = defaultdict(_Sum)
    multi_year: dict[tuple[Any, ...], _Sum] = defaultdict(_Sum)
    years_wanted = _years_wanted(filters)
    key_names = [name for name in _key_names(group_by) if name != "year"]
    for row in rows:
        keys = tuple(row[name] for name in key_names)
        counts = (int(row["amount"]), row["reports"], row["n_at_least"], row["n_about"])
        if not by_year or row["multi_start"] is None:
            groups[(row.get("year"), *keys, row["unit_kind"])].add(*counts)
        elif pro_rata:
            for year, share in _pro_rata(counts[0], row["multi_start"], row["multi_end"]):
                if years_wanted is None or year in years_wanted:
                    total = groups[(year, *keys, row["unit_kind"])]
                    total.add(share, *counts[1:])
                    total.estimated = True
        else:
            period = (row["multi_start"], row["multi_end"])
            multi_year[(period, *keys, row["unit_kind"])].add(*counts)
    names = _Names(session, rows, group_by)
    return {
        "group_by": list(group_by),
        "groups": [
            _line(group_by, key, total, names) for key, total in sorted(groups.items(), key=_order)
        ],
        "multi_year": [
            _line(group_by, key, total, names)
            for key, total in sorted(multi_year.items(), key=_order)
        ],
        "allocation": (
            {"method": "pro_rata", "basis": PRO_RATA_BASIS} if by_year and pro_rata else None
        ),
        "warnings": possible_double_counts(session, filters, from_reports=sums is None),
    }


def _key_names(group_by: Sequence[str]) -> list[str]:
    names = []
    for key in GROUP_KEYS:
        if key in group_by:
            names.extend({"substance": ["substance_id", "unspecified"]}.get(key, [key]))
    return names


def own_quantities(
    filters: SeizureFilters | None = None,
    report_ids: Sequence[int] | BindParameter[Any] | None = None,
) -> Any:
    """One row per matching report: its own quantity, and whether that is a remainder."""
    report = SeizureReport
    part = aliased(SeizureReport)
    covered = (
        select(func.coalesce(func.sum(part.amount), 0))
        .where(part.parent_id == report.id)
        .scalar_subquery()
    )
    has_parts = exists().where(part.parent_id == report.id)
    inexact_parts = exists().where(part.parent_id == report.id, part.qualifier != Qualifier.EXACT)
    # A remainder is only as exact as every part taken from it.
    qualifier = case((inexact_parts, literal(Qualifier.ABOUT.value)), else_=report.qualifier)
    own = report.amount - covered
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
            has_parts.label("unspecified"),
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
            or_(own > 0, qualifier != Qualifier.EXACT.value).label("adds_something"),
        )
        .where(*where)
        .subquery("own_quantities")
    )


def _grouped(own: Any, group_by: Sequence[str]) -> Any:
    """Own quantities (from the reports or from the sum tables) summed by the group keys."""
    keys: list[ColumnElement[Any]] = []
    if "year" in group_by:
        multi_year = own.c.multi_year
        start_year = cast(extract("year", own.c.period_start), Integer)
        keys += [
            case((multi_year, None), else_=start_year).label("year"),
            case((multi_year, own.c.period_start)).label("multi_start"),
            case((multi_year, own.c.period_end)).label("multi_end"),
        ]
    for name in _key_names(group_by):
        if name != "year":
            keys.append(own.c[name])
    weight = own.c.weight

    def weighted_count(qualifier: Qualifier) -> Any:
        return func.sum(case((own.c.qualifier == qualifier.value, weight), else_=0))

    return (
        select(
            *keys,
            own.c.unit_kind,
            func.sum(own.c.own).label("amount"),
            func.sum(weight).label("reports"),
            weighted_count(Qualifier.AT_LEAST).label("n_at_least"),
            weighted_count(Qualifier.ABOUT).label("n_about"),
        )
        .where(own.c.adds_something)
        .group_by(*keys, own.c.unit_kind)
    )


def _from_sums(filters: SeizureFilters, group_by: Sequence[str]) -> Any | None:
    """The sum table that can answer, as rows shaped like `own_quantities`; None when only
    the reports can (a date range that cuts through a year, say)."""
    cuts_a_year = (
        filters.date_from is not None and filters.date_from.timetuple().tm_yday != 1
    ) or (filters.date_to is not None and (filters.date_to.month, filters.date_to.day) != (12, 31))
    if cuts_a_year or filters.report_id is not None or filters.top_level_only:
        return None
    detailed = {"country", "operation", "stage"} & set(group_by) or any(
        (filters.operation_id, filters.stage_id, filters.country_id)
    )
    table = SeizureSum if detailed else SeizureSumBySubstance
    where = []
    operation: ColumnElement[Any]
    stage: ColumnElement[Any]
    country: ColumnElement[Any]
    if detailed:
        operation, stage, country = (
            SeizureSum.__table__.c.operation_id,
            func.nullif(SeizureSum.stage_key, 0),
            func.nullif(SeizureSum.country_key, 0),
        )
        if filters.operation_id is not None:
            where.append(SeizureSum.operation_id == filters.operation_id)
        if filters.stage_id is not None:
            where.append(SeizureSum.stage_key == filters.stage_id)
        if filters.country_id is not None:
            where.append(SeizureSum.country_key == filters.country_id)
    else:
        operation = stage = country = null()
    if filters.substance_id is not None:
        where.append(table.substance_id.in_(subtree_ids_query(filters.substance_id)))
    if filters.qualifier is not None:
        where.append(table.stated_qualifier == filters.qualifier)
    first = date(filters.year, 1, 1) if filters.year else filters.date_from
    last = date(filters.year, 12, 31) if filters.year else filters.date_to
    if filters.year and filters.date_from:
        first = max(first, filters.date_from)  # type: ignore[type-var]
    if filters.year and filters.date_to:
        last = min(last, filters.date_to)  # type: ignore[type-var]
    if first is not None:
        where.append(table.period_end >= first)
    if last is not None:
        where.append(table.period_start <= last)
    return (
        select(
            operation.label("operation"),
            stage.label("stage"),
            country.label("country"),
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
        )
        .where(*where)
        .subquery("sums")
    )


def _years_wanted(filters: SeizureFilters) -> set[int] | None:
    """Estimated parts are only kept for the years the filters ask about."""
    if filters.year is not None:
        return {filters.year}
    if filters.date_from is None and filters.date_to is None:
        return None
    first = filters.date_from.year if filters.date_from else 1
    last = filters.date_to.year if filters.date_to else 9999
    return set(range(first, last + 1))


def _pro_rata(amount: int, start: date, end: date) -> list[tuple[int, int]]:
    """`amount` split by the days of [start, end] in each year, summing exactly to it."""
    days = {
        year: (min(end, date(year, 12, 31)) - max(start, date(year, 1, 1))).days + 1
        for year in range(start.year, end.year + 1)
    }
    total_days = (end - start).days + 1
    shares = {year: amount * d // total_days for year, d in days.items()}
    left = amount - sum(shares.values())
    by_remainder = sorted(days, key=lambda year: (-(amount * days[year] % total_days), year))
    for year in by_remainder[:left]:
        shares[year] += 1
    return sorted(shares.items())


class _Names:
    """Names for the ids that appear in the grouped rows, one query per key grouped on."""

    def __init__(self, session: Session, rows: Sequence[Any], group_by: Sequence[str]) -> None:
        def named(key: str, column: str, columns: Any, shape: Any) -> dict[int, dict[str, Any]]:
            if key not in group_by:
                return {}
            ids = {row[column] for row in rows} - {None}
            if not ids:
                return {}
            table = columns[0].class_
            found = session.execute(select(*columns).where(table.id.in_(ids)))
            return {row.id: shape(row) for row in found}

        self.substances = named(
            "substance",
            "substance_id",
            [Substance.id, Substance.slug, Substance.name_en, Substance.name_ru],
            lambda r: {"slug": r.slug, "name_en": r.name_en, "name_ru": r.name_ru},
        )
        self.countries = named(
            "country",
            "country",
            [Country.id, Country.iso3, Country.name_en],
            lambda r: {"iso3": r.iso3, "name_en": r.name_en},
        )
        self.operations = named(
            "operation",
            "operation",
            [Operation.id, Operation.slug, Operation.name_en],
            lambda r: {"id": r.id, "slug": r.slug, "name_en": r.name_en},
        )
        self.stages = named(
            "stage",
            "stage",
            [Stage.id, Stage.number],
            lambda r: {"id": r.id, "number": r.number},
        )


_UNIT_KINDS = {kind.value: kind for kind in UnitKind}  # faster than UnitKind(value)


def _line(
    group_by: Sequence[str], key: tuple[Any, ...], total: _Sum, names: _Names
) -> dict[str, Any]:
    values = iter(key)
    line: dict[str, Any] = {}
    if "year" in group_by:
        year_or_period = next(values)
        if isinstance(year_or_period, tuple):
            start, end = year_or_period
            line |= {
                "period_start": start,
                "period_end": end,
                "years": list(range(start.year, end.year + 1)),
            }
        else:
            line["year"] = year_or_period
    else:
        next(values)
    if "substance" in group_by:
        line["substance"] = names.substances[next(values)]
        line["unspecified"] = bool(next(values))
    for name, table in (
        ("country", names.countries),
        ("operation", names.operations),
        ("stage", names.stages),
    ):
        if name in group_by:
            found = next(values)
            line[name] = None if found is None else table[found]
    unit_kind = _UNIT_KINDS[next(values)]
    grams = total.amount if unit_kind == UnitKind.MASS else None
    return line | {
        "unit_kind": unit_kind,
        "amount": total.amount,
        "unit": BASE_UNITS[unit_kind],
        "quantity_grams": grams,
        "quantity_kg": None if grams is None else grams / 1000,
        "qualifier": total.qualifier,
        "estimated": total.estimated,
        "reports": total.reports,
    }


def _order(item: tuple[tuple[Any, ...], _Sum]) -> tuple[Any, ...]:
    """Groups in key order, with absent keys (no country, no stage) last."""
    return tuple((True, 0) if value is None else (False, value) for value in item[0])


def possible_double_counts(
    session: Session, filters: SeizureFilters, *, from_reports: bool = True
) -> list[dict[str, Any]]:
    """Pairs of matching reports that could describe the same seizures without being linked:
    same operation and unit kind, overlapping periods, compatible country and stage,
    substances on one branch of the tree, and neither a breakdown of the other. Found in
    the reports, or read from `seizure_overlaps`, where the write path keeps them."""
    first, second = aliased(SeizureReport), aliased(SeizureReport)
    if not from_reports:
        found = session.execute(
            select(SeizureOverlap.first_id, SeizureOverlap.second_id)
            .join(first, first.id == SeizureOverlap.first_id)
            .join(second, second.id == SeizureOverlap.second_id)
            .where(
                *conditions(filters, first, subtree_name="first_subtree"),
                *conditions(filters, second, subtree_name="second_subtree"),
            )
            .order_by(SeizureOverlap.first_id, SeizureOverlap.second_id)
            .limit(MAX_WARNINGS + 1)
        ).all()
        return _warnings([(a, b) for a, b in found])
    on_one_branch = sorted(
        (a, b) for a, related in related_substances(session).items() for b in related
    )
    pairs = session.execute(
        select(first.id, second.id)
        .where(
            *conditions(filters, first, subtree_name="first_subtree"),
            *conditions(filters, second, subtree_name="second_subtree"),
            first.id < second.id,
            first.operation_id == second.operation_id,
            first.unit_kind == second.unit_kind,
            first.period_start <= second.period_end,
            second.period_start <= first.period_end,
            _same_or_unknown(first.country_id, second.country_id),
            _same_or_unknown(first.stage_id, second.stage_id),
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
