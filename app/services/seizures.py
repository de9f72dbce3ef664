"""Rules about seizure reports that the database cannot state as constraints."""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from app.errors import NotFoundError
from app.models import (
    Country,
    Operation,
    SeizureReport,
    SeizureReportYear,
    Source,
    Stage,
    Substance,
)
from app.models.enums import Qualifier, UnitKind
from app.services.common import cited_columns
from app.services.substances import subtree_ids, subtree_ids_query


def breakdown_problems(
    session: Session,
    parent: SeizureReport,
    parts: Sequence[SeizureReport],
    *,
    parent_label: str,
    part_label: Callable[[int, SeizureReport], str],
) -> list[str]:
    """Why `parts` cannot be the breakdown of `parent` ("including ..."); empty if they can.

    A part has the parent's unit kind, a substance at or under the parent's, and a period
    inside the parent's; the parts together never exceed the parent.
    """
    parent_subtree = subtree_ids(session, parent.substance_id)
    problems = []
    for index, part in enumerate(parts):
        label = part_label(index, part)
        if part.unit_kind != parent.unit_kind:
            problems.append(
                f"{label} is a {part.unit_kind} figure but its parent is {parent.unit_kind}"
            )
        if part.substance_id not in parent_subtree:
            problems.append(f"{label}: its substance is not under the parent's substance")
        if part.period_start < parent.period_start or part.period_end > parent.period_end:
            problems.append(f"{label}: its period lies outside the parent's period")
    covered = sum(part.amount for part in parts if part.unit_kind == parent.unit_kind)
    if covered > parent.amount:
        problems.append(
            f"the parts of {parent_label} add up to {covered}, more than its {parent.amount}"
        )
    return problems


BASE_UNITS = {UnitKind.MASS: "g", UnitKind.VOLUME: "ml", UnitKind.COUNT: "items"}


@dataclass(frozen=True)
class SeizureFilters:
    operation_id: int | None = None
    stage_id: int | None = None
    country_id: int | None = None
    substance_id: int | None = None  # includes the substance's descendants
    year: int | None = None
    date_from: date | None = None  # with date_to: reports whose period overlaps the range
    date_to: date | None = None
    qualifier: Qualifier | None = None
    top_level_only: bool = False  # hide breakdown rows
    report_id: int | None = None
    after_id: int = 0
    # The substance's subtree, when already read (see `_subtree_read`); else a recursive CTE.
    substance_ids: tuple[int, ...] | None = None


def list_seizures(
    session: Session, filters: SeizureFilters, limit: int | None
) -> list[dict[str, Any]]:
    filters = _subtree_read(session, filters)
    dialect = session.get_bind().dialect.name
    stmt = _in_year_order(_seizures_query(filters), filters, dialect).limit(limit)
    return [_seizure_out(row) for row in session.execute(stmt)]


def _seizures_query(filters: SeizureFilters) -> Any:
    return (
        select(
            SeizureReport.id,
            Operation.id.label("operation_id"),
            Operation.slug.label("operation_slug"),
            Operation.name_en.label("operation_name"),
            Stage.id.label("stage_id"),
            Stage.number.label("stage_number"),
            Country.iso3.label("country_iso3"),
            Country.name_en.label("country_name"),
            SeizureReport.period_start,
            SeizureReport.period_end,
            Substance.slug.label("substance_slug"),
            Substance.name_en.label("substance_name_en"),
            Substance.name_ru.label("substance_name_ru"),
            SeizureReport.unit_kind,
            SeizureReport.amount,
            SeizureReport.qualifier,
            SeizureReport.cases,
            SeizureReport.as_reported,
            SeizureReport.parent_id,
            SeizureReport.outside_stage,
            *cited_columns(SeizureReport.locator),
        )
        .join(Operation, Operation.id == SeizureReport.operation_id)
        .outerjoin(Stage, Stage.id == SeizureReport.stage_id)
        .outerjoin(Country, Country.id == SeizureReport.country_id)
        .join(Substance, Substance.id == SeizureReport.substance_id)
        .join(Source, Source.id == SeizureReport.source_id)
        .where(*conditions(filters))
    )


