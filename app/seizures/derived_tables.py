"""The derived tables behind fast totals: sums of own quantities and possible double counts.

Every flush that touches seizure reports updates them in the same transaction (session
events below), so they are never stale for a reader. A report's own quantity depends on its
parts, so a change to a report also recomputes its old and new parents. Bulk loads that
bypass the ORM call `rebuild`.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence, Set
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Integer,
    Select,
    Table,
    bindparam,
    cast,
    delete,
    event,
    extract,
    insert,
    inspect,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from app.db import bulk_insert
from app.models import (
    SeizureOverlap,
    SeizureReport,
    SeizureReportYear,
    SeizureSum,
    SeizureSumBySubstance,
)
from app.models.seizures import COARSE_FROM, DETAIL_KEYS, SUM_KEYS
from app.seizures.service import CHUNK, driver_rows, lineages, related_substances
from app.seizures.totals import own_quantities

Key = tuple[Any, ...]
# The tables this module keeps, all of them rebuilt by `rebuild`.
MODELS = (SeizureSum, SeizureSumBySubstance, SeizureOverlap, SeizureReportYear)


def _table(model: Any) -> Table:
    """The model's table: many rows go in faster through Core than as ORM bulk inserts."""
    table: Table = model.__table__
    return table


@lru_cache(maxsize=2)
def _contribution_rows(*, with_ids: bool) -> Select[Any]:
    """Every report's contribution; `with_ids`: those of the reports in `report_ids`.
    Built once: the statement is large, and every write reads it at its commit."""
    ids: BindParameter[Any] | None = bindparam("report_ids", expanding=True) if with_ids else None
    own = own_quantities(report_ids=ids)
    return select(
        own.c.id,
        own.c.operation,
        own.c.stage,
        own.c.country,
        own.c.substance_id,
        own.c.unspecified,
        own.c.unit_kind,
        own.c.stated_qualifier,
        own.c.qualifier,
        own.c.period_start,
        own.c.period_end,
        own.c.own.label("amount"),
        own.c.source_id,
        own.c.locator,
    ).where(own.c.adds_something)


def _detail_key(row: Any) -> Key:
    start, end = row["period_start"], row["period_end"]
    multi = start.year != end.year
    if not multi:  # a report inside one year is summed under the whole year
        start, end = date(start.year, 1, 1), date(start.year, 12, 31)
    return (
        row["operation"],
        row["stage"] or 0,
        row["country"] or 0,
        row["source_id"],
        row["locator"],
        row["substance_id"],
        bool(row["unspecified"]),
        row["unit_kind"],
        row["stated_qualifier"],
        row["qualifier"],
        multi,
        start,
        end,
    )


def apply_delta(
    session: Session, before: dict[Key, list[int]], after: dict[Key, list[int]]
) -> None:
    """Adds `after - before` to both sum tables, dropping rows that fall to no reports."""
    detail: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for sign, sums in ((-1, before), (1, after)):
        for key, (amount, reports) in sums.items():
            detail[key][0] += sign * amount
            detail[key][1] += sign * reports
    changes = {key: change for key, change in detail.items() if change != [0, 0]}
    if not changes:
        return
    coarse: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for key, (amount, reports) in changes.items():
        coarse[key[COARSE_FROM:]][0] += amount
        coarse[key[COARSE_FROM:]][1] += reports
    _upsert(session, SeizureSum, DETAIL_KEYS, changes)
    _upsert(session, SeizureSumBySubstance, SUM_KEYS, coarse)


def _upsert(
    session: Session, model: Any, keys: Sequence[str], changes: dict[Key, list[int]]
) -> None:
    # One order for every writer, so that concurrent PostgreSQL writers lock rows alike.
    rows = [
        dict(zip(keys, key, strict=True)) | {"amount": amount, "reports": reports}
        for key, (amount, reports) in sorted(changes.items(), key=lambda item: repr(item[0]))
    ]
    session.execute(_adding(model, tuple(keys), session.get_bind().dialect.name), rows)
    if any(row["reports"] < 0 for row in rows):
        table = _table(model)
        session.execute(delete(table).where(table.c.reports <= 0))


@lru_cache(maxsize=8)
def _adding(model: Any, keys: tuple[str, ...], dialect: str) -> Any:
    """INSERT of a sum row that adds to the row of the same keys when there is one (built
    once per table and database: every write runs it at its commit)."""
    table = _table(model)
    make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = make_insert(table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={
            "amount": table.c.amount + stmt.excluded.amount,
            "reports": table.c.reports + stmt.excluded.reports,
        },
    )


# -- possible double counts ---------------------------------------------------------------


