"""Rules about seizure reports that the database cannot state as constraints."""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any

from psycopg.types.string import ByteaBinaryLoader
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    exists,
    extract,
    false,
    func,
    not_,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, aliased

from app.common import cited_columns, subtree_ids, subtree_ids_query
from app.db import DriverStatement, LoopReads
from app.errors import NotFoundError
from app.http.listing import FORMULA_STARTS, csv_text
from app.models import (
    Country,
    DataVersion,
    Operation,
    SeizureReport,
    SeizureReportYear,
    Source,
    Stage,
    Substance,
)
from app.models.enums import Qualifier, UnitKind
from app.models.versions import changed_at_selected, note_read_with_facts
from app.seizures import csv_sql

BASE_UNITS = {UnitKind.MASS: "g", UnitKind.VOLUME: "ml", UnitKind.COUNT: "items"}
NO_ID = 0  # a stage or country filter of 0 means "reports without one" (the sum tables' key)
ANY_ID = -1  # a stage or country filter of -1 means "reports with one", whichever
FIRST_DAY, LAST_DAY = date(1, 1, 1), date(9999, 12, 31)


@dataclass(frozen=True)
class SeizureFilters:
    """Which reports a list, a count, a total or an export is about: one model, compiled to
    SQL by `conditions` for the reports and for the sum tables alike."""

    operation_id: int | None = None
    stage_id: int | None = None  # NO_ID: reports of no stage
    country_id: int | None = None  # NO_ID: reports of no country
    substance_id: int | None = None
    descendants: bool = True  # the substance's descendants too (hashish under cannabis)
    unit_kind: UnitKind | None = None
    # The window: `year` and `from`/`to` together. A report matches when its period
    # overlaps the window; `within_window` keeps those inside it (True) or reaching out (False).
    year: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    within_window: bool | None = None
    period: tuple[date, date] | None = None  # exactly this period
    has_parts: bool | None = None  # has breakdown rows (its own quantity is a remainder)
    counted: bool = False  # only reports that add something to totals
    qualifier: Qualifier | None = None
    top_level_only: bool = False  # hide breakdown rows
    report_id: int | None = None
    after_id: int = 0
    # The list's `allocate=pro_rata`: each report's share of the window, by days.
    allocate_pro_rata: bool = False
    # The substance's subtree, when already read (see `_subtree_read`); else a recursive CTE.
    substance_ids: tuple[int, ...] | None = None

    @property
    def window(self) -> tuple[date, date] | None:
        """The dates asked about, or None when no `year`, `from` or `to` is given."""
        if self.year is None and self.date_from is None and self.date_to is None:
            return None
        first = max(self.date_from or FIRST_DAY, date(self.year or 1, 1, 1))
        last = min(self.date_to or LAST_DAY, date(self.year or 9999, 12, 31))
        return first, last


class NeedsReportsError(Exception):
    """A filter the sum tables cannot answer; the reports themselves must."""


@dataclass(frozen=True)
class FilterTarget:
    """The columns a filter is compiled against: the reports, or a sum table, whose rows
    group reports by their keys (absent stage or country is 0, and a report within one
    calendar year is stored under the whole year)."""

    operation: ColumnElement[Any]
    stage: ColumnElement[Any]
    country: ColumnElement[Any]
    substance: ColumnElement[Any]
    unit_kind: ColumnElement[Any]
    stated_qualifier: ColumnElement[Any]
    period_start: ColumnElement[Any]
    period_end: ColumnElement[Any]
    has_parts: ColumnElement[bool]
    counted: ColumnElement[bool] | None  # None: every row counts
    report: Any = None  # the reports table or an alias; None for a sum table

    @property
    def by_whole_years(self) -> bool:
        return self.report is None


def covered_amount(report: Any = SeizureReport) -> Any:
    """What a report's breakdown rows name of it: the sum of its parts' amounts."""
    part = aliased(SeizureReport)
    # PostgreSQL sums bigints into a numeric; the cast keeps it an integer for the driver.
    total = cast(func.coalesce(func.sum(part.amount), 0), BigInteger)
    return select(total).where(part.parent_id == report.id).scalar_subquery()


def has_parts(report: Any = SeizureReport) -> Any:
    """Whether a report has breakdown rows (its own quantity is then a remainder)."""
    part = aliased(SeizureReport)
    return exists().where(part.parent_id == report.id)


def has_inexact_parts(report: Any = SeizureReport) -> Any:
    """Whether a breakdown row of the report is "at least" or "about": its remainder is
    then only an approximation."""
    part = aliased(SeizureReport)
    return exists().where(part.parent_id == report.id, part.qualifier != Qualifier.EXACT)