def seizure_csv_chunks(session: Session, filters: SeizureFilters) -> Iterator[str]:
    """Every matching report as CSV lines in `csv_columns(SeizureOut)` order, a few thousand
    lines a chunk. A million-row export skips the JSON models and the joins: the names of
    operations, stages, countries, substances and sources are quoted once and reused. Its
    output must equal the generic export's, byte for byte (a test holds it to that)."""
    names = _CsvNames(session)
    filters = _subtree_read(session, filters)
    report = SeizureReport
    stmt = _in_year_order(
        select(
            report.id, report.operation_id, report.stage_id, report.country_id,
            report.period_start, report.period_end, report.substance_id, report.unit_kind,
            report.amount, report.qualifier, report.cases, report.as_reported,
            report.parent_id, report.outside_stage, report.source_id, report.locator,
        ).where(*conditions(filters)),
        filters,
        session.get_bind().dialect.name,
    )  # fmt: skip
    lines = []
    locators: dict[str, str] = {}  # a stage's reports share its locator
    stages, countries = names.stages, names.countries
    for row in driver_rows(session, stmt):
        (id_, operation, stage, country, start, end, substance, unit_kind, amount, qualifier,
         cases, as_reported, parent, outside, source, locator) = row  # fmt: skip
        start, end = str(start), str(end)  # ISO dates, as SQLite stores them
        mass = unit_kind == "mass"
        if (locator_field := locators.get(locator)) is None:
            locator_field = locators[locator] = csv_text(locator)
        lines.append(
            f"{id_},{names.operations[operation]},{stages.get(stage, ',')},"
            f"{countries.get(country, ',')},{start},{end},{_years(start[:4], end[:4])},"
            f"{names.substances[substance]},{unit_kind},{amount},{BASE_UNITS[unit_kind]},"
            f"{amount if mass else ''},{amount / 1000 if mass else ''},{qualifier},"
            f"{'' if cases is None else cases},{csv_text(as_reported)},"
            f"{'' if parent is None else parent},{'true' if outside else 'false'},"
            f"{names.sources[source]},{locator_field}\r\n"
        )
        if len(lines) >= 5000:
            yield "".join(lines)
            lines = []
    yield "".join(lines)


class _CsvNames:
    """The CSV fields of the small tables a report points to, quoted once."""

    def __init__(self, session: Session) -> None:
        def fields(*values: Any) -> str:
            return ",".join(csv_text(v) if isinstance(v, str) else str(v) for v in values)

        self.operations = {
            r.id: fields(r.id, r.slug, r.name_en)
            for r in session.execute(select(Operation.id, Operation.slug, Operation.name_en))
        }
        self.countries = {
            r.id: fields(r.iso3, r.name_en)
            for r in session.execute(select(Country.id, Country.iso3, Country.name_en))
        }
        self.substances = {
            r.id: fields(r.slug, r.name_en, r.name_ru)
            for r in session.execute(
                select(Substance.id, Substance.slug, Substance.name_en, Substance.name_ru)
            )
        }
        self.sources = {
            r.id: fields(r.id, r.slug, r.title)
            for r in session.execute(select(Source.id, Source.slug, Source.title))
        }
        self.stages = {
            r.id: fields(r.id, r.number) for r in session.execute(select(Stage.id, Stage.number))
        }


# Text that a spreadsheet would run as a formula; OWASP's advice is to quote it. Both CSV
# exports (the generic one in app/api/listing.py, and the fast one below) follow this.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


CSV_SPECIAL = re.compile(r'[,"\r\n]')
NEEDS_CARE = re.compile(r'^[=+\-@\t\r]|[,"\r\n]')


def csv_text(value: str | None) -> str:
    """A text field as `csv.writer` writes it (quoted only when it must be), after quoting
    text a spreadsheet would run as a formula (OWASP's advice for CSV)."""
    if value is None:
        return ""
    if not NEEDS_CARE.search(value):
        return value
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    if CSV_SPECIAL.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


