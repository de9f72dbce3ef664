"""The registry's data version: one number that every change to the registry's facts bumps,
in the same transaction, by database triggers (migration 0008). Whatever writes (the API,
the seed loader, demo-data's bulk inserts, a restore, SQL by hand), a reader that sees the
same version sees the same facts; so an answer can be named by the version it was read at
(an export's ETag; a cache of totals).

Versions start at the time of the migration in microseconds, and a restore moves the
number past both databases' versions (app/backup.py), so a version never names two states.

`changed_at` is the time of the last change, set by the same triggers (migration 0017), in
UTC and never backwards: the reads' `Last-Modified` (app/http/modified.py). A read session
that is asked to (`note_changed_at`) reads it first thing in its transaction, before any
fact: on PostgreSQL each statement of a transaction sees the commits made before it, and
a time read after the facts could be newer than them, so that a client holding the older
facts would be told by If-Modified-Since that they are current.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ColumnElement,
    Connection,
    DateTime,
    Integer,
    cast,
    event,
    extract,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from app.models.base import Base

# The tables whose rows are the registry's facts. Not the derived tables (they change only
# with seizure_reports), and not the staff's (keys, the audit log, idempotency records).
VERSIONED_TABLES = (
    "activities",
    "assessments",
    "bodies",
    "claims",
    "countries",
    "documents",
    "events",
    "exercise_objectives",
    "meeting_decisions",
    "meetings",
    "membership_statements",
    "memberships",
    "operation_statuses",
    "operations",
    "organizations",
    "participations",
    "reported_figures",
    "seizure_reports",
    "sources",
    "stage_results",
    "stages",
    "substances",
)


class DataVersion(Base):
    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def data_version(session: Session) -> int:
    """The data version as this session's transaction sees it."""
    return session.execute(_VERSION).scalar_one()


def read_data_version(session: Session) -> int:
    """`data_version` for a session that only reads, so has nothing to flush first: on its
    connection, past the ORM's execution, which took a third of a kept totals' answer."""
    return session.connection().execute(_VERSION).scalar_one()


# Built once: every read asks it, and building a statement and its cache key each time
# took a fifth of a report's read on the fast path (the rest of it 0.5 ms).
_VERSION = select(DataVersion.version)


# The key in `Session.info` under which a read session keeps the time it began at.
CHANGED_AT = "data_changed_at"
_ASKED = object()
# The key in `Session.info` (and in the request's state: `app.deps.read_session`) of the
# list where a read session notes each data version it read facts at, as `(version,
# whole)`: `whole` when the facts and the version were read in one statement (the facts
# are that version's), else read first thing in a transaction, before any fact (the facts
# are that version's if the version is still the same after them). The kept answers keep
# an answer under it (app/http/kept_answers.py).
VERSIONS_READ = "data_versions_read"
VersionsRead = list[tuple[int, bool]]


def note_changed_at(session: Session) -> None:
    """Has the session read the time of the facts' last change as its transaction begins
    (`changed_at_noted` then gives it)."""
    session.info[CHANGED_AT] = _ASKED


def changed_at_noted(session: Session) -> datetime | None:
    """The time `note_changed_at` asked for, in UTC; None when it was not asked for or the
    session has read nothing yet."""
    noted = session.info.get(CHANGED_AT)
    return noted if isinstance(noted, datetime) else None


def note_versions_read(session: Session, versions: VersionsRead) -> None:
    """Has the session note in `versions` the data version of each transaction it begins
    (and of each read of one statement that needed none: `note_read_with_facts`)."""
    session.info[VERSIONS_READ] = versions


def note_read_with_facts(session: Session, version: int, stored: Any, dialect: Dialect) -> None:
    """Notes the data version and `changed_at` (as `changed_at_selected` selects it) as
    read in one statement with the facts of a read that needed no transaction of its own
    (app/seizures/list_items.py): the same state of the facts, so the session need not
    begin one to read them first."""
    if session.info.get(CHANGED_AT) is _ASKED:
        session.info[CHANGED_AT] = changed_at_from(dialect)(stored)
    versions: VersionsRead | None = session.info.get(VERSIONS_READ)
    if versions is not None:
        versions.append((version, True))


@event.listens_for(Session, "after_begin")
def _read_version_first(
    session: Session, _transaction: SessionTransaction, connection: Any
) -> None:
    asked = session.info.get(CHANGED_AT) is _ASKED
    versions: VersionsRead | None = session.info.get(VERSIONS_READ)
    if not asked and versions is None:
        return
    version, changed_at = _version_and_changed_at(connection)
    if asked:
        session.info[CHANGED_AT] = in_utc(changed_at)
    if versions is not None:
        versions.append((version, False))


def changed_at_selected(dialect_name: str) -> ColumnElement[Any]:
    """`changed_at` as the reads that note it beside their facts (`note_read_with_facts`)
    select it, a scalar subquery on each of their rows. On PostgreSQL as microseconds since
    1970, an integer: psycopg read a timestamptz on each row of a year's page in a third of
    the page's statement (150 µs of 430), an integer in almost nothing. On SQLite the stored
    text, which the driver does not parse. `changed_at_from` makes either the time."""
    if dialect_name == "postgresql":
        return cast(extract("epoch", DataVersion.changed_at) * 1_000_000, BigInteger)
    return DataVersion.__table__.c.changed_at


def version_sql(dialect_name: str) -> str:
    """The data version and `changed_at`, as `changed_at_selected` has it, for the driver."""
    changed_at = "changed_at"
    if dialect_name == "postgresql":
        changed_at = "CAST(EXTRACT(EPOCH FROM changed_at) * 1000000 AS BIGINT)"
    return f"SELECT version, {changed_at} FROM data_version"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=4)
def changed_at_from(dialect: Dialect) -> Callable[[Any], datetime]:
    """The time in UTC from `changed_at` as `changed_at_selected` selects it."""
    if dialect.name == "postgresql":
        return lambda micros: _EPOCH + timedelta(microseconds=int(micros))
    as_datetime = _as_datetime(dialect)
    return lambda stored: in_utc(as_datetime(stored))


def _version_and_changed_at(connection: Connection) -> tuple[int, datetime]:
    """The data version and `changed_at`, read through the driver's cursor in the
    connection's transaction, the time made a datetime as SQLAlchemy makes it: every read
    of the record asks them, and SQLAlchemy's execution of one statement (its result's
    metadata above all) took a quarter of a small page's time, the query itself a
    twentieth."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("SELECT version, changed_at FROM data_version")
        version, stored = cursor.fetchone()
    finally:
        cursor.close()
    return int(version), _as_datetime(connection.dialect)(stored)


@lru_cache(maxsize=4)
def _as_datetime(dialect: Dialect) -> Callable[[Any], Any]:
    """The column's own result processor on this database (none: the driver's value)."""
    column_type = DataVersion.__table__.c.changed_at.type
    processor = column_type.dialect_impl(dialect).result_processor(dialect, None)
    return processor or (lambda value: value)


def in_utc(moment: datetime) -> datetime:
    """SQLite gives the stored UTC time without a zone; PostgreSQL in the session's zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
