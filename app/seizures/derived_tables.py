"""The derived tables behind fast totals: sums of own quantities and possible double counts.

Every flush that touches seizure reports updates them in the same transaction (session
events below), so they are never stale for a reader. A report's own quantity depends on its
parts, so a change to a report also recomputes its old and new parents. Bulk loads that
bypass the ORM call `rebuild`.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
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
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from app.db import bulk_insert, plain_insert
from app.models import (
    SeizureListItem,
    SeizureOverlapMember,
    SeizureReport,
    SeizureReportYear,
    SeizureSum,
    SeizureSumBySubstance,
)
from app.models.seizures import COARSE_FROM, DETAIL_KEYS, SUM_KEYS
from app.seizures import list_items
from app.seizures.overlaps import CANDIDATE_COLUMNS, Candidate, Kinship, paired, sweep_order, wholes
from app.seizures.service import CHUNK, driver_rows, parents, related_substances
from app.seizures.totals import own_quantities

Key = tuple[Any, ...]
# The tables this module keeps, all of them rebuilt by `rebuild`.
MODELS = (
    SeizureSum,
    SeizureSumBySubstance,
    SeizureOverlapMember,
    SeizureReportYear,
    SeizureListItem,
)


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
        own.c.covered_by,
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
        row["covered_by"],
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
    adding = _adding(model, tuple(keys), session.get_bind().dialect.name)
    session.connection().execute(adding, rows)
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
#
# Two reports may describe the same seizures when they share operation and unit kind, their
# periods overlap, their substances stand on one branch of the tree, their countries and
# stages are the same or unknown, and neither is a breakdown of the other. The table keeps
# each report that has at least one such partner (`SeizureOverlapMember`); a reader finds
# the pairs among those. A write tests again the reports it changed and their neighbours,
# in time that grows with the reports it holds, never with their pairs.


def refresh_overlaps(
    session: Session,
    changed: Iterable[int],
    *,
    neighbours: Set[int] = frozenset(),
    known: Mapping[int, Candidate] = MappingProxyType({}),
) -> None:
    """Brings membership up to date after `changed` reports were written (made, edited, or
    moved under another parent, with their parts): those, and `neighbours` (members near
    the old versions of changed reports, which may have lost their only partner), are
    tested again against every report near them; a report near a changed one that was no
    member joins when it now has a partner. The reports in `known` (inserted in this
    transaction, as they were inserted) are not read again to find what is near them."""
    changed_ids = set(changed)
    recheck = changed_ids | set(neighbours)
    if not recheck:
        return
    related = related_substances(session)
    rows = _near(session, recheck, related, known)
    kin = Kinship(related, _parents(session, rows))
    # A member may have lost its partner by becoming the whole of a report moved under it:
    # the wholes of changed reports are tested again too, against everything near them.
    whole_ids = {w for report in changed_ids for w in wholes(report, kin.parent_of)}
    relinked = {i for i in whole_ids - recheck if (row := rows.get(i)) is not None and row.member}
    if relinked:
        rows |= _near(session, relinked, related, known)
        recheck |= relinked
        kin = Kinship(kin.related, _parents(session, rows))
    was_member = {row.id for row in rows.values() if row.member}
    waiting = recheck | (rows.keys() - was_member)
    found = paired(sorted(rows.values(), key=sweep_order), waiting, kin)
    stale = sorted(recheck & was_member)
    for start in range(0, len(stale), CHUNK):
        session.execute(
            delete(SeizureOverlapMember).where(
                SeizureOverlapMember.report_id.in_(stale[start : start + CHUNK])
            )
        )
    joining = sorted((found & recheck) | (found - was_member))
    if joining:  # a few rows: one INSERT (COPY would wait for the server twice)
        rows_in = [{"report_id": report_id} for report_id in joining]
        session.connection().execute(plain_insert(SeizureOverlapMember), rows_in)


def neighbours_of(session: Session, report_ids: Iterable[int]) -> set[int]:
    """The members near these reports as they stand now: read before a write changes or
    deletes them, they are the reports that may lose their only partner."""
    ids = set(report_ids)
    if not ids:
        return set()
    near = _near(session, ids, related_substances(session))
    return {row.id for row in near.values() if row.member and row.id not in ids}


# Another source's version of a counted report is never counted, so never double counts.
NOT_ALTERNATIVE = SeizureReport.alternative_to_id.is_(None)


def _near(
    session: Session,
    report_ids: Set[int],
    related: dict[int, set[int]],
    known: Mapping[int, Candidate] = MappingProxyType({}),
) -> dict[int, Candidate]:
    """The reports themselves and every report that may pair with one of them, by id: a
    query for each operation, unit kind and stage of theirs (a stage post's reports share
    them: the stage's own reports, and those of no stage). The reports in `known` are
    taken as they are there, the others read."""
    connection = session.connection()
    groups: dict[tuple[int, str, int | None], list[Candidate]] = defaultdict(list)
    for report in _candidates_of(connection, report_ids, known):
        groups[(report.operation, report.unit_kind, report.stage)].append(report)
    found: dict[int, Candidate] = {}
    for (operation, unit_kind, stage), group in groups.items():
        near = {
            "operation": operation,
            "unit_kind": unit_kind,
            "substances": sorted(set().union(*(related[report.substance] for report in group))),
            "start": min(report.start for report in group),
            "end": max(report.end for report in group),
            "stage": stage,
        }
        rows = connection.execute(_nearby(of_a_stage=stage is not None), near)
        found.update((row[0], Candidate(*tuple(row))) for row in rows)
    return found


def _candidates_of(
    connection: Connection, report_ids: Set[int], known: Mapping[int, Candidate]
) -> Iterator[Candidate]:
    """These reports as the pair test sees them, but versions of another figure (never
    counted, so never paired): those in `known` as they are there, the others read."""
    yield from (known[report_id] for report_id in sorted(report_ids & known.keys()))
    unread = sorted(report_ids - known.keys())
    for start in range(0, len(unread), CHUNK):
        rows = connection.execute(_candidates(), {"ids": unread[start : start + CHUNK]})
        yield from (Candidate(*row) for row in rows)


def candidate_of(report: SeizureReport) -> Candidate:
    """A report as the pair test sees it, from the record itself (CANDIDATE_COLUMNS)."""
    return Candidate(
        report.id, report.parent_id, report.operation_id, report.unit_kind,
        report.substance_id, report.country_id, report.stage_id, report.period_start,
        report.period_end, report.scope, report.within_id,
    )  # fmt: skip


# The statements a write runs at its commit, built once: building them took most of the time
# of the queries themselves (run on the connection: the session's ORM path adds as much).


@lru_cache(maxsize=1)
def _candidates() -> Any:
    ids: BindParameter[Any] = bindparam("ids", expanding=True)
    return select(*CANDIDATE_COLUMNS).where(SeizureReport.id.in_(ids), NOT_ALTERNATIVE)


@lru_cache(maxsize=2)
def _nearby(*, of_a_stage: bool) -> Any:
    """The reports that may pair with a group's (`_near`): for a group of a stage, those of
    its stage and those of no stage, in one statement (on PostgreSQL, one round trip);
    for a group of no stage, those of any."""
    if not of_a_stage:
        return _nearby_of("any")
    return union_all(_nearby_of("this"), _nearby_of("none"))


def _nearby_of(by_stage: str) -> Any:
    """`_nearby`'s reports of the group's stage ("this"), of none ("none"), or of any
    ("any"). A union of the first two rather than `stage_id = :stage OR stage_id IS NULL`:
    each keeps its index (`ix_seizure_reports_stage_overlap`)."""
    other = SeizureReport
    where = [
        other.operation_id == bindparam("operation", type_=Integer),
        other.unit_kind == bindparam("unit_kind", type_=other.unit_kind.type),
        other.substance_id.in_(bindparam("substances", expanding=True)),
        other.period_end >= bindparam("start", type_=other.period_end.type),
        other.period_start <= bindparam("end", type_=other.period_start.type),
        other.alternative_to_id.is_(None),
    ]
    if by_stage == "this":
        where.append(other.stage_id == bindparam("stage", type_=Integer))
    elif by_stage == "none":
        where.append(other.stage_id.is_(None))
    member = SeizureOverlapMember.report_id.is_not(None)
    return (
        select(*CANDIDATE_COLUMNS, member)
        .outerjoin(SeizureOverlapMember, SeizureOverlapMember.report_id == other.id)
        .where(*where)
    )


def _parents(session: Session, rows: dict[int, Candidate]) -> dict[int, int | None]:
    """`service.parents` of these reports: theirs as read with them, and their wholes'."""
    parent_of = {report_id: row.parent for report_id, row in rows.items()}
    unread = {parent for parent in parent_of.values() if parent is not None} - parent_of.keys()
    return parent_of | parents(session, unread) if unread else parent_of


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
    for model in (SeizureOverlapMember, SeizureReportYear, SeizureListItem):
        session.execute(delete(model))
    _rebuild_years(session)
    list_items.rebuild(session)
    rebuild_sums(session)
    _rebuild_overlaps(session)


def rebuild_sums(session: Session) -> None:
    """Recomputes the two sum tables from the reports (migration 0007 changed their keys)."""
    for model in (SeizureSum, SeizureSumBySubstance):
        session.execute(delete(model))
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
        covered_by = row[14]
        multi = start[:4] != end[:4]
        if not multi:  # a report inside one year is summed under the whole year
            start, end = f"{start[:4]}-01-01", f"{start[:4]}-12-31"
        sums = by_text[
            (operation, stage or 0, country or 0, source, locator, substance, bool(unspecified),
             unit_kind, stated, qualifier, multi, start, end, covered_by)
        ]  # fmt: skip
        sums[0] += int(amount)
        sums[1] += 1
    return {
        (*key[:11], date.fromisoformat(key[11]), date.fromisoformat(key[12]), key[13]): sums
        for key, sums in by_text.items()
    }


def _rebuild_overlaps(session: Session) -> None:
    """Every report that may double count with another, found in one sweep over all of
    them (`paired`)."""
    rows = [
        Candidate(*row)
        for row in session.execute(
            select(*CANDIDATE_COLUMNS)
            .where(NOT_ALTERNATIVE)
            .order_by(SeizureReport.operation_id, SeizureReport.period_start, SeizureReport.id)
        )
    ]
    kin = Kinship(related_substances(session), {row.id: row.parent for row in rows})
    if members := sorted(paired(rows, None, kin)):
        table = SeizureOverlapMember.__tablename__
        bulk_insert(session.connection(), table, ["report_id"], ((i,) for i in members))


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
    neighbours: set[int] = field(default_factory=set)  # members near the reports as they were
    # The periods of reports inserted without a flush (`inserted`), as they were inserted:
    # the commit files them under their years without reading them back. A flush that
    # changes one of them drops it from here.
    periods: dict[int, tuple[int, date, date]] = field(default_factory=dict)
    # The same reports as the pair test sees them (`candidate_of`), but versions of another
    # figure: the commit finds what is near them without reading them back. A flush that
    # changes one of them drops it from here too.
    candidates: dict[int, Candidate] = field(default_factory=dict)


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
    for obj in changed:
        pending.periods.pop(obj.id, None)
        pending.candidates.pop(obj.id, None)
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
        pending.neighbours |= neighbours_of(session, first_seen & set(stored))
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


def inserting(session: Session, parent_ids: Iterable[int | None]) -> None:
    """Before reports are inserted without a flush (`app.writes.insert_new`), what
    `_before_flush` does for new ones: their stored parents' contributions, which the new
    parts change, are taken as they stand."""
    if not kept_current():
        return
    pending = _pending(session)
    scope = {parent for parent in parent_ids if parent is not None}
    first_seen = scope - pending.touched - pending.created
    pending.before |= _contributions_by_id(session, first_seen)
    pending.touched |= scope


def inserted(session: Session, reports: Sequence[SeizureReport]) -> None:
    """After reports were inserted without a flush, what `_after_flush` notes of new ones:
    the commit counts them (and knows their periods)."""
    if not kept_current():
        return
    pending = _pending(session)
    ids = {report.id for report in reports}
    pending.periods |= {r.id: (r.id, r.period_start, r.period_end) for r in reports}
    pending.candidates |= {r.id: candidate_of(r) for r in reports if r.alternative_to_id is None}
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
    Called where the program starts (`app.main.create_app`, the `ksopn` command); calling
    it again changes nothing."""
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def kept_current() -> bool:
    """Whether `keep_current` has been called in this process."""
    return all(event.contains(Session, name, listener) for name, listener in _LISTENERS)


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
    refresh_years(session, written, new=pending.created, known=pending.periods)
    # A report's parts decide what it adds: its old and new parents' items change too.
    list_items.refresh(session, pending.touched - pending.deleted, new=pending.created)
    refresh_overlaps(
        session,
        written | descendants(session, pending.moved - pending.deleted),
        neighbours=pending.neighbours - pending.deleted,
        known=pending.candidates,
    )


def refresh_years(
    session: Session,
    report_ids: Iterable[int],
    *,
    new: Set[int] = frozenset(),
    known: Mapping[int, tuple[int, date, date]] = MappingProxyType({}),
) -> None:
    """Files these reports under the years of their periods (those in `new` are under none
    yet); the periods in `known` (id, start, end) are not read again."""
    ids = sorted(set(report_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        if recorded := [report_id for report_id in chunk if report_id not in new]:
            session.execute(
                delete(SeizureReportYear).where(SeizureReportYear.report_id.in_(recorded))
            )
        periods = [known[report_id] for report_id in chunk if report_id in known]
        if unknown := [report_id for report_id in chunk if report_id not in known]:
            periods += session.connection().execute(_periods(), {"ids": unknown}).all()
        _insert_years(session, periods)


@lru_cache(maxsize=1)
def _periods() -> Any:
    report = SeizureReport
    ids: BindParameter[Any] = bindparam("ids", expanding=True)
    return select(report.id, report.period_start, report.period_end).where(report.id.in_(ids))


def _insert_years(session: Session, periods: Iterable[Any]) -> None:
    rows: list[dict[str, int]] = []
    for report_id, start, end in periods:
        rows.extend({"year": y, "report_id": report_id} for y in range(start.year, end.year + 1))
        if len(rows) >= 10_000:
            session.connection().execute(plain_insert(SeizureReportYear), rows)
            rows = []
    if rows:
        session.connection().execute(plain_insert(SeizureReportYear), rows)


def _contributions_by_id(session: Session, report_ids: Iterable[int]) -> dict[int, tuple[Key, int]]:
    found = {}
    ids = sorted(set(report_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = {"report_ids": ids[start : start + CHUNK]}
        rows = session.connection().execute(_contribution_rows(with_ids=True), chunk)
        for row in rows.mappings():
            found[row["id"]] = (_detail_key(row), int(row["amount"]))
    return found
