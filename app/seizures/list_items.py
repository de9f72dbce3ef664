"""Each report as the year list writes it, kept in JSON pieces at commit under each year
its period touches (`SeizureListItem`), and the year list's pages read from them.

A page of the year list (`GET /api/v1/seizures?year=2018`) joined five tables and summed
each report's parts for every row it wrote, then shaped each row into a dict for orjson:
most of a page's time on a long tail of URLs, where nothing repeats to be kept. Here a
page is one range of the table's key (year, report): each report's pieces, to which it
adds the names of its operation, stage, country, substance and source from small maps
kept per data version, and the year's own fields (inside the window, what it adds to the
window's totals). The item is `orjson.Fragment`: orjson writes it into the page as it is.

The pieces are what a report's own row and its parts decide; `derived_tables` rewrites
them for every report a transaction touches (and its old and new parents), as it files
the reports under their years (`seizure_report_years`, the joined statement's index), and
`rebuild` writes them all. A page whose names moved while they were read is read by the
joined statement (`service.list_year_page`) instead. `tests/seizures/test_list_items.py`
holds the pages to the joined statement's, and `test_kept_current_equals_rebuilt` the
pieces kept at each commit to a rebuild.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    BindParameter,
    Connection,
    Engine,
    Integer,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    extract,
    null,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from app.db import (
    DriverStatement,
    LoopReads,
    bulk_insert,
    driver_rows,
    plain_insert,
)
from app.models import (
    Country,
    DataVersion,
    Operation,
    SeizureListItem,
    SeizureReport,
    Source,
    Stage,
    Substance,
)
from app.models.versions import changed_at_selected, note_read_with_facts, version_sql
from app.seizures.service import (
    CHUNK,
    SeizureFilters,
    adds_to_totals,
    covered_amount,
    figure_fields,
    left_out,
    list_seizures,
    list_year_page,
    period_fields,
)

COLUMNS = tuple(column.name for column in SeizureListItem.__table__.columns)
BATCH = 5000  # reports whose pieces are made and written at once by `rebuild`


# -- the pieces, made at commit -----------------------------------------------------------


def _inner(fields: dict[str, Any]) -> str:
    """The members of a JSON object as orjson writes them, without the braces: pieces so
    made and joined by commas are byte for byte orjson's writing of the whole object."""
    return orjson.dumps(fields)[1:-1].decode()


@lru_cache(maxsize=2)
def _own_columns(*, with_ids: bool) -> Any:
    """The report's own columns that its pieces are made of, and its parts' sum."""
    report = SeizureReport
    stmt = select(
        report.id,
        report.source_id,
        report.operation_id,
        report.stage_id,
        report.country_id,
        report.substance_id,
        report.locator,
        report.period_start,
        report.period_end,
        report.unit_kind,
        report.amount,
        report.qualifier,
        report.cases,
        report.as_reported,
        report.parent_id,
        report.outside_stage,
        report.scope,
        report.alternative_to_id,
        report.within_id,
        covered_amount().label("covered"),
    ).order_by(report.id)
    if with_ids:
        ids: BindParameter[Any] = bindparam("ids", expanding=True)
        return stmt.where(report.id.in_(ids))
    return stmt.where(report.id > bindparam("after_id", type_=Integer)).limit(BATCH)