# Built once per table or alias: making the subqueries cost 1.6 ms, on every list request.
@lru_cache(maxsize=16)
def report_target(report: Any = SeizureReport) -> FilterTarget:
    return FilterTarget(
        operation=report.operation_id,
        stage=report.stage_id,
        country=report.country_id,
        substance=report.substance_id,
        unit_kind=report.unit_kind,
        stated_qualifier=report.qualifier,
        period_start=report.period_start,
        period_end=report.period_end,
        has_parts=has_parts(report),
        # Its own quantity is more than nothing, or its "at least" or "about" must carry
        # through to the totals (`totals.own_quantities` sums what counts).
        # Another source's version of a counted report (`alternative_to`) never counts.
        counted=and_(
            report.alternative_to_id.is_(None),
            or_(
                report.amount > covered_amount(report),
                report.qualifier != Qualifier.EXACT.value,
                has_inexact_parts(report),
            ),
        ),
        report=report,
    )


def conditions(
    filters: SeizureFilters,
    report: Any = SeizureReport,
    *,
    subtree_name: str = "subtree",
) -> list[ColumnElement[bool]]:
    """The WHERE clause of `filters` on `report` (the table, or an alias of it); each alias
    in one statement needs its own `subtree_name`."""
    return compile_filters(filters, report_target(report), subtree_name=subtree_name)


def compile_filters(
    filters: SeizureFilters, target: FilterTarget, *, subtree_name: str = "subtree"
) -> list[ColumnElement[bool]]:
    """The WHERE clause of `filters` on `target`; raises NeedsReportsError for a sum table that
    cannot answer them exactly."""
    where: list[ColumnElement[bool]] = []
    report = target.report
    if filters.after_id or filters.report_id is not None or filters.top_level_only:
        if report is None:
            raise NeedsReportsError
        if filters.after_id:
            where.append(report.id > filters.after_id)
        if filters.report_id is not None:
            where.append(report.id == filters.report_id)
        if filters.top_level_only:
            where.append(report.parent_id.is_(None))
    if filters.operation_id is not None:
        where.append(target.operation == filters.operation_id)
    for column, value in ((target.stage, filters.stage_id), (target.country, filters.country_id)):
        if value == NO_ID and report is not None:
            where.append(column.is_(None))
        elif value == ANY_ID:
            where.append(column.is_not(None) if report is not None else column != NO_ID)
        elif value is not None:
            where.append(column == value)
    where += _substance_condition(filters, target, subtree_name)
    if filters.unit_kind is not None:
        where.append(target.unit_kind == filters.unit_kind)
    if filters.qualifier is not None:
        where.append(target.stated_qualifier == filters.qualifier)
    if filters.has_parts is not None:
        where.append(target.has_parts if filters.has_parts else ~target.has_parts)
    if filters.counted and target.counted is not None:
        where.append(target.counted)
        where.append(~left_out(filters, report))
    return where + _period_conditions(filters, target)


def _substance_condition(
    filters: SeizureFilters, target: FilterTarget, subtree_name: str
) -> list[ColumnElement[bool]]:
    if filters.substance_id is None:
        return []
    if not filters.descendants:
        return [target.substance == filters.substance_id]
    if filters.substance_ids is not None:
        return [target.substance.in_(filters.substance_ids)]
    return [target.substance.in_(subtree_ids_query(filters.substance_id, subtree_name))]


def _period_conditions(filters: SeizureFilters, target: FilterTarget) -> list[ColumnElement[bool]]:
    start, end = target.period_start, target.period_end
    where: list[ColumnElement[bool]] = []
    window = filters.window
    if window is not None:
        first, last = window
        if target.by_whole_years and not whole_years(first, last):
            raise NeedsReportsError  # a single-year row's own dates are not kept there
        where += [start <= last, end >= first]
        if filters.within_window is not None:
            inside = and_(start >= first, end <= last)
            where.append(inside if filters.within_window else ~inside)
    if filters.period is not None:
        period_start, period_end = filters.period
        if target.by_whole_years and period_start.year == period_end.year:
            raise NeedsReportsError
        where += [start == period_start, end == period_end]
    return where


def whole_years(first: date, last: date) -> bool:
    return (first.month, first.day) == (1, 1) and (last.month, last.day) == (12, 31)


def within(period_start: date, period_end: date, window: tuple[date, date] | None) -> bool | None:
    """Whether a period lies inside the window; None without a window."""
    if window is None:
        return None
    return window[0] <= period_start and period_end <= window[1]


