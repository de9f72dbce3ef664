"""The derived tables behind fast totals: sums of own quantities and possible double counts.

Every flush that touches seizure reports updates them in the same transaction (session
events below), so they are never stale for a reader. A report's own quantity depends on its
parts, so a change to a report also recomputes its old and new parents. Bulk loads that
bypass the ORM call `rebuild`.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, delete, event, insert, inspect, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction

from app.models import SeizureOverlap, SeizureReport, SeizureSum, SeizureSumBySubstance, Substance
from app.models.seizures import DETAIL_KEYS, SUM_KEYS
from app.services.totals import own_quantities

CHUNK = 500  # ids per IN list, well under every database's bound-parameter limit

Key = tuple[Any, ...]


def contributions(session: Session, report_ids: Iterable[int]) -> dict[Key, list[int]]:
    """{detail key: [amount, reports]} for the given reports as the database holds them now."""
    sums: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    ids = sorted(set(report_ids))
    for start in range(0, len(ids), CHUNK):
        for row in session.execute(_contribution_rows(ids[start : start + CHUNK])):
            key = _detail_key(row._mapping)
            sums[key][0] += int(row.amount)
            sums[key][1] += 1
    return sums


def _contribution_rows(ids: Sequence[int] | None) -> Select[Any]:
    own = own_quantities(report_ids=ids)
    return select(
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
        coarse[key[3:]][0] += amount
        coarse[key[3:]][1] += reports
    _upsert(session, SeizureSum, DETAIL_KEYS, changes)
    _upsert(session, SeizureSumBySubstance, SUM_KEYS, coarse)


def _upsert(
    session: Session, model: Any, keys: Sequence[str], changes: dict[Key, list[int]]
) -> None:
    table = model.__table__
    dialect = session.get_bind().dialect.name
    make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # One order for every writer, so that concurrent PostgreSQL writers lock rows alike.
    for key in sorted(changes, key=repr):
        amount, reports = changes[key]
        row = dict(zip(keys, key, strict=True)) | {"amount": amount, "reports": reports}
        stmt = make_insert(table).values(row)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={"amount": table.c.amount + amount, "reports": table.c.reports + reports},
        )
        session.execute(stmt)
    session.execute(delete(table).where(table.c.reports <= 0))


# -- possible double counts ---------------------------------------------------------------


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


def refresh_overlaps(session: Session, report_ids: Iterable[int]) -> None:
    """Recomputes the possible double counts that involve these reports."""
    ids = sorted(set(report_ids))
    if not ids:
        return
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        session.execute(
            delete(SeizureOverlap).where(
                or_(SeizureOverlap.first_id.in_(chunk), SeizureOverlap.second_id.in_(chunk))
            )
        )
    related = related_substances(session)
    pairs: set[tuple[int, int]] = set()
    for report in _reports(session, ids):
        candidates = list(_candidates(session, report, related))
        lineage = _lineages(session, [report.id, *(c.id for c in candidates)])
        for other in candidates:
            if other.id in lineage[report.id] or report.id in lineage[other.id]:
                continue
            pairs.add((min(report.id, other.id), max(report.id, other.id)))
    if pairs:
        session.execute(
            insert(SeizureOverlap),
            [{"first_id": a, "second_id": b} for a, b in sorted(pairs)],
        )


def _reports(session: Session, ids: Sequence[int]) -> Iterator[Any]:
    for start in range(0, len(ids), CHUNK):
        yield from session.execute(
            select(SeizureReport.__table__).where(SeizureReport.id.in_(ids[start : start + CHUNK]))
        )


def _candidates(session: Session, report: Any, related: dict[int, set[int]]) -> Iterator[Any]:
    other = SeizureReport
    yield from session.execute(
        select(other.id, other.parent_id).where(
            other.operation_id == report.operation_id,
            other.substance_id.in_(sorted(related[report.substance_id])),
            other.period_end >= report.period_start,
            other.period_start <= report.period_end,
            other.unit_kind == report.unit_kind,
            other.id != report.id,
            *_same_or_unknown(other.country_id, report.country_id),
            *_same_or_unknown(other.stage_id, report.stage_id),
        )
    )


def _same_or_unknown(column: Any, value: int | None) -> list[Any]:
    return [] if value is None else [or_(column == value, column.is_(None))]


def _lineages(session: Session, report_ids: Iterable[int]) -> dict[int, set[int]]:
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
    session.execute(delete(SeizureSum))
    session.execute(delete(SeizureSumBySubstance))
    session.execute(delete(SeizureOverlap))
    sums: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for row in session.execute(_contribution_rows(None)):
        key = _detail_key(row._mapping)
        sums[key][0] += int(row.amount)
        sums[key][1] += 1
    apply_delta(session, {}, sums)
    _rebuild_overlaps(session)


def _rebuild_overlaps(session: Session) -> None:
    """A sweep over each operation's reports in period order, comparing a report only with
    the still-open reports of the same unit kind whose substance is related to its own."""
    related = related_substances(session)
    parent_of: dict[int, int | None] = {}
    open_reports: dict[tuple[int, str, int], list[tuple[Any, ...]]] = defaultdict(list)
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
    for row in rows:
        parent_of[row.id] = row.parent_id
        for substance in related[row.substance_id]:
            bucket_key = (row.operation_id, row.unit_kind, substance)
            bucket = open_reports.get(bucket_key)
            if not bucket:
                continue
            bucket[:] = [other for other in bucket if other[3] >= row.period_start]
            candidates.extend(
                (other[0], row.id)
                for other in bucket
                if _compatible(other[1], row.country_id) and _compatible(other[2], row.stage_id)
            )
        open_reports[(row.operation_id, row.unit_kind, row.substance_id)].append(
            (row.id, row.country_id, row.stage_id, row.period_end)
        )
    pairs = {
        (min(a, b), max(a, b))
        for a, b in candidates
        if not _is_part_of(a, b, parent_of) and not _is_part_of(b, a, parent_of)
    }
    if pairs:
        session.execute(
            insert(SeizureOverlap), [{"first_id": a, "second_id": b} for a, b in sorted(pairs)]
        )


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

PENDING = "ksopn_summaries_pending"


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Takes the affected reports' contributions while the database still holds them."""
    changed = [
        obj
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, SeizureReport)
    ]
    if not changed:
        return
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
        moved = {
            obj.id
            for obj in changed
            if obj.id in stored and inspect(obj).attrs.parent_id.history.has_changes()
        }
        scope = set(stored) | old_parents | new_parents
        session.info[PENDING] = (scope, contributions(session, scope), moved, changed)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    pending = session.info.pop(PENDING, None)
    if pending is None:
        return
    scope, before, moved, changed = pending
    deleted = {obj.id for obj in changed if inspect(obj).deleted or inspect(obj).was_deleted}
    written = {obj.id for obj in changed if obj.id is not None} - deleted
    apply_delta(session, before, contributions(session, (scope | written) - deleted))
    refresh_overlaps(session, written | descendants(session, moved))