def _items(row: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The `SeizureListItem` rows (`COLUMNS`) of an `_own_columns` row: one a year."""
    (id_, source, operation, stage, country, substance, locator, start, end, unit_kind,
     amount, qualifier, cases, as_reported, parent_id, outside_stage, scope, alternative_to,
     within_id, covered) = row  # fmt: skip
    figure = figure_fields(
        unit_kind, amount, qualifier, cases, as_reported, parent_id, outside_stage, scope,
        alternative_to, within_id,
    )  # fmt: skip
    pieces = (
        adds_to_totals(amount, covered, alternative_to),
        _inner({"locator": locator}),
        _inner(period_fields(start, end)),
        _inner(figure),
    )
    own = (id_, source, operation, stage, country, substance, within_id, start, end, *pieces)
    return [(year, *own) for year in range(start.year, end.year + 1)]


def refresh(session: Session, report_ids: Iterable[int], *, new: Iterable[int] = ()) -> None:
    """Makes again the pieces of these reports (those in `new` have none yet)."""
    ids = sorted(set(report_ids))
    fresh = set(new)
    connection = session.connection()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        if recorded := [report_id for report_id in chunk if report_id not in fresh]:
            item = SeizureListItem
            session.execute(delete(item).where(item.report_id.in_(recorded)))
        rows = connection.execute(_own_columns(with_ids=True), {"ids": chunk})
        items = [dict(zip(COLUMNS, item, strict=True)) for row in rows for item in _items(row)]
        if items:  # a few rows: one INSERT (COPY would wait for PostgreSQL twice)
            connection.execute(plain_insert(SeizureListItem), items)


def rebuild(session: Session) -> None:
    """Makes the pieces of every report, a batch at a time (the table is empty)."""
    connection = session.connection()
    after = 0
    while rows := connection.execute(_own_columns(with_ids=False), {"after_id": after}).all():
        _write(session, [item for row in rows for item in _items(row)])
        after = rows[-1][0]


def _write(session: Session, rows: list[tuple[Any, ...]]) -> None:
    bulk_insert(session.connection(), SeizureListItem.__tablename__, COLUMNS, rows)


# -- the names, kept per data version -----------------------------------------------------


@dataclass(frozen=True)
class _Names:
    """Each named row as an item writes it, in UTF-8: the source's object open for its
    locator, the others whole (`null` for no country)."""

    sources: dict[int, bytes]
    operations: dict[int, bytes]
    stages: dict[int, bytes]
    countries: dict[int, bytes]
    substances: dict[int, bytes]


# The data version's number and time (as the driver gives them) name a state of the facts.
# Both, and the database (its engine): a rolled-back write may give the next write the same
# number, never the same time.
_VersionKey = tuple[Engine, int, Any]
_kept_names: dict[_VersionKey, _Names] = {}


def _json(value: Any) -> bytes:
    return orjson.dumps(value)


def _read_names(session: Session) -> _Names:
    connection = session.connection()
    sources = connection.execute(select(Source.id, Source.slug, Source.title))
    operations = connection.execute(
        select(Operation.id, Operation.slug, Operation.name_en, Operation.name_ru)
    )
    stages = connection.execute(select(Stage.id, Stage.number))
    countries = connection.execute(
        select(Country.id, Country.iso3, Country.name_en, Country.name_ru)
    )
    substances = connection.execute(
        select(Substance.id, Substance.slug, Substance.name_en, Substance.name_ru)
    )
    return _Names(
        sources={
            i: _json({"id": i, "slug": slug, "title": title})[:-1] for i, slug, title in sources
        },
        operations={
            i: _json({"id": i, "slug": slug, "name_en": en, "name_ru": ru})
            for i, slug, en, ru in operations
        },
        stages={i: _json({"id": i, "number": number}) for i, number in stages},
        countries={
            i: _json({"iso3": iso3, "name_en": en, "name_ru": ru}) if iso3 else b"null"
            for i, iso3, en, ru in countries
        },
        substances={
            i: _json({"slug": slug, "name_en": en, "name_ru": ru}) for i, slug, en, ru in substances
        },
    )


def _names_at(session: Session, key: _VersionKey) -> _Names | None:
    """The names as they stand at the version `key`; None when the facts moved on while
    they were read (PostgreSQL: each statement sees the commits made before it)."""
    if (kept := _kept_names.get(key)) is not None:
        return kept
    names = _read_names(session)
    driver = session.connection().connection.driver_connection
    if (key[0], *driver_rows(driver, version_sql(key[0].dialect.name), ())[0]) != key:
        return None
    _kept_names.clear()  # one state of the facts at a time: older ones are not asked again
    _kept_names[key] = names
    return names


# -- the page -----------------------------------------------------------------------------


def _inside(window: tuple[date, date] | None) -> Any:
    """Whether the report's period lies inside the window (`service.within`), NULL without
    one: asked of the database, which holds the dates as they are compared (SQLite's
    ISO text), so that no row's dates are made Python dates for it."""
    if window is None:
        return null()
    item = SeizureListItem
    return and_(item.period_start >= window[0], item.period_end <= window[1])


def _item_columns(inside: Any, is_left_out: Any, dialect: str) -> tuple[Any, ...]:
    """The columns `_item` makes an item of, then the data version and the time of the
    facts' last change the statement read them at (one statement: one state of the facts,
    on PostgreSQL too; the time as `changed_at_selected` has it)."""
    item = SeizureListItem
    return (
        item.report_id,
        item.source_id,
        item.operation_id,
        item.stage_id,
        item.country_id,
        item.substance_id,
        inside.label("inside"),
        item.adds,
        item.locator_json,
        item.period_json,
        item.figure_json,
        is_left_out.label("left_out"),
        select(DataVersion.version).scalar_subquery().label("version"),
        select(changed_at_selected(dialect)).scalar_subquery().label("changed_at"),
    )


@lru_cache(maxsize=64)
def _year_items(year: int | None, dialect: str) -> Any:
    """The year's reports after a bound id (every report's, under the year its period
    starts in, without a year), with their pieces and whether each is left out of the
    year's totals."""
    filters = SeizureFilters(year=year)
    item = SeizureListItem
    first_year = cast(extract("year", item.period_start), Integer)
    return (
        select(*_item_columns(_inside(filters.window), left_out(filters, item), dialect))
        .where(
            item.year == (first_year if year is None else year),
            item.report_id > bindparam("after_id", type_=Integer),
        )
        .order_by(item.report_id)
        .limit(bindparam("page_limit", type_=Integer))
    )


@lru_cache(maxsize=64)
def _year_items_sql(year: int | None, dialect: Dialect) -> tuple[str, Callable[[int, int], Any]]:
    """`_year_items` as the driver takes it: its SQL, and its parameters from the cursor's
    id and the limit."""
    statement = DriverStatement.of(_year_items(year, dialect.name), dialect)

    def params(after_id: int, limit: int) -> Any:
        return statement.params({"after_id": after_id, "page_limit": limit})

    return statement.sql, params


def year_page(
    session: Session, year: int | None, after_id: int, limit: int
) -> tuple[list[int], list[Any]]:
    """The ids and items of `service.list_year_page`'s rows, the items as JSON written
    byte for byte as orjson writes that function's dicts.

    One statement reads the page, its data version and the time of the facts' last
    change, through the driver (the rows are ids, flags and text: SQLAlchemy's execution
    of the statement cost as much as the database's), and outside a transaction where
    the session has none yet: one statement sees one state of the facts, and BEGIN, the
    time read first and COMMIT were three more round trips on PostgreSQL."""
    bind = session.get_bind()
    rows = _read(session, bind, _year_items_sql(year, bind.dialect), (after_id, limit))
    if not rows:
        return [], []
    names = _names_at(session, (bind.engine, *rows[0][_VERSION_AT:]))
    if names is None:
        joined = list_year_page(session, year, after_id, limit)
        return [row["id"] for row in joined], joined
    return _page_of(session, rows, names, bind.dialect)


async def year_page_in_loop(
    reads: LoopReads, session: Session, year: int | None, after_id: int, limit: int
) -> tuple[list[int], list[Any]] | None:
    """`year_page`, its statement read in the event loop (`app.db.LoopReads`); None when it
    is read as `year_page` reads it: no connection of the loop's was free, the statement
    failed, the names of its data version are not kept yet (reading them takes several
    statements, in a worker thread), or the page is empty (its `Last-Modified` is read in a
    transaction of its own)."""
    bind = session.get_bind()
    sql, params = _year_items_sql(year, bind.dialect)
    rows = await reads.fetch(sql, params(after_id, limit))
    if not rows:  # None, or an empty page: that one's time is read in a transaction
        return None
    names = _kept_names.get((bind.engine, *rows[0][_VERSION_AT:]))
    if names is None:
        return None
    return _page_of(session, rows, names, bind.dialect)


@lru_cache(maxsize=512)
def _stage_items(stage_id: int, dialect: Dialect) -> DriverStatement:
    """The stage's reports in id order, each with its pieces (under the year its period
    starts in), whether it is left out of the stage's totals, and whether any report of
    the stage is another source's version of one (the same on every row). Its `left_out`
    is built for the stage (the filters take no bound value): one statement a stage, kept.

    Read by the stage's range of `ix_seizure_list_items_stage_id`, not by joining the
    stage's reports to their items one index lookup each: a stage of 1,088 reports read
    68 pages instead of 4,377 on PostgreSQL (3.9 against 7.1 ms a statement), and SQLite
    a third faster. Whether a version is among them is one look at the partial index of
    versions (`ix_seizure_reports_versions_by_stage`)."""
    item, report = SeizureListItem, SeizureReport
    first_year = cast(extract("year", item.period_start), Integer)
    is_left_out = left_out(SeizureFilters(stage_id=stage_id), item)
    versions = exists().where(report.stage_id == stage_id, report.alternative_to_id.is_not(None))
    stmt = (
        select(
            *_item_columns(null(), is_left_out, dialect.name),
            select(versions).scalar_subquery(),
        )
        .where(item.stage_id == stage_id, item.year == first_year)
        .order_by(item.report_id)
    )
    return DriverStatement.of(stmt, dialect)


def stage_items(session: Session, stage_id: int) -> tuple[list[Any], bool]:
    """Every report of a stage as `service.list_seizures` gives it for the stage (no
    window), each an item written as the year list's are; and whether any is another
    source's version of a report. Where the names moved while they were read, the joined
    statement's dicts instead, which orjson writes alike.

    A stage of a thousand reports took 40 ms to read: the joined statement, a dict a
    report, and the response model's validation and writing of each, four fifths of it."""
    bind = session.get_bind()
    statement = _stage_items(stage_id, bind.dialect)
    driver = session.connection().connection.driver_connection
    rows = driver_rows(driver, statement.sql, statement.params())
    if not rows:
        return [], False
    names = _names_at(session, (bind.engine, *rows[0][_VERSION_AT:_ALTERNATIVE_AT]))
    if names is None:
        joined = list_seizures(session, SeizureFilters(stage_id=stage_id), limit=None)
        return joined, any(report["alternative_to"] is not None for report in joined)
    _ids, items = _page_of(session, rows, names, bind.dialect)
    return items, bool(rows[0][_ALTERNATIVE_AT])


def _page_of(
    session: Session, rows: list[Any], names: _Names, dialect: Dialect
) -> tuple[list[int], list[Any]]:
    """The ids and items of a page's rows, the data version and time they were read at
    noted in the session."""
    version, changed_at = rows[0][_VERSION_AT], rows[0][_VERSION_AT + 1]
    note_read_with_facts(session, version, changed_at, dialect)
    return [row[0] for row in rows], [_item(row, names) for row in rows]


def _read(
    session: Session,
    bind: Engine | Connection,
    statement: tuple[str, Callable[[int, int], Any]],
    values: tuple[int, int],
) -> list[Any]:
    sql, params = statement
    if not isinstance(bind, Engine) or session.in_transaction():
        driver = session.connection().connection.driver_connection
        return driver_rows(driver, sql, params(*values))
    pooled = bind.raw_connection()
    try:
        with _autocommit(pooled.driver_connection, bind.dialect):
            return driver_rows(pooled.driver_connection, sql, params(*values))
    finally:
        pooled.close()


@contextmanager
def _autocommit(driver: Any, dialect: Dialect) -> Iterator[None]:
    """The driver's connection in autocommit while a statement runs alone: SQLite's is
    always (`app.db._configure_sqlite`), psycopg's is switched, and back for the pool."""
    if dialect.name != "postgresql":
        yield
        return
    driver.autocommit = True
    try:
        yield
    finally:
        driver.autocommit = False


_VERSION_AT = 12  # where `_item_columns` have the data version (and then its time)
_ALTERNATIVE_AT = 14  # where `_stage_items` has whether a report of the stage is a version


# `within_window` as JSON, by `_inside`'s answer (SQLite's 1 and 0 are True and False here).
_INSIDE = {None: b"null", True: b"true", False: b"false"}

# An item, filled in by bytes' formatting: the names are UTF-8 already, and an item written
# as text was encoded again by orjson, which took as long as the rest of the page's making.
_ITEM = (
    b'{"source":%b,%b},"id":%d,"operation":%b,"stage":%b,"country":%b,%b,"substance":%b,%b,'
    b'"within_window":%b,"counted_amount":%b,"allocated_amount":null}'
)


def _item(row: Sequence[Any], names: _Names) -> orjson.Fragment:
    (id_, source, operation, stage, country, substance, inside, adds, locator_json,
     period_json, figure_json, is_left_out) = row[:12]  # fmt: skip
    # Outside the window a report adds nothing to it (`null`); a report left out for the
    # broader figure that holds it adds 0.
    counted = (
        b"null" if inside is not None and not inside else b"0" if is_left_out else b"%d" % adds
    )
    return orjson.Fragment(
        _ITEM
        % (
            names.sources[source],
            locator_json.encode(),
            id_,
            names.operations[operation],
            b"null" if stage is None else names.stages[stage],
            b"null" if country is None else names.countries[country],
            period_json.encode(),
            names.substances[substance],
            figure_json.encode(),
            _INSIDE[inside],
            counted,
        )
    )