def left_out(
    filters: SeizureFilters,
    report: Any,
    *,
    by_year: bool = False,
    covered_by: Any = None,
    multi_year: Any = None,
) -> ColumnElement[bool]:
    """Whether a report (or a sum row) within a broader figure is left out of the totals of
    `filters`: it is when that figure answers the same question, so the two are never
    added. The figure answers when it matches the filters other than the substance's (its
    breakdown by substance, or its unitemized rest, holds whatever the report names) and
    falls in the same part of the answer: both inside the window (or one calendar year, by
    year) or both beyond it. A pro-rata total puts everything in the window, so there it
    answers whenever it matches. Elsewhere the report counts: the figure of a stage, where
    its year's summary reaches beyond the window or names no stage."""
    asked = replace(
        filters,
        substance_id=None,
        substance_ids=None,
        descendants=True,
        has_parts=None,
        counted=False,
        qualifier=None,
        top_level_only=False,
        report_id=None,
        after_id=0,
    )
    if report is SeizureReport and covered_by is None:
        return _left_out_of_reports(asked)
    return _left_out(asked, report, by_year, covered_by, multi_year)


@lru_cache(maxsize=256)
def _left_out_of_reports(asked: SeizureFilters) -> ColumnElement[bool]:
    """`left_out` of the reports table, built once per question: every list and export
    asks it (the pages of one list share it: the cursor is not part of the question)."""
    return _left_out(asked, SeizureReport, False, None, None)


def _left_out(
    filters: SeizureFilters, report: Any, by_year: bool, covered_by: Any, multi_year: Any
) -> ColumnElement[bool]:
    within_id = report.within_id if covered_by is None else covered_by
    cover = _COVER
    matches = [
        cover.id == within_id,
        cover.alternative_to_id.is_(None),
        *compile_filters(filters, report_target(cover), subtree_name="cover_subtree"),
    ]
    if not filters.allocate_pro_rata:
        own_beyond = beyond_window(
            filters.window, report.period_start, report.period_end, by_year, multi_year
        )
        cover_beyond = beyond_window(filters.window, cover.period_start, cover.period_end, by_year)
        if own_beyond is not None and cover_beyond is not None:
            matches.append(
                or_(and_(own_beyond, cover_beyond), and_(not_(own_beyond), not_(cover_beyond)))
            )
    none = within_id.is_(None) if covered_by is None else within_id == 0
    return case((none, false()), else_=exists().where(*matches))


# One alias for every statement: `report_target` keeps its subqueries per alias, and a new
# alias per request built them again (a third of a stage post's time).
_COVER = aliased(SeizureReport, name="cover")


def beyond_window(
    window: tuple[date, date] | None, start: Any, end: Any, by_year: bool, multi_year: Any = None
) -> ColumnElement[bool] | None:
    """Whether a period reaches beyond the window (or, by year, one calendar year): the
    part of a totals answer it goes to (`beyond_window`). None: every period is inside.
    `multi_year`, where the rows carry it, saves comparing the years of `start` and `end`."""
    beyond = []
    if window is not None:
        beyond.append(not_(and_(start >= window[0], end <= window[1])))
    if by_year:
        if multi_year is None:
            multi_year = cast(extract("year", start), Integer) != cast(
                extract("year", end), Integer
            )
        beyond.append(multi_year)
    return or_(*beyond) if beyond else None


def list_seizures(
    session: Session, filters: SeizureFilters, limit: int | None
) -> list[dict[str, Any]]:
    filters = _subtree_read(session, filters)
    dialect = session.get_bind().dialect.name
    stmt = _in_year_order(_seizures_query(filters), filters, dialect).limit(limit)
    window = filters.window
    # On the connection: the session's ORM result path cost a third of the query's time.
    pro_rata = filters.allocate_pro_rata
    return [_seizure_out(row, window, pro_rata) for row in session.connection().execute(stmt)]


def list_year_page(
    session: Session, year: int | None, after_id: int, limit: int
) -> list[dict[str, Any]]:
    """`list_seizures` of the reports of a year (or of every report) after `after_id`, the
    same rows, from a statement built once per year with the cursor and the limit bound:
    building the statement and its cache key for every page took 40% of a page of 100 on
    SQLite (1.74 ms, 1.00 ms reused). The year list's fast path (`fast_list`) reads it."""
    stmt = _year_page(year, session.get_bind().dialect.name)
    rows = session.connection().execute(stmt, {"after_id": after_id, "page_limit": limit})
    window = SeizureFilters(year=year).window
    return [_seizure_out(row, window) for row in rows]


@lru_cache(maxsize=64)
def _year_page(year: int | None, dialect: str) -> Any:
    filters = SeizureFilters(year=year)
    after = bindparam("after_id", type_=Integer)
    stmt = _seizures_query(filters)
    if year is None:
        stmt = stmt.where(SeizureReport.id > after)
    return _in_year_order(stmt, filters, dialect, after=after).limit(
        bindparam("page_limit", type_=Integer)
    )


def _seizures_query(filters: SeizureFilters) -> Any:
    return (
        _list_select()
        .add_columns(left_out(filters, SeizureReport).label("left_out"))
        .where(*conditions(filters))
    )