def refresh_overlaps(
    session: Session, report_ids: Iterable[int], *, new: Set[int] = frozenset()
) -> None:
    """Recomputes the possible double counts that involve these reports (those in `new`
    have none recorded yet)."""
    ids = sorted(set(report_ids))
    if not ids:
        return
    recorded = [report_id for report_id in ids if report_id not in new]
    for start in range(0, len(recorded), CHUNK):
        chunk = recorded[start : start + CHUNK]
        session.execute(
            delete(SeizureOverlap).where(
                or_(SeizureOverlap.first_id.in_(chunk), SeizureOverlap.second_id.in_(chunk))
            )
        )
    related = related_substances(session)
    groups: dict[tuple[int, str, int | None], list[Any]] = defaultdict(list)
    for report in _reports(session, ids):
        groups[(report.operation_id, report.unit_kind, report.stage_id)].append(report)
    found = [
        (report.id, other.id)
        for group in groups.values()
        for report, other in _overlapping(session, group, related)
    ]
    lineage = lineages(session, {report_id for pair in found for report_id in pair})
    pairs = {
        (min(a, b), max(a, b)) for a, b in found if a not in lineage[b] and b not in lineage[a]
    }
    if pairs:
        columns = ["first_id", "second_id"]
        bulk_insert(session.connection(), SeizureOverlap.__tablename__, columns, sorted(pairs))


def _reports(session: Session, ids: Sequence[int]) -> Iterator[Any]:
    for start in range(0, len(ids), CHUNK):
        yield from session.execute(
            select(SeizureReport.__table__).where(SeizureReport.id.in_(ids[start : start + CHUNK]))
        )


def _overlapping(
    session: Session, group: list[Any], related: dict[int, set[int]]
) -> Iterator[tuple[Any, Any]]:
    """(report, other) for the reports of one operation, unit kind and stage: a query or two
    for the group (a stage post's reports share them), then the exact test for each."""
    other = SeizureReport
    first = group[0]
    substances = sorted(set().union(*(related[report.substance_id] for report in group)))
    where = [
        other.operation_id == first.operation_id,
        other.unit_kind == first.unit_kind,
        other.substance_id.in_(substances),
        other.period_end >= min(report.period_start for report in group),
        other.period_start <= max(report.period_end for report in group),
    ]
    countries = {report.country_id for report in group}
    if None not in countries:
        where.append(or_(other.country_id.in_(sorted(countries)), other.country_id.is_(None)))
    columns = (
        other.id, other.substance_id, other.country_id, other.stage_id,
        other.period_start, other.period_end,
    )  # fmt: skip
    if first.stage_id is None:
        queries = [select(*columns).where(*where)]
    else:  # the stage's own reports, and those of no stage: two short index ranges
        queries = [
            select(*columns).where(*where, stage)
            for stage in (other.stage_id == first.stage_id, other.stage_id.is_(None))
        ]
    rows = [row for query in queries for row in session.execute(query)]
    for report in group:
        for row in rows:
            if (
                row.id != report.id
                and row.substance_id in related[report.substance_id]
                and row.period_end >= report.period_start
                and row.period_start <= report.period_end
                and _compatible(row.country_id, report.country_id)
                and _compatible(row.stage_id, report.stage_id)
            ):
                yield report, row


def descendants(session: Session, report_ids: Iterable[int]) -> set[int]:
    found: set[int] = set()
    frontier = set(report_ids)
    while frontier:
        chunk = sorted(frontier)
        children = set()
        for start in range(0, len(chunk), CHUNK):
            children |= set(
                session.scalars(
                    select(SeizureReport.id).where(
                        SeizureReport.parent_id.in_(chunk[start : start + CHUNK])
                    )
                )
            )
        frontier = children - found
        found |= children
    return found


# -- rebuilding from scratch --------------------------------------------------------------


def rebuild(session: Session) -> None:
    """Recomputes all derived tables from the reports: after bulk loads and seed changes."""
    session.flush()
    session.info.pop(PENDING, None)  # what this transaction changed is counted below
    for model in MODELS:
        session.execute(delete(model))
    _rebuild_years(session)
    detail = _rebuilt_detail_sums(session)
    coarse: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for key, (amount, reports) in detail.items():
        coarse[key[COARSE_FROM:]][0] += amount
        coarse[key[COARSE_FROM:]][1] += reports
    tables: list[tuple[Any, Sequence[str], dict[Key, list[int]]]] = [
        (SeizureSum, DETAIL_KEYS, detail),
        (SeizureSumBySubstance, SUM_KEYS, coarse),
    ]
    for model, keys, totals in tables:
        rows = ((*key, amount, reports) for key, (amount, reports) in totals.items())
        bulk_insert(session.connection(), _table(model).name, [*keys, "amount", "reports"], rows)
    _rebuild_overlaps(session)


