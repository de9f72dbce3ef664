"""The audit log: every write, with the state before and after, in the write's transaction."""

from collections.abc import Iterable
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, insert, inspect, select
from sqlalchemy.orm import Session

from app.models import AuditEntry, Base
from app.models.enums import AuditAction
from app.staff.keys import Caller


def snapshot(row: Base) -> dict[str, Any]:
    """The row's columns as JSON-ready values, but personal data (a column marked
    `info={"personal": True}`: a reader's contact), which the log would keep for ever."""
    state: dict[str, Any] = {}
    for key in _logged_columns(type(row)):
        value = getattr(row, key)
        state[key] = value.isoformat() if isinstance(value, date | datetime) else value
    return state


@cache
def _logged_columns(model: type[Base]) -> tuple[str, ...]:
    """The attributes `snapshot` logs of a model, found once per model (a stage post
    logs a dozen rows): every column but personal data and the search text, derived from
    the names, which are there already."""
    return tuple(
        column.key
        for column in inspect(model).column_attrs
        if not any(c.info.get("personal") for c in column.columns) and column.key != "search_text"
    )


def record(
    session: Session,
    caller: Caller,
    action: AuditAction,
    row: Base,
    before: dict[str, Any] | None,
) -> None:
    """Logs a write of `row`; call after the write is flushed (for a delete: before it)."""
    session.add(
        AuditEntry(
            at=datetime.now(UTC),
            actor=caller.name,
            action=action,
            entity=row.__tablename__,
            entity_id=row.id,  # type: ignore[attr-defined]
            before=before,
            after=None if action == AuditAction.DELETE else snapshot(row),
        )
    )


def record_created(session: Session, caller: Caller, rows: Iterable[Base]) -> None:
    """Logs the creation of `rows`, already written, in one statement: the entries `record`
    would add one by one, in the same order, at one time (they are one write)."""
    at = datetime.now(UTC)
    entries = [
        {
            "at": at,
            "actor": caller.name,
            "action": AuditAction.CREATE,
            "entity": row.__tablename__,
            "entity_id": row.id,  # type: ignore[attr-defined]
            "before": None,
            "after": snapshot(row),
        }
        for row in rows
    ]
    if entries:  # through the table and the connection: the ORM's paths add their own work
        session.connection().execute(_inserting_entries(), entries)


@cache
def _inserting_entries() -> Any:
    """Built once: a stage post logs a dozen rows, and building took as long as sending."""
    return insert(cast(Table, inspect(AuditEntry).local_table))


def list_entries(
    session: Session,
    *,
    entity: str | None,
    entity_id: int | None,
    since: datetime | None,
    until: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Newest first; `before_id` continues a listing after its last entry."""
    stmt = select(
        AuditEntry.id,
        AuditEntry.at,
        AuditEntry.actor,
        AuditEntry.action,
        AuditEntry.entity,
        AuditEntry.entity_id,
        AuditEntry.before,
        AuditEntry.after,
    )
    if entity is not None:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= as_utc(since))
    if until is not None:
        stmt = stmt.where(AuditEntry.at < as_utc(until))
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    stmt = stmt.order_by(AuditEntry.id.desc()).limit(limit)
    entries = [dict(row._mapping) for row in session.execute(stmt)]
    for entry in entries:
        entry["at"] = as_utc(entry["at"])
    return entries


def as_utc(moment: datetime) -> datetime:
    """Times are kept in UTC; SQLite keeps no zone, so a time without one is UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