@lru_cache(maxsize=1)
def _list_select() -> Any:
    """The list's columns and joins, built once: building them for every request (the
    `covered` subquery above all) doubled the time of a page of 100 (4.4 ms, 2.2 built once)."""
    return (
        select(
            SeizureReport.id,
            Operation.id.label("operation_id"),
            Operation.slug.label("operation_slug"),
            Operation.name_en.label("operation_name"),
            Operation.name_ru.label("operation_name_ru"),
            Stage.id.label("stage_id"),
            Stage.number.label("stage_number"),
            Country.iso3.label("country_iso3"),
            Country.name_en.label("country_name"),
            Country.name_ru.label("country_name_ru"),
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
            SeizureReport.scope,
            SeizureReport.alternative_to_id,
            SeizureReport.within_id,
            covered_amount().label("covered"),
            *cited_columns(SeizureReport.locator),
        )
        .join(Operation, Operation.id == SeizureReport.operation_id)
        .outerjoin(Stage, Stage.id == SeizureReport.stage_id)
        .outerjoin(Country, Country.id == SeizureReport.country_id)
        .join(Substance, Substance.id == SeizureReport.substance_id)
        .join(Source, Source.id == SeizureReport.source_id)
    )


# What `app.http.listing.csv_text` changes, in a batch's texts joined by NUL bytes: the
# characters that make a field quoted, and a formula's first character after a NUL.
_FORMULA_STARTS = tuple(start.encode() for start in FORMULA_STARTS)
_CARE = (b",", b'"', b"\r", b"\n", *(b"\x00" + start for start in _FORMULA_STARTS))


def _plain(texts: list[bytes]) -> bool:
    """Whether `csv_text` leaves every one of `texts` as it is: most batches' free texts
    need nothing, and a few scans of the batch replace a regular expression a row."""
    joined = b"\x00".join(texts)
    return not joined.startswith(_FORMULA_STARTS) and not any(care in joined for care in _CARE)