@lru_cache(maxsize=4096)
def _years(first: str, last: str) -> str:
    return ";".join(str(year) for year in range(int(first), int(last) + 1))


def driver_rows(session: Session, stmt: Any) -> Iterator[Sequence[Any]]:
    """The statement's rows as the database driver gives them, fetched in batches: at a
    million rows, SQLAlchemy's per-row work would be most of an export's time. PostgreSQL
    streams them from a server-side cursor."""
    connection = session.connection()
    # render_postcompile: an IN list's values become plain parameters of the SQL text.
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    if compiled.positional:
        params: Any = [compiled.params[name] for name in compiled.positiontup]
    else:
        params = compiled.params
    driver = connection.connection.driver_connection
    postgres = connection.dialect.name == "postgresql"
    cursor = driver.cursor(name="ksopn_export") if postgres else driver.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), params)
        while batch := cursor.fetchmany(5000):
            yield from batch
    finally:
        cursor.close()


def _subtree_read(session: Session, filters: SeizureFilters) -> SeizureFilters:
    """`filters` with the substance's subtree read beforehand: a list may wrap its query in
    a LATERAL subquery (`_in_year_order`), where SQLAlchemy's check for cartesian products
    mistakes the recursive CTE for one."""
    if filters.substance_id is None or filters.substance_ids is not None:
        return filters
    return replace(filters, substance_ids=tuple(sorted(subtree_ids(session, filters.substance_id))))


def _in_year_order(stmt: Any, filters: SeizureFilters, dialect: str) -> Any:
    """In id order; with a year, driven by `seizure_report_years`, whose key (year, id)
    holds a year's reports in id order, so a page reads a hundred rows, not the years before."""
    if filters.year is None:
        return stmt.order_by(SeizureReport.id)
    year = SeizureReportYear
    in_year = (year.year == filters.year, year.report_id > filters.after_id)
    if dialect != "postgresql":
        return (
            stmt.join(year, year.report_id == SeizureReport.id)
            .where(*in_year)
            .order_by(year.report_id)
        )
    # PostgreSQL would merge-join instead, walking the reports from the year's lowest id
    # (an old multi-year summary's) through every later report: 150,000 rows for a page of
    # 2018. A LATERAL subquery, fenced by OFFSET 0 so it is not flattened back into a
    # join, makes it look up the reports the year's index gives, in order, one at a time.
    report = stmt.where(SeizureReport.id == year.report_id).offset(0).lateral("report")
    return (
        select(*report.c)
        .select_from(year)
        .join(report, true())
        .where(*in_year)
        .order_by(year.report_id)
    )


def count_seizures(session: Session, filters: SeizureFilters) -> int:
    stmt = select(func.count()).select_from(SeizureReport).where(*conditions(filters))
    if filters.year is not None:
        year = SeizureReportYear
        stmt = stmt.join(year, (year.report_id == SeizureReport.id) & (year.year == filters.year))
    return session.scalar(stmt) or 0


def conditions(
    filters: SeizureFilters,
    report: type[SeizureReport] = SeizureReport,
    *,
    subtree_name: str = "subtree",
) -> list[ColumnElement[bool]]:
    """The WHERE clause of `filters`, on `report` (the table, or an alias of it); each alias
    in one statement needs its own `subtree_name`."""
    where = [report.id > filters.after_id] if filters.after_id else []
    if filters.report_id is not None:
        where.append(report.id == filters.report_id)
    if filters.operation_id is not None:
        where.append(report.operation_id == filters.operation_id)
    if filters.stage_id is not None:
        where.append(report.stage_id == filters.stage_id)
    if filters.country_id is not None:
        where.append(report.country_id == filters.country_id)
    if filters.substance_ids is not None:
        where.append(report.substance_id.in_(filters.substance_ids))
    elif filters.substance_id is not None:
        subtree = subtree_ids_query(filters.substance_id, subtree_name)
        where.append(report.substance_id.in_(subtree))
    if filters.qualifier is not None:
        where.append(report.qualifier == filters.qualifier)
    if filters.top_level_only:
        where.append(report.parent_id.is_(None))
    # A report matches a year or a date range when its period overlaps it.
    if filters.year is not None:
        where.append(report.period_start <= date(filters.year, 12, 31))
        where.append(report.period_end >= date(filters.year, 1, 1))
    if filters.date_from is not None:
        where.append(report.period_end >= filters.date_from)
    if filters.date_to is not None:
        where.append(report.period_start <= filters.date_to)
    return where


