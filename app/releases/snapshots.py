"""The record as it stood (`as_of`, app/http/as_of.py): read-only SQLite databases built
from the record's history, one per data version asked for, kept while they are asked for.

A past record is built the way a release's SQLite file is (app/releases/package.py): a
database made by the migrations, here once per process (`_template`, without triggers: it
is never written again), filled with the newest state of each row at that version
(app/models/history.py), its derived tables (the sums, years and overlaps) computed by the
same code that keeps the live ones, and its data version set to the one asked for. So every
read answers from it exactly as it answered then, ETag and Last-Modified included.

A release whose data version is older than the history (a database that held releases
before migration 0019) is answered from its own SQLite file, brought to the current schema
by the migrations.

What it costs (measured in process on SQLite, on a loaded machine): the whole public record
0.24 s and a 0.7 MB file, 100,000 demo reports 14.5 s and 34 MB, once per version asked
for, plus the migrated template once per process (2 s). Builds take turns, one at a time, in
a thread of their own, so that no read waits for a worker thread; at most `snapshots_kept`
past records are kept, the least recently asked for dropped first. The files live in a
folder of this process under `snapshots_dir`, removed when it stops (and, for a process
that died, when the next one starts).
"""

import atexit
import os
import shutil
import sqlite3
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import anyio
from anyio import to_thread
from babel.dates import format_datetime
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Engine,
    Table,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from app import migrate
from app.db import make_engine
from app.error_words import Said
from app.errors import InvalidParameterError
from app.http.as_of import PARAMETER, Asked, AsOf
from app.models import Base, DataVersion, RecordHistory, Release
from app.models.versions import VERSIONED_TABLES, in_utc
from app.releases.package import sqlite_name
from app.seizures import derived_tables

BATCH = 2000
LISTED = 10  # release versions named in an answer


class PastRecords:
    """The past records of one server process (`app.state.past_records`)."""

    def __init__(self, snapshots_dir: Path, releases_dir: Path, kept: int) -> None:
        snapshots_dir.mkdir(parents=True, exist_ok=True)
        _remove_dead_folders(snapshots_dir)
        self.folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=snapshots_dir))
        self.releases_dir = releases_dir
        self.kept = kept
        self._open: OrderedDict[int, tuple[Engine, datetime]] = OrderedDict()
        self._releases: dict[str, tuple[int, datetime]] = {}  # never change once made
        self._builds = anyio.CapacityLimiter(1)
        self._lock = threading.Lock()

    async def open(self, asked: Asked, live: Callable[[], Session]) -> AsOf:
        version, changed_at, release_file = await to_thread.run_sync(self._resolve, asked, live)
        engine = self._opened(version)
        if engine is None:
            engine = await to_thread.run_sync(
                self._build, version, changed_at, release_file, live, limiter=self._builds
            )
        return AsOf(asked, version, changed_at, sessionmaker(engine, expire_on_commit=False))

    def close(self) -> None:
        with self._lock:
            for engine, _ in self._open.values():
                engine.dispose()
            self._open.clear()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- what was asked for: a data version ----------------------------------------------

    def _resolve(
        self, asked: Asked, live: Callable[[], Session]
    ) -> tuple[int, datetime, Path | None]:
        """The data version to answer at, the time of its last change, and the release's
        file when the history does not reach back to it."""
        with live() as session:
            if asked.release is not None:
                return self._release(session, asked.release)
            assert asked.moment is not None
            found = session.execute(
                select(RecordHistory.version, RecordHistory.changed_at)
                .where(RecordHistory.changed_at <= asked.moment)
                .order_by(RecordHistory.changed_at.desc(), RecordHistory.version.desc())
                .limit(1)
            ).first()
            if found is None:
                raise InvalidParameterError(PARAMETER, _before_history(session))
            return found.version, in_utc(found.changed_at), None

    def _release(self, session: Session, version: str) -> tuple[int, datetime, Path | None]:
        if version in self._releases:
            return (*self._releases[version], None)
        data_version = session.scalar(
            select(Release.data_version).where(Release.version == version)
        )
        if data_version is None:
            raise InvalidParameterError(PARAMETER, _no_release(session, version))
        changed_at = session.scalar(
            select(func.max(RecordHistory.changed_at)).where(RecordHistory.version <= data_version)
        )
        if changed_at is None:  # made before the history began: its own file
            path = self.releases_dir / version / sqlite_name(version)
            if not path.is_file():
                raise InvalidParameterError(
                    PARAMETER,
                    Said(
                        f"release {version} was made before the record's history began, "
                        "and its files are not on this server",
                        f"выпуск {version} сделан раньше, чем началась история реестра, "
                        "а его файлов на этом сервере нет",
                    ),
                )
            return data_version, _file_changed_at(path), path
        self._releases[version] = (data_version, in_utc(changed_at))
        return data_version, in_utc(changed_at), None

    # -- the past records kept ------------------------------------------------------------

    def _opened(self, version: int) -> Engine | None:
        with self._lock:
            found = self._open.get(version)
            if found is None:
                return None
            self._open.move_to_end(version)
            return found[0]

    def _keep(self, version: int, engine: Engine, changed_at: datetime) -> None:
        with self._lock:
            self._open[version] = (engine, changed_at)
            while len(self._open) > self.kept:
                dropped, (old, _) = self._open.popitem(last=False)
                old.dispose()
                _path(self.folder, dropped).unlink(missing_ok=True)

    # -- building one ---------------------------------------------------------------------

    def _build(
        self,
        version: int,
        changed_at: datetime,
        release_file: Path | None,
        live: Callable[[], Session],
    ) -> Engine:
        if (engine := self._opened(version)) is not None:  # built while this one waited
            return engine
        path = _path(self.folder, version)
        scratch = path.with_suffix(".building")
        try:
            if release_file is not None:
                _from_release_file(release_file, scratch)
            else:
                shutil.copyfile(_template(self.folder.parent), scratch)
                _fill(scratch, version, changed_at, live)
        except BaseException:
            scratch.unlink(missing_ok=True)
            raise
        os.replace(scratch, path)
        engine = _read_only(path)
        self._keep(version, engine, changed_at)
        return engine