def seizure_csv_chunks(session: Session, filters: SeizureFilters) -> Iterator[bytes]:
    """Every matching report as CSV lines in `csv_columns(SeizureOut)` order, a few thousand
    lines a chunk, in UTF-8. A million-row export skips the JSON models and the joins: the
    names of operations, stages, countries, substances and sources are quoted once and
    reused, every text comes from the database as UTF-8 bytes (`csv_sql`), so nothing is
    decoded or encoded a row, and each line is one bytes formatting. Its output must equal
    the generic export's, byte for byte (tests hold it to that)."""
    names = _CsvNames(session)
    filters = _subtree_read(session, filters)
    report = SeizureReport
    dialect = session.get_bind().dialect.name
    counts = and_(not_(left_out(filters, report)), report.alternative_to_id.is_(None))

    def as_bytes(column: Any) -> Any:
        return csv_sql.as_bytes(column, dialect)

    stmt = _in_year_order(
        select(
            report.id, report.operation_id, report.stage_id, report.country_id,
            csv_sql.period_key(dialect), report.substance_id,
            as_bytes(report.unit_kind), report.amount, as_bytes(report.qualifier),
            as_bytes(report.cases), as_bytes(report.as_reported),
            csv_sql.parent_to_within(dialect),
            # What the report adds before its parts: nothing for another source's version
            # of a counted report, nor for a figure whose broader figure is counted.
            case((counts, report.amount)),
            report.source_id, as_bytes(report.locator),
        ).where(*conditions(filters)),
        filters,
        dialect,
    ).execution_options(**{csv_sql.TEXT_AS_BYTES: True})  # fmt: skip
    # Quoted or written once, reused: a stage's reports share its locator, and a million
    # reports have about ten thousand periods (their fields and years).
    locators: dict[bytes, bytes] = {}
    periods: dict[bytes | int, tuple[bytes, bool]] = {}
    operations, stages, countries = names.operations, names.stages, names.countries
    substances, sources = names.substances, names.sources
    window = filters.window
    pro_rata = filters.allocate_pro_rata
    first, last = (str(day) for day in window or (FIRST_DAY, LAST_DAY))
    # With a window, each row writes its three fields; without, only what it adds.
    line = b"%d,%b,%b,%b,%b,%b,%b,%b,%b,%b,%b" + (b"%b" if window else b",,%d,") + b",%b,%b\r\n"
    units = {kind.encode(): unit.encode() for kind, unit in BASE_UNITS.items()}
    mass = UnitKind.MASS.encode()
    grams = mass + b",%d," + units[mass] + b",%d,"
    exact_grams, other_grams = grams + b"%d.%b", grams + b"%r"
    covered_sums = _CoveredSums(session)
    plain_parent_to_within = csv_sql.PLAIN_PARENT_TO_WITHIN
    _without_jit(session)
    for batch in driver_batches(session, stmt):
        covered = covered_sums(batch[0][0], batch[-1][0]).get
        if len(periods) > 100_000:  # bounded, whatever the data
            periods.clear()
        plain = _plain([row[10] for row in batch])
        lines: list[bytes] = []
        append = lines.append
        # One line a row, written in one formatting: each step more (a tuple, a call) cost
        # a tenth of a microsecond a row, for a million rows.
        for (id_, operation, stage, country, period, substance, unit_kind, amount, qualifier,
             cases, as_reported, parent_to_within, base, source, locator) in batch:  # fmt: skip
            if (known := periods.get(period)) is None:
                known = periods[period] = _period_fields(period, first, last)
            adds = 0 if base is None else base - covered(id_, 0)
            if (locator_field := locators.get(locator)) is None:
                locator_field = locators[locator] = _csv_bytes(locator)
            append(
                line
                % (
                    id_, operations[operation], stages.get(stage, b","),
                    countries.get(country, b",,"), known[0], substances[substance],
                    b"%b,%d,%b,," % (unit_kind, amount, units[unit_kind])
                    if unit_kind != mass
                    else exact_grams % (amount, amount, amount // 1000, THOUSANDTHS[amount % 1000])
                    if amount < csv_sql.EXACT_GRAMS_BELOW
                    else other_grams % (amount, amount, amount / 1000),
                    qualifier, cases or b"", as_reported if plain else _csv_bytes(as_reported),
                    parent_to_within or plain_parent_to_within,
                    adds if window is None
                    else _window_fields(adds, known[1], period, window, pro_rata),
                    sources[source], locator_field,
                )
            )  # fmt: skip
        yield b"".join(lines)


# Kilograms of `grams` below csv_sql.EXACT_GRAMS_BELOW as Python writes `grams / 1000`
# (the shortest text that reads back as the same float, here the exact decimal): the
# whole kilograms, a point, and these digits of the rest (`3.5`, `3.05`, `3.0`).
THOUSANDTHS = [(b"%03d" % grams).rstrip(b"0") or b"0" for grams in range(1000)]


def _window_fields(
    adds: int, inside: bool, period: bytes | int, window: tuple[date, date], pro_rata: bool
) -> bytes:
    """`within_window`, `counted_amount` and `allocated_amount` of a row of a windowed list."""
    if inside:
        return b",true,%d,%d" % (adds, adds) if pro_rata else b",true,%d," % adds
    return b",false,,%d" % _csv_allocated(adds, period, window) if pro_rata else b",false,,"


def _csv_bytes(text: bytes) -> bytes:
    return csv_text(text.decode()).encode()


def _csv_allocated(adds: int, period: bytes | int, window: tuple[date, date]) -> int:
    """`_allocated` of a row's `csv_sql.period_key`."""
    start, end = csv_sql.period_dates(period)
    return _allocated(adds, date.fromisoformat(start), date.fromisoformat(end), window)


def _period_fields(period: bytes | int, first: str, last: str) -> tuple[bytes, bool]:
    """A period's CSV fields (start, end, its years) from its `csv_sql.period_key`, and
    whether it lies within the window from `first` to `last` (ISO dates compare as text)."""
    start, end = csv_sql.period_dates(period)
    years = ";".join(str(year) for year in range(int(start[:4]), int(end[:4]) + 1))
    return f"{start},{end},{years}".encode(), first <= start and end <= last


class _CsvNames:
    """The CSV fields of the small tables a report points to, quoted once."""

    def __init__(self, session: Session) -> None:
        def fields(*values: Any) -> bytes:
            return ",".join(
                csv_text(v) if isinstance(v, str) else "" if v is None else str(v) for v in values
            ).encode()

        self.operations = {
            r.id: fields(r.id, r.slug, r.name_en, r.name_ru)
            for r in session.execute(
                select(Operation.id, Operation.slug, Operation.name_en, Operation.name_ru)
            )
        }
        self.countries = {
            r.id: fields(r.iso3, r.name_en, r.name_ru)
            for r in session.execute(
                select(Country.id, Country.iso3, Country.name_en, Country.name_ru)
            )
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


def _covered_between(session: Session, first_id: int, last_id: int) -> dict[int, int]:
    """`covered_amount` of the reports from `first_id` to `last_id` that have parts, in one
    range of the parents' index: asked of each of a million exported rows instead, it was a
    fifth of the export's time (1.1 s of 5.5)."""
    return _CoveredSums(session)(first_id, last_id)


class _CoveredSums:
    """`_covered_between` through the driver, compiled once per export: through SQLAlchemy,
    a batch's query took longer than its SQL (0.39 µs a row of the batch against 0.16)."""

    def __init__(self, session: Session) -> None:
        part = SeizureReport
        stmt = (
            select(part.parent_id, cast(func.sum(part.amount), BigInteger))
            .where(part.parent_id.between(bindparam("first_id"), bindparam("last_id")))
            .group_by(part.parent_id)
        )
        self.driver, self.sql, self.params = _for_driver(session, stmt)

    def __call__(self, first_id: int, last_id: int) -> dict[int, int]:
        cursor = self.driver.cursor()
        try:
            cursor.execute(self.sql, self.params({"first_id": first_id, "last_id": last_id}))
            return {parent: covered for parent, covered in cursor.fetchall() if parent}
        finally:
            cursor.close()


def _for_driver(session: Session, stmt: Any) -> tuple[Any, str, Callable[[dict[str, Any]], Any]]:
    """The session's driver connection, the statement's SQL for it, and its parameters as
    the driver takes them, with `values` given for some (`bindparam`)."""
    connection = session.connection()
    statement = DriverStatement.of(stmt, connection.dialect, processed=False)
    return connection.connection.driver_connection, statement.sql, statement.params


def _without_jit(session: Session) -> None:
    """No JIT compilation for the rest of an export's transaction, on PostgreSQL: the
    export's plan is cheap per row and costs more than JIT's threshold, so opening its
    cursor compiled it first, 200-650 ms of 200,000 rows' export (25-55 ms without)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def driver_rows(session: Session, stmt: Any) -> Iterator[Sequence[Any]]:
    """`driver_batches`' rows one by one."""
    for batch in driver_batches(session, stmt):
        yield from batch


def driver_batches(session: Session, stmt: Any) -> Iterator[Sequence[Sequence[Any]]]:
    """The statement's rows as the database driver gives them, in batches of 5,000: at a
    million rows, SQLAlchemy's per-row work would be most of an export's time. PostgreSQL
    streams them from a server-side cursor, in binary, with text as UTF-8 bytes when the
    statement asks (`csv_sql.TEXT_AS_BYTES`)."""
    driver, sql, params = _for_driver(session, stmt)
    postgres = session.get_bind().dialect.name == "postgresql"
    cursor = driver.cursor(name="ksopn_export") if postgres else driver.cursor()
    try:
        if postgres and stmt.get_execution_options().get(csv_sql.TEXT_AS_BYTES):
            for text_type in ("text", "varchar"):
                cursor.adapters.register_loader(text_type, ByteaBinaryLoader)
            cursor.execute(sql, params({}), binary=True)  # text as it is, numbers unparsed
        else:
            cursor.execute(sql, params({}))
        while batch := cursor.fetchmany(5000):
            yield batch
    finally:
        cursor.close()


def _subtree_read(session: Session, filters: SeizureFilters) -> SeizureFilters:
    """`filters` with the substance's subtree read beforehand: a list may wrap its query in
    a LATERAL subquery (`_in_year_order`), where SQLAlchemy's check for cartesian products
    mistakes the recursive CTE for one."""
    if filters.substance_id is None or filters.substance_ids is not None:
        return filters
    return replace(filters, substance_ids=tuple(sorted(subtree_ids(session, filters.substance_id))))


def _in_year_order(stmt: Any, filters: SeizureFilters, dialect: str, after: Any = None) -> Any:
    """In id order; with a year, driven by `seizure_report_years`, whose key (year, id)
    holds a year's reports in id order, so a page reads a hundred rows, not the years before.
    `after`: the id the year's rows start after, when not `filters.after_id` (a bound one)."""
    if filters.year is None:
        return stmt.order_by(SeizureReport.id)
    year = SeizureReportYear
    after = filters.after_id if after is None else after
    in_year = (year.year == filters.year, year.report_id > after)
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


def _seizure_out(
    row: Sequence[Any], window: tuple[date, date] | None, pro_rata: bool = False
) -> dict[str, Any]:
    """A report in `SeizureOut`'s shape and key order (the list writes it without a
    validation pass; see `api.representation`). Unpacked by position, in the order of
    `_seizures_query`'s columns: named access costs more than the rest of the row."""
    (id_, operation_id, operation_slug, operation_name, operation_name_ru, stage_id,
     stage_number, country_iso3, country_name, country_name_ru, start, end, substance_slug,
     substance_name_en, substance_name_ru,
     unit_kind, amount, qualifier, cases, as_reported, parent_id, outside_stage, scope,
     alternative_to, within_id, covered, source_id, source_slug, source_title,
     source_locator, is_left_out) = row  # fmt: skip
    inside = within(start, end, window)
    adds = 0 if is_left_out else adds_to_totals(amount, covered, alternative_to)
    return {
        "source": {
            "id": source_id,
            "slug": source_slug,
            "title": source_title,
            "locator": source_locator,
        },
        "id": id_,
        "operation": {
            "id": operation_id,
            "slug": operation_slug,
            "name_en": operation_name,
            "name_ru": operation_name_ru,
        },
        "stage": {"id": stage_id, "number": stage_number} if stage_id else None,
        "country": (
            {"iso3": country_iso3, "name_en": country_name, "name_ru": country_name_ru}
            if country_iso3
            else None
        ),
        **period_fields(start, end),
        "substance": {
            "slug": substance_slug,
            "name_en": substance_name_en,
            "name_ru": substance_name_ru,
        },
        **figure_fields(
            unit_kind,
            amount,
            qualifier,
            cases,
            as_reported,
            parent_id,
            outside_stage,
            scope,
            alternative_to,
            within_id,
        ),
        "within_window": inside,
        # What the report adds to the window's totals: its remainder after its parts
        # (nothing for another source's version of a counted report, nor for a figure whose
        # broader figure is counted instead).
        "counted_amount": None if inside is False else adds,
        "allocated_amount": (
            _allocated(adds, start, end, window) if pro_rata and window is not None else None
        ),
    }


def period_fields(start: date, end: date) -> dict[str, Any]:
    """A report's period as the list writes it (`_seizure_out`, `list_items`)."""
    return {
        "period_start": start,
        "period_end": end,
        "years": list(range(start.year, end.year + 1)),
    }


def figure_fields(
    unit_kind: UnitKind,
    amount: int,
    qualifier: str,
    cases: int | None,
    as_reported: str | None,
    parent_id: int | None,
    outside_stage: bool,
    scope: str | None,
    alternative_to: int | None,
    within_id: int | None,
) -> dict[str, Any]:
    """A report's figure and its links as the list writes them (`_seizure_out`, `list_items`)."""
    grams = amount if unit_kind == "mass" else None
    return {
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
        "scope": scope,
        "alternative_to": alternative_to,
        "within": within_id,
    }


def seizure_out(row: Sequence[Any]) -> dict[str, Any]:
    """A report as a list without a window gives it, from a row laid out as the list's
    query lays it out (`_list_select`'s columns, then `left_out`): a stage post's 201 builds
    its reports so from what it wrote (app/operations/posted.py)."""
    return _seizure_out(row, None)


def _allocated(adds: int, start: date, end: date, window: tuple[date, date]) -> int:
    """The share by days of what a report adds that falls in the window (all of it when its
    period lies inside): what it gives a pro-rata total's line."""
    first, last = max(window[0], start), min(window[1], end)
    return share_of_days(adds, start, end, first, last) if first <= last else 0


def share_of_days(amount: int, start: date, end: date, first: date, last: date) -> int:
    """The share of `amount`, stated for the days `start` to `end`, that falls on the days
    `first` to `last` (inside them), in proportion to the days. Each day's running total is
    rounded to the nearest unit and a range gets the difference of its ends' running totals,
    so a share depends on its own days alone: the shares of any split of the period add up
    exactly to `amount`, and a report's share of a year is the same whichever other cuts a
    total makes (the list's `allocated_amount` gives each report's share, and the lines of
    a pro-rata total are their sums)."""
    total_days = (end - start).days + 1

    def running(days: int) -> int:  # the nearest unit, halves up, in integers
        return (2 * amount * days + total_days) // (2 * total_days)

    return running((last - start).days + 1) - running((first - start).days)


def adds_to_totals(amount: int, covered: int, alternative_to: int | None) -> int:
    """What a report adds to a total that counts it: its remainder after its parts, and
    nothing for another source's version of a counted report."""
    return 0 if alternative_to is not None else amount - covered


def get_seizure(session: Session, report_id: int) -> dict[str, Any]:
    """A report as the list writes it (`list_seizures` of its id, the same row)."""
    rows = _reports(session, report_id, with_alternatives=False)
    if not rows:
        raise NotFoundError(f"no seizure report {report_id}")
    return rows[0]


def get_seizure_detail(session: Session, report_id: int) -> dict[str, Any]:
    """A report with every other version of its figure: those of the counted report (of
    this one, or of the one it is an alternative to), this one left out."""
    versions = _reports(session, report_id, with_alternatives=True)
    report = next((version for version in versions if version["id"] == report_id), None)
    if report is None:
        raise NotFoundError(f"no seizure report {report_id}")
    counted = report["alternative_to"] or report_id
    if counted != report_id:  # an alternative: the versions are the counted report's
        versions = _reports(session, counted, with_alternatives=True)
    return _with_versions(report, versions, counted)


def _with_versions(
    report: dict[str, Any], versions: list[dict[str, Any]], counted: int
) -> dict[str, Any]:
    """The report with the other versions of its figure: the counted report first, then
    its alternatives in id order."""
    versions.sort(key=lambda version: version["id"] != counted)
    report["alternatives"] = [v for v in versions if v["id"] != report["id"]]
    report["sources_disagree"] = bool(report["alternatives"])
    return report


async def report_in_loop(
    reads: LoopReads, session: Session, report_id: int
) -> dict[str, Any] | None:
    """`get_seizure_detail` of a counted report, its one statement read in the event loop
    with the data version and the time of the facts' last change (`app.db.LoopReads`):
    on PostgreSQL the session's read took a worker thread, BEGIN, the time and version,
    the statement and COMMIT. None when it is read as `get_seizure_detail` reads it: the
    loop read nothing, there is no such report (the route's 404), or the report is
    another's version (the counted report's versions are a second statement)."""
    bind = session.get_bind()
    statement, processors = _reports_in_loop(bind.dialect)
    rows = await reads.fetch(statement.sql, statement.params({"report_id": report_id}))
    if not rows:
        return None
    versions = [
        _seizure_out([p(v) if p else v for p, v in zip(processors, row, strict=False)], None)
        for row in rows
    ]
    report = next((version for version in versions if version["id"] == report_id), None)
    if report is None or report["alternative_to"] is not None:
        return None
    version, changed_at = rows[0][-2:]
    note_read_with_facts(session, version, changed_at, bind.dialect)
    return _with_versions(report, versions, report_id)


@lru_cache(maxsize=4)
def _reports_in_loop(dialect: Dialect) -> tuple[DriverStatement, list[Any]]:
    """`_reports_statement` with the data version and its time after the report's columns,
    for the driver, with the result processors SQLAlchemy would apply to each column (on
    SQLite a date is text to the driver)."""
    stmt = _reports_statement(True).add_columns(
        select(DataVersion.version).scalar_subquery(),
        select(changed_at_selected(dialect.name)).scalar_subquery(),
    )
    processors = [
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in stmt.selected_columns[:-2]
    ]
    return DriverStatement.of(stmt, dialect), processors


def _reports(session: Session, report_id: int, *, with_alternatives: bool) -> list[dict[str, Any]]:
    """The report, and with `with_alternatives` the reports that are its alternatives, in
    id order, each as `list_seizures` writes it, read by one statement built once: building
    one per read (its filters, its `left_out`, its cache key) took most of a record's time,
    and the record read its report twice and then each alternative by itself."""
    stmt = _reports_statement(with_alternatives)
    rows = session.connection().execute(stmt, {"report_id": report_id})
    return [_seizure_out(row, None) for row in rows]


@lru_cache(maxsize=2)
def _reports_statement(with_alternatives: bool) -> Any:
    """`list_seizures`'s statement without a window or a year (`left_out` as of no
    filters: it ignores the report's id), of one report and maybe its alternatives."""
    stmt = _seizures_query(SeizureFilters())
    report_id = bindparam("report_id", type_=Integer)
    if not with_alternatives:
        return stmt.where(SeizureReport.id == report_id).order_by(SeizureReport.id)
    # By their ids, each looked up by its key: with `OR alternative_to_id =` SQLite read the
    # whole table.
    alternatives = select(_ALTERNATIVE.id).where(_ALTERNATIVE.alternative_to_id == report_id)
    ids = union_all(select(report_id), alternatives)
    return stmt.where(SeizureReport.id.in_(ids)).order_by(SeizureReport.id)


_ALTERNATIVE = aliased(SeizureReport, name="alternative")


CHUNK = 500  # ids per IN list, well under every database's bound-parameter limit


def related_substances(session: Session) -> dict[int, set[int]]:
    """For each substance: itself, its ancestors and its descendants."""
    substances = session.connection().execute(_substance_parents())
    parent_of = {row.id: row.parent_id for row in substances}
    related: dict[int, set[int]] = defaultdict(set)
    for substance in parent_of:
        node: int | None = substance
        while node is not None:
            related[substance].add(node)
            related[node].add(substance)
            node = parent_of.get(node)
    return related


@lru_cache(maxsize=1)
def _substance_parents() -> Any:
    """Built once: every write of a report reads it at its commit."""
    return select(Substance.id, Substance.parent_id)


def parents(session: Session, report_ids: Iterable[int]) -> dict[int, int | None]:
    """The parent of each report, and of each report these are (transitively) parts of."""
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
    return parent_of


def lineages(session: Session, report_ids: Iterable[int]) -> dict[int, set[int]]:
    """For each report, the reports it is (transitively) a part of."""
    parent_of = parents(session, report_ids)
    lineage: dict[int, set[int]] = defaultdict(set)
    for report_id in list(parent_of):
        node = parent_of.get(report_id)
        while node is not None and node not in lineage[report_id]:
            lineage[report_id].add(node)
            node = parent_of.get(node)
    return lineage