def _seizure_out(row: Sequence[Any]) -> dict[str, Any]:
    """A report in `SeizureOut`'s shape and key order (the list writes it without a
    validation pass; see `api.representation`). Unpacked by position, in the order of
    `_seizures_query`'s columns: named access costs more than the rest of the row."""
    (id_, operation_id, operation_slug, operation_name, stage_id, stage_number, country_iso3,
     country_name, start, end, substance_slug, substance_name_en, substance_name_ru,
     unit_kind, amount, qualifier, cases, as_reported, parent_id, outside_stage,
     source_id, source_slug, source_title, source_locator) = row  # fmt: skip
    grams = amount if unit_kind == "mass" else None
    return {
        "source": {
            "id": source_id,
            "slug": source_slug,
            "title": source_title,
            "locator": source_locator,
        },
        "id": id_,
        "operation": {"id": operation_id, "slug": operation_slug, "name_en": operation_name},
        "stage": {"id": stage_id, "number": stage_number} if stage_id else None,
        "country": {"iso3": country_iso3, "name_en": country_name} if country_iso3 else None,
        "period_start": start,
        "period_end": end,
        "years": list(range(start.year, end.year + 1)),
        "substance": {
            "slug": substance_slug,
            "name_en": substance_name_en,
            "name_ru": substance_name_ru,
        },
        "unit_kind": unit_kind,
        "amount": amount,
        "unit": BASE_UNITS[unit_kind],
        "quantity_grams": grams,
        "quantity_kg": None if grams is None else grams / 1000,
        "qualifier": qualifier,
        "cases": cases,
        "as_reported": as_reported,
        "parent_id": parent_id,
        "outside_stage": outside_stage,
    }


def get_seizure(session: Session, report_id: int) -> dict[str, Any]:
    rows = list_seizures(session, SeizureFilters(report_id=report_id), limit=1)
    if not rows:
        raise NotFoundError(f"no seizure report {report_id}")
    return rows[0]


CHUNK = 500  # ids per IN list, well under every database's bound-parameter limit


def related_substances(session: Session) -> dict[int, set[int]]:
    """For each substance: itself, its ancestors and its descendants."""
    parent_of = {
        row.id: row.parent_id for row in session.execute(select(Substance.id, Substance.parent_id))
    }
    related: dict[int, set[int]] = defaultdict(set)
    for substance in parent_of:
        node: int | None = substance
        while node is not None:
            related[substance].add(node)
            related[node].add(substance)
            node = parent_of.get(node)
    return related


def lineages(session: Session, report_ids: Iterable[int]) -> dict[int, set[int]]:
    """For each report, the reports it is (transitively) a part of."""
    parent_of: dict[int, int | None] = {}
    wanted = set(report_ids)
    while wanted:
        chunk = sorted(wanted)
        for start in range(0, len(chunk), CHUNK):
            found = session.execute(
                select(SeizureReport.id, SeizureReport.parent_id).where(
                    SeizureReport.id.in_(chunk[start : start + CHUNK])
                )
            )
            parent_of.update((row.id, row.parent_id) for row in found)
        wanted = {p for p in parent_of.values() if p is not None and p not in parent_of}
        wanted -= set(chunk)
    lineage: dict[int, set[int]] = defaultdict(set)
    for report_id in list(parent_of):
        node = parent_of.get(report_id)
        while node is not None and node not in lineage[report_id]:
            lineage[report_id].add(node)
            node = parent_of.get(node)
    return lineage