def _rebuild_years(session: Session) -> None:
    """Every report under each year its period touches, in one statement: a recursive query
    counts from the first year to the last."""
    report = SeizureReport
    years = select(
        report.id.label("report_id"),
        cast(extract("year", report.period_start), Integer).label("year"),
        cast(extract("year", report.period_end), Integer).label("last"),
    ).cte("report_years", recursive=True)
    years = years.union_all(
        select(years.c.report_id, years.c.year + 1, years.c.last).where(years.c.year < years.c.last)
    )
    in_key_order = select(years.c.year, years.c.report_id).order_by(years.c.year, years.c.report_id)
    session.execute(insert(SeizureReportYear).from_select(["year", "report_id"], in_key_order))


def _rebuilt_detail_sums(session: Session) -> dict[Key, list[int]]:
    """`_detail_key` for every report, summed; from the driver's rows, since at a million
    reports SQLAlchemy's per-value processing took half the time. Dates are compared as
    ISO text (SQLite's storage, and what `str` gives of a date) and made dates once per key.
    The key is `_detail_key`'s, written out again on text: calling it once per distinct set
    of values instead cost 3 s more at a million reports. `test_kept_current_equals_rebuilt`
    holds the two equal."""
    by_text: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for row in driver_rows(session, _contribution_rows(with_ids=False)):
        _, operation, stage, country, substance, unspecified, unit_kind, stated, qualifier = row[:9]
        start, end, amount, source, locator = str(row[9]), str(row[10]), row[11], row[12], row[13]
        multi = start[:4] != end[:4]
        if not multi:  # a report inside one year is summed under the whole year
            start, end = f"{start[:4]}-01-01", f"{start[:4]}-12-31"
        sums = by_text[
            (operation, stage or 0, country or 0, source, locator, substance, bool(unspecified),
             unit_kind, stated, qualifier, multi, start, end)
        ]  # fmt: skip
        sums[0] += int(amount)
        sums[1] += 1
    return {
        (*key[:11], date.fromisoformat(key[11]), date.fromisoformat(key[12])): sums
        for key, sums in by_text.items()
    }


def _rebuild_overlaps(session: Session) -> None:
    """A sweep over each operation's reports in period order, comparing a report only with
    the still-open reports of the same unit kind whose substance is related to its own."""
    related = related_substances(session)
    parent_of: dict[int, int | None] = {}
    open_reports: dict[tuple[int, str, int], _OpenReports] = {}
    candidates: list[tuple[int, int]] = []
    rows = session.execute(
        select(
            SeizureReport.id,
            SeizureReport.parent_id,
            SeizureReport.operation_id,
            SeizureReport.unit_kind,
            SeizureReport.substance_id,
            SeizureReport.country_id,
            SeizureReport.stage_id,
            SeizureReport.period_start,
            SeizureReport.period_end,
        ).order_by(SeizureReport.operation_id, SeizureReport.period_start, SeizureReport.id)
    )
    for report, parent, operation, unit_kind, substance, country, stage, start, end in rows:
        parent_of[report] = parent
        for other_substance in related[substance]:
            bucket = open_reports.get((operation, unit_kind, other_substance))
            if bucket is None:
                continue
            # Starts only grow within an operation: a bucket needs pruning when it changes.
            if bucket.pruned_at != start:
                bucket.reports = [other for other in bucket.reports if other[3] >= start]
                bucket.pruned_at = start
            for other, other_country, other_stage, _ in bucket.reports:
                if _compatible(other_country, country) and _compatible(other_stage, stage):
                    candidates.append((other, report))
        bucket = open_reports.get((operation, unit_kind, substance))
        if bucket is None:
            bucket = open_reports[(operation, unit_kind, substance)] = _OpenReports(start)
        bucket.reports.append((report, country, stage, end))
    pairs = {
        (min(a, b), max(a, b))
        for a, b in candidates
        if not _is_part_of(a, b, parent_of) and not _is_part_of(b, a, parent_of)
    }
    if pairs:
        columns = ["first_id", "second_id"]
        bulk_insert(session.connection(), SeizureOverlap.__tablename__, columns, sorted(pairs))


@dataclass(slots=True)
class _OpenReports:
    """Reports whose periods are still open at `pruned_at`: (id, country, stage, end)."""

    pruned_at: Any
    reports: list[tuple[Any, ...]] = field(default_factory=list)


def _compatible(a: int | None, b: int | None) -> bool:
    return a is None or b is None or a == b


def _is_part_of(report: int, whole: int, parent_of: dict[int, int | None]) -> bool:
    node = parent_of.get(report)
    seen = set()
    while node is not None and node not in seen:
        if node == whole:
            return True
        seen.add(node)
        node = parent_of.get(node)
    return False


# -- keeping them current -----------------------------------------------------------------
#
# A transaction may flush many times (a stage post flushes once per row, for the ids). The
# contribution of every report it touches is taken once, before its first change, and the
# derived tables are brought up to date once, just before the commit (or at `settle`).


