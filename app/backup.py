"""Backups of the SQLite database with SQLite's online backup API, and restores from them.

The backup API copies the database as one read transaction sees it: in WAL mode that
snapshot is consistent while the server keeps committing, and the writers are not
blocked. PostgreSQL has its own tools (pg_dump, pg_restore); they are named, not wrapped.
"""

import os
import shlex
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from app import migrate

SQLITE_HEADER = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message says why."""


# What a caller reports as a failed backup or restore, rather than as a bug: a refusal, a
# file system error (a full disk, no permission), or SQLite's own error.
FAILURES = (BackupError, OSError, sqlite3.Error)


@dataclass(frozen=True)
class BackupInfo:
    """A checked SQLite file: its size in bytes and its migration revision."""

    path: Path
    size: int
    revision: str | None

    def describe(self) -> str:
        return f"{self.path}, {self.size:,} bytes, revision {self.revision}, integrity ok"


def sqlite_path(database_url: str, backup: Path) -> Path:
    """The database file behind the URL; other databases are refused with what to use."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        raise BackupError(postgresql_hint(database_url, backup))
    if url.get_backend_name() != "sqlite":
        raise BackupError(f"backups are made of SQLite databases only, not {url.drivername}")
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has no file to back up or restore")
    return Path(url.database).resolve()


def postgresql_hint(database_url: str, backup: Path) -> str:
    # libpq takes a plain postgresql:// URL; the password stays out of the printed command.
    url = make_url(database_url)
    plain = URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    )
    target, file = shlex.quote(plain.render_as_string()), shlex.quote(str(backup))
    return (
        "the database is PostgreSQL: back it up and restore it with PostgreSQL's own tools\n"
        f"  pg_dump -Fc -d {target} -f {file}\n"
        f"  pg_restore --clean --if-exists -d {target} {file}\n"
        "(the password from PGPASSWORD or ~/.pgpass)"
    )


def backup_sqlite(
    database_url: str, target: Path, *, force: bool = False, busy_timeout_ms: int = 10_000
) -> BackupInfo:
    """Copies the live database to TARGET through a temporary file beside it, checks the
    copy, then renames it into place, so TARGET is either absent, the old file, or whole."""
    live = sqlite_path(database_url, target)
    target = target.resolve()
    if target.exists() and not force:
        raise BackupError(f"{target} exists; pass --force to replace it")
    if target == live:
        raise BackupError("the backup cannot replace the database it is copied from")
    if not live.is_file():
        raise BackupError(f"there is no database at {live}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with _temporary_beside(target) as temporary:
        with (
            closing(_connect(live, "rw", busy_timeout_ms)) as source,
            closing(_connect(temporary, "rw", busy_timeout_ms)) as copy,
        ):
            _copy(source, copy)
            # One self-contained file: the copy must not need a -wal file beside it.
            copy.execute("PRAGMA journal_mode = DELETE")
        info = verify_backup(temporary)
        os.replace(temporary, target)
    _sync_directory(target.parent)
    return BackupInfo(target, info.size, info.revision)


def verify_backup(path: Path) -> BackupInfo:
    """Refuses anything but an intact SQLite file at a revision this code knows."""
    return _verify(path, "ro")


def _verify(path: Path, mode: str) -> BackupInfo:
    if not path.is_file():
        raise BackupError(f"there is no file at {path}")
    with path.open("rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{path} is not a SQLite database")
    try:
        with closing(_connect(path, mode)) as connection:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} fails the integrity check: {error}") from error
    if problems != ["ok"]:
        raise BackupError(f"{path} fails the integrity check: {'; '.join(problems[:5])}")
    revision = _revision(path, mode)
    _check_known(path, revision)
    return BackupInfo(path, path.stat().st_size, revision)


def restore_sqlite(database_url: str, backup: Path, *, busy_timeout_ms: int = 10_000) -> BackupInfo:
    """Replaces the live database's contents with the backup's, in one write transaction.

    The backup API writes through the live database's own journal (the WAL), so connections
    that are open see either the old database or the restored one, never a mix.
    """
    live = sqlite_path(database_url, backup)
    backup = backup.resolve()
    if backup == live:
        raise BackupError("the backup is the live database itself")
    verify_backup(backup)
    live.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(_connect(backup, "ro")) as source,
        closing(_connect(live, "rwc", busy_timeout_ms)) as destination,
    ):
        replaced = _data_version(destination)
        _copy(source, destination)
        _move_data_version_past(destination, replaced)
    # Read-write, like the server: a read-only connection could not tidy the WAL on close.
    return _verify(live, "rw")


def _copy(source: sqlite3.Connection, destination: sqlite3.Connection) -> None:
    # pages=-1 copies everything in one step, inside one read transaction on the source:
    # one snapshot. Copying in slices would restart whenever the server commits in between.
    try:
        source.backup(destination, pages=-1)
    except sqlite3.Error as error:
        raise BackupError(f"the copy failed: {error}") from error


def _data_version(connection: sqlite3.Connection) -> int:
    """The database's data version (app/models/versions.py); 0 before migration 0008."""
    try:
        row = connection.execute("SELECT version FROM data_version").fetchone()
    except sqlite3.OperationalError:  # no such table
        return 0
    return int(row[0]) if row else 0


def _move_data_version_past(connection: sqlite3.Connection, replaced: int) -> None:
    """After a restore, the data version must name no state it named before, in either
    database's history: past both, and past the clock (as migration 0008 starts it)."""
    restored = _data_version(connection)
    if restored == 0:  # a backup from before 0008: its upgrade starts the version afresh
        return
    version = max(replaced, restored, time.time_ns() // 1000) + 1
    columns = {row[1] for row in connection.execute("PRAGMA table_info(data_version)")}
    with connection:
        connection.execute("UPDATE data_version SET version = ? WHERE id = 1", (version,))
        if "changed_at" in columns:  # migration 0017: the facts changed now (Last-Modified)
            connection.execute(
                "UPDATE data_version SET changed_at = strftime('%Y-%m-%d %H:%M:%f', 'now') "
                "WHERE id = 1"
            )


def _connect(path: Path, mode: str, busy_timeout_ms: int = 10_000) -> sqlite3.Connection:
    # A URI with mode=ro/rw never creates a missing file the way a plain path would.
    connection = sqlite3.connect(f"file:{quote(str(path))}?mode={mode}", uri=True)
    connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return connection


def _revision(path: Path, mode: str) -> str | None:
    engine = create_engine("sqlite://", creator=lambda: _connect(path, mode), poolclass=NullPool)
    try:
        return migrate.current_revision(engine)
    finally:
        engine.dispose()


def _check_known(path: Path, revision: str | None) -> None:
    head = migrate.head_revision()
    if revision is None:
        raise BackupError(f"{path} has no migration revision: it is not a registry database")
    try:
        ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_revision(revision)
    except CommandError as error:
        raise BackupError(
            f"{path} is at revision {revision}, which this code does not know (its newest is "
            f"{head}): it was made by a newer version of the registry"
        ) from error


@contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """A fresh file in TARGET's folder (a rename within one file system is atomic); removed
    unless it was renamed into place."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
    finally:
        for leftover in (temporary, *(Path(f"{name}-{end}") for end in ("journal", "wal", "shm"))):
            leftover.unlink(missing_ok=True)


def _sync_directory(directory: Path) -> None:
    # The rename is durable once the folder's entry is on disk, not before.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