_templates: dict[str, Path] = {}  # by revision: one per process, kept for its lifetime
_template_lock = threading.Lock()


def _template(snapshots_dir: Path) -> Path:
    """An empty database of the current schema, without triggers: made once per process
    (the migrations take seconds), in a folder of its own that goes with the process."""
    revision = migrate.head_revision() or "base"
    with _template_lock:
        found = _templates.get(revision)
        if found is not None and found.exists():
            return found
        folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-template-", dir=snapshots_dir))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "template.sqlite3"
        migrate.upgrade(f"sqlite:///{path}")
        _strip(path)
        _templates[revision] = path
        return path


def _path(folder: Path, version: int) -> Path:
    return folder / f"v{version}.sqlite3"


def _strip(path: Path) -> None:
    """No triggers (a past record is never written: its version is set by hand) and no
    rows (those the migrations made are in the history)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode = DELETE")
        _drop_triggers(connection)
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(f'DELETE FROM "{table.name}"')


def _drop_triggers(connection: sqlite3.Connection) -> None:
    """A past record is never written: its triggers would only cost (its version is set by
    hand)."""
    triggers = connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    for (name,) in triggers.fetchall():
        connection.execute(f'DROP TRIGGER "{name}"')


def _fill(path: Path, version: int, changed_at: datetime, live: Callable[[], Session]) -> None:
    engine = make_engine(f"sqlite:///{path}", durable=False)
    try:
        with live() as source, Session(engine) as target, target.begin():
            # A row may name one further on in its own table (a substance's parent).
            target.connection().exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            for table in Base.metadata.sorted_tables:
                if table.name in VERSIONED_TABLES:
                    _copy_states(source, target, table, version)
            target.execute(insert(DataVersion).values(id=1, version=version, changed_at=changed_at))
            derived_tables.rebuild(target)
    finally:
        engine.dispose()
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode = DELETE")  # one file, read with `immutable`


def _copy_states(source: Session, target: Session, table: Table, version: int) -> None:
    """The newest state of each row of `table` at `version`, unless it is a delete."""
    history = RecordHistory
    newest = func.row_number().over(
        partition_by=history.row_id, order_by=(history.version.desc(), history.id.desc())
    )
    ranked = (
        select(history.row_id, history.change, history.row_data, newest.label("n"))
        .where(history.table_name == table.name, history.version <= version)
        .subquery()
    )
    rows = source.execute(
        select(ranked.c.row_data)
        .where(ranked.c.n == 1, ranked.c.change != "delete")
        .order_by(ranked.c.row_id)
        .execution_options(yield_per=BATCH)
    )
    convert = _converters(table)
    for batch in rows.scalars().partitions():
        target.execute(insert(table), [_row(state, convert) for state in batch])


def _converters(table: Table) -> dict[str, Callable[[Any], Any]]:
    """Each column's value from its JSON: dates from ISO text, booleans from SQLite's 0/1."""
    found: dict[str, Callable[[Any], Any]] = {}
    for column in table.c:
        if isinstance(column.type, Date):
            found[column.name] = date.fromisoformat
        elif isinstance(column.type, DateTime):
            found[column.name] = _moment
        elif isinstance(column.type, Boolean):
            found[column.name] = bool
        else:
            found[column.name] = _same
    return found


def _row(state: dict[str, Any], convert: dict[str, Callable[[Any], Any]]) -> dict[str, Any]:
    return {
        name: None if (value := state.get(name)) is None else make(value)
        for name, make in convert.items()
    }


def _same(value: Any) -> Any:
    return value


def _moment(value: str) -> datetime:
    return in_utc(datetime.fromisoformat(value))


def _read_only(path: Path) -> Engine:
    """Reads of a file that never changes: no locks, no journal (`immutable`)."""
    uri = f"file:{path}?mode=ro&immutable=1"
    return create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
        poolclass=NullPool,
    )


def _from_release_file(release_file: Path, scratch: Path) -> None:
    """A release older than the history: its own file, at the current schema."""
    shutil.copyfile(release_file, scratch)
    scratch.chmod(0o644)
    migrate.upgrade(f"sqlite:///{scratch}")
    with closing(sqlite3.connect(scratch, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode = DELETE")
        _drop_triggers(connection)
        connection.execute("DELETE FROM record_history")  # the upgrade's baseline


def _file_changed_at(path: Path) -> datetime:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        (text,) = connection.execute("SELECT changed_at FROM data_version").fetchone()
    return _moment(text)


def _no_release(session: Session, version: str) -> Said:
    versions = list(
        session.scalars(select(Release.version).order_by(Release.id.desc()).limit(LISTED))
    )
    if not versions:
        return Said(
            f"there is no release {version}: none has been made yet",
            f"выпуска {version} нет: ни одного выпуска ещё не сделано",
        )
    listed = ", ".join(versions)
    return Said(
        f"there is no release {version}; the releases are {listed}",
        f"выпуска {version} нет; есть выпуски {listed}",
    )


def _before_history(session: Session) -> Said:
    first = session.scalar(select(func.min(RecordHistory.changed_at)))
    if first is None:
        return Said(
            "is earlier than the record's history, which holds nothing yet",
            "раньше начала истории реестра, в которой пока ничего нет",
        )
    first = in_utc(first)
    return Said(
        f"is earlier than the record's history, which begins at {first:%Y-%m-%d %H:%M:%S} UTC",
        "раньше начала истории реестра: она начинается "
        + format_datetime(first, "d MMMM y 'г.', HH:mm:ss 'UTC'", tzinfo=UTC, locale="ru"),
    )


def _remove_dead_folders(snapshots_dir: Path) -> None:
    """The folders of processes that died without removing theirs."""
    for folder in snapshots_dir.iterdir():
        pid = folder.name.split("-", 1)[0]
        if folder.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