@dataclass
class _Pending:
    before: dict[int, tuple[Key, int]] = field(default_factory=dict)  # id: (key, amount)
    touched: set[int] = field(default_factory=set)
    created: set[int] = field(default_factory=set)
    deleted: set[int] = field(default_factory=set)
    moved: set[int] = field(default_factory=set)
    written: set[int] = field(default_factory=set)


PENDING = "ksopn_summaries_pending"


def _pending(session: Session) -> _Pending:
    pending = session.info.get(PENDING)
    if pending is None:
        pending = session.info[PENDING] = _Pending()
    return pending


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    changed = [
        obj
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, SeizureReport)
    ]
    if not changed:
        return
    pending = _pending(session)
    with session.no_autoflush:
        stored = [obj.id for obj in changed if obj.id is not None and obj not in session.new]
        old_parents = {
            parent
            for start in range(0, len(stored), CHUNK)
            for parent in session.scalars(
                select(SeizureReport.parent_id).where(
                    SeizureReport.id.in_(stored[start : start + CHUNK])
                )
            )
            if parent is not None
        }
        new_parents = {obj.parent_id for obj in changed if obj.parent_id is not None}
        pending.moved |= {
            obj.id
            for obj in changed
            if obj.id in stored and inspect(obj).attrs.parent_id.history.has_changes()
        }
        pending.deleted |= {obj.id for obj in session.deleted if isinstance(obj, SeizureReport)}
        scope = set(stored) | old_parents | new_parents
        first_seen = scope - pending.touched - pending.created
        pending.before |= _contributions_by_id(session, first_seen)
        pending.touched |= scope
    session.info[PENDING + "_flushing"] = changed


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    changed = session.info.pop(PENDING + "_flushing", None)
    if changed is None:
        return
    pending = _pending(session)
    ids = {obj.id for obj in changed if obj.id is not None}
    pending.created |= ids - pending.touched - pending.deleted
    pending.touched |= ids
    pending.written |= ids - pending.deleted


def _before_commit(session: Session) -> None:
    settle(session)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction, not a savepoint, is over
        session.info.pop(PENDING, None)


_LISTENERS = (
    ("before_flush", _before_flush),
    ("after_flush", _after_flush),
    ("before_commit", _before_commit),
    ("after_transaction_end", _after_transaction_end),
)


def keep_current() -> None:
    """Every session keeps the derived tables current from now on: what it flushes of the
    reports is counted, and the tables are brought up to date just before its commit.
    Called where engines are made (`app.db.make_engine`); calling it again changes nothing."""
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def settle(session: Session) -> None:
    """Brings the derived tables up to date with this transaction's flushed changes."""
    session.flush()
    pending = session.info.pop(PENDING, None)
    if pending is None:
        return
    before: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for key, amount in pending.before.values():
        before[key][0] += amount
        before[key][1] += 1
    after: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for key, amount in _contributions_by_id(session, pending.touched - pending.deleted).values():
        after[key][0] += amount
        after[key][1] += 1
    apply_delta(session, before, after)
    written = pending.written - pending.deleted
    # A report made in this transaction has no rows there yet: nothing of it to delete.
    refresh_years(session, written, new=pending.created)
    refresh_overlaps(
        session,
        written | descendants(session, pending.moved - pending.deleted),
        new=pending.created,
    )


def refresh_years(
    session: Session, report_ids: Iterable[int], *, new: Set[int] = frozenset()
) -> None:
    """Files these reports under the years of their periods (those in `new` are under none
    yet)."""
    ids = sorted(set(report_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        if recorded := [report_id for report_id in chunk if report_id not in new]:
            session.execute(
                delete(SeizureReportYear).where(SeizureReportYear.report_id.in_(recorded))
            )
        periods = session.execute(
            select(SeizureReport.id, SeizureReport.period_start, SeizureReport.period_end).where(
                SeizureReport.id.in_(chunk)
            )
        ).all()
        _insert_years(session, periods)


def _insert_years(session: Session, periods: Iterable[Any]) -> None:
    rows: list[dict[str, int]] = []
    for report_id, start, end in periods:
        rows.extend({"year": y, "report_id": report_id} for y in range(start.year, end.year + 1))
        if len(rows) >= 10_000:
            session.execute(insert(_table(SeizureReportYear)), rows)
            rows = []
    if rows:
        session.execute(insert(_table(SeizureReportYear)), rows)


def _contributions_by_id(session: Session, report_ids: Iterable[int]) -> dict[int, tuple[Key, int]]:
    found = {}
    ids = sorted(set(report_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = {"report_ids": ids[start : start + CHUNK]}
        for row in session.execute(_contribution_rows(with_ids=True), chunk).mappings():
            found[row["id"]] = (_detail_key(row), int(row["amount"]))
    return found
