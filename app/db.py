"""Engine construction: one place that knows the differences between SQLite and PostgreSQL."""

import asyncio
import contextlib
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio
import psycopg
from sqlalchemy import Connection, Engine, Insert, create_engine, event, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from app.errors import NotFoundError
from app.models.base import entity_name
from app.models.versions import version_sql


def make_engine(
    url: str,
    *,
    echo: bool = False,
    sqlite_busy_timeout_ms: int = 10_000,
    durable: bool = True,
    pool_size: int | None = None,
    pooled: bool = True,
) -> Engine:
    """`durable=False` is for scratch databases only (bulk demo data): SQLite then does not
    wait for the disk at commit. `pool_size`: exactly that many pooled connections, none
    beyond (a server's `ConnectionBudget`); `pooled=False`: a connection per session.
    Whoever writes reports switches on the bookkeeping of their derived tables first
    (`app.seizures.derived_tables.keep_current`, which the app factory and the CLI call)."""
    parsed = make_url(url)
    pool: dict[str, Any] = {}
    if pool_size is not None:
        pool = {"pool_size": pool_size, "max_overflow": 0}
    if not pooled:
        pool = {"poolclass": NullPool}
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, echo=echo, **pool)
        _ping_when_idle(engine)
        return engine

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    else:
        pool = {}  # an in-memory database is one connection's, whatever the budget
    engine = create_engine(url, echo=echo, **pool)
    _configure_sqlite(engine, sqlite_busy_timeout_ms, durable)
    return engine


# A pooled connection given back longer ago than this is pinged before it is handed out.
PING_AFTER_IDLE_S = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pre-ping, but only for a connection that has been idle: a server
    restarted, or a connection dropped by a time-out, is found before a request uses it.
    Pinging every checkout (`pool_pre_ping`) was a round trip of each read's two on
    PostgreSQL (the year list's mix: 1,363 against 1,478 requests/s without it). A
    connection that dies while it is busy fails its statement, and SQLAlchemy then
    discards every connection of the pool made before (its disconnect handling)."""

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["given_back_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        given_back_at = record.info.get("given_back_at")
        if given_back_at is None or time.monotonic() - given_back_at < PING_AFTER_IDLE_S:
            return  # new, or used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The others given back before it are likely gone too (a restart): the pool
            # replaces every connection older than now.
            raise InvalidatePoolError(f"the pooled connection is gone: {error}") from error
        if not alive:
            raise InvalidatePoolError("the pooled connection is gone")


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, durable: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling skips BEGIN for some statements and breaks
        # SAVEPOINT; let SQLAlchemy issue BEGIN itself (see the "begin" listener).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        # WAL lets readers run beside the writer; synchronous=FULL makes every
        # acknowledged commit survive a power loss, not only a process crash.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {'FULL' if durable else 'OFF'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Writers take the write lock at BEGIN (IMMEDIATE) and wait for it (busy_timeout);
        # a deferred transaction that reads and then writes could instead fail at once
        # with "database is locked" when another writer got in between.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@dataclass(frozen=True)
class ConnectionBudget:
    """How a server process shares its pool, so that no worker thread ever waits for a
    connection. A thread that waited could wait for ever: the connections are held by
    requests whose session end is queued for that same thread (with one thread, 20
    concurrent reads stopped a server for minutes). So what holds a connection across
    thread hops takes a lane's slot first, in the event loop, where waiting costs nothing;
    what holds one only inside a thread is bounded by the threads; and the pool has a
    connection for every slot and every thread.

    - `sessions`: requests' sessions, from the first query to the end of the request;
    - `exports`: streamed downloads, which read in a session of their own while they send;
    - `threads`: work that opens and closes a session inside one thread (key checks);
    - `health`: `/healthz`, in a thread of its own, so that it answers under any load;
    - `failure_writes`: failed key checks, written one at a time in a thread of their own
      (`app.staff.auth`).

    Beside the pool, on PostgreSQL: the data version's probe (`app.http.kept_answers`), and
    the event loop's few connections for its statements (`LoopReads`, `app.main.LOOP_READS`),
    which never wait for one."""

    sessions: int
    exports: int
    threads: int
    health: int = 1
    failure_writes: int = 1

    @classmethod
    def for_threads(cls, threads: int) -> "ConnectionBudget":
        # Two sessions a thread keep a thread busy (one handler runs while the last one's
        # commit waits for its turn); more only hold connections longer.
        return cls(sessions=2 * threads + 2, exports=max(2, threads // 2), threads=threads)

    @property
    def admitted(self) -> int:
        """Requests worked on at once before their answers start (app/http/admission.py):
        enough to keep every session and export slot busy, and as many again waiting for
        one, so that a slot given back is taken at once."""
        return 2 * (self.sessions + self.exports)

    @property
    def pool_size(self) -> int:
        return self.sessions + self.exports + self.threads + self.health + self.failure_writes


class Lanes:
    """The slots of a `ConnectionBudget`, taken in the event loop (`async with`)."""

    def __init__(self, budget: ConnectionBudget) -> None:
        self.budget = budget
        self.sessions = anyio.Semaphore(budget.sessions, fast_acquire=True)
        self.exports = anyio.Semaphore(budget.exports)
        self.health = anyio.CapacityLimiter(budget.health)
        self.admission = anyio.Semaphore(budget.admitted, fast_acquire=True)


class LoopReads:
    """Statements of one read each, run in the event loop on connections of their own,
    outside the pool: the hottest read, the year list's page, without a worker thread and
    without the pool's checkout. `for_engine` gives the database's kind of them. `fetch`
    answers a statement's rows, or None, when the caller reads as before: no connection
    was free, or anything failed; a connection that failed is not used again."""

    answered = 0  # statements it ran: what the tests count
    engine: Engine  # whose database it reads, in that database's SQL

    @staticmethod
    def for_engine(engine: Engine, size: int) -> "LoopReads":
        if engine.dialect.name == "sqlite":
            return _SQLiteLoopReads(engine)
        return _PostgresLoopReads(engine, size)

    async def fetch(self, sql: str, params: Any) -> list[Any] | None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class _SQLiteLoopReads(LoopReads):
    """On SQLite: one connection, used in the loop's thread only (a statement of SQLite's
    is a call that returns its rows: the loop waits for nothing). Taking a pooled one for
    each page and giving it back cost 9 us of a page's 235 in process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Any = None
        self._closed = False

    async def fetch(self, sql: str, params: Any) -> list[Any] | None:
        if self._closed:
            return None
        try:
            if self._connection is None:
                self._connection = detached_connection(self.engine)
            rows = driver_rows(self._connection, sql, params)
        except Exception:
            self._drop()
            return None
        self.answered += 1
        return rows

    async def close(self) -> None:
        self._closed = True
        self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                connection.close()


class _PostgresLoopReads(LoopReads):
    """On PostgreSQL: at most `size` statements at once, on psycopg's asynchronous
    connections in autocommit, each opened the first time it is needed (with the engine's
    own connection arguments; psycopg's own types, which are SQLAlchemy's for the columns
    they read). Through a worker thread, the page's
    round trip cost more than its statement: a request took 546 us of the server's CPU,
    129 of them in the kernel with thirteen context switches. A connection whose statement
    was cancelled (its client went away) is closed too."""

    def __init__(self, engine: Engine, size: int) -> None:
        self.engine = engine
        self.size = size
        self._idle: list[Any] = []
        self._open = 0
        self._closing: set[asyncio.Task[None]] = set()  # held until done (asyncio's advice)
        self._closed = False
        # After a failed connect (the server down, or refusing connections), none is tried
        # again for a while: the pages meanwhile are read in worker threads.
        self._no_connect_until = 0.0

    async def fetch(self, sql: str, params: Any) -> list[Any] | None:
        connection = await self._take()
        if connection is None:
            return None
        try:
            async with connection.cursor() as cursor:
                await cursor.execute(sql, params)
                rows: list[Any] = await cursor.fetchall()
        except asyncio.CancelledError:  # its client went away: closed beside, not awaited
            self._close_beside(connection)
            raise
        except Exception:
            self._open -= 1
            await _close(connection)
            return None
        if self._closed:  # the app stopped while it read
            self._close_beside(connection)
        else:
            self._idle.append(connection)
        self.answered += 1
        return rows

    async def _take(self) -> Any:
        if self._idle:
            return self._idle.pop()
        if self._closed or self._open >= self.size or time.monotonic() < self._no_connect_until:
            return None
        self._open += 1
        try:
            args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
            # An `options` given replaces PGOPTIONS, as it would for the pool's connections.
            given = kwargs.get("options", os.environ.get("PGOPTIONS", ""))
            kwargs["options"] = f"{given} {GENERIC_PLANS}".strip()
            return await psycopg.AsyncConnection.connect(*args, autocommit=True, **kwargs)
        except Exception:
            self._open -= 1
            self._no_connect_until = time.monotonic() + CONNECT_AGAIN_AFTER_S
            return None
        except BaseException:  # cancelled while it connected
            self._open -= 1
            raise

    def _close_beside(self, connection: Any) -> None:
        self._open -= 1
        closing = asyncio.get_running_loop().create_task(_close(connection))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            self._open -= 1
            await _close(connection)
        if self._closing:
            await asyncio.gather(*self._closing)


async def version_in_loop(reads: LoopReads) -> tuple[int, Any] | None:
    """The data version committed now and the time of the facts' last change (as the
    driver gives it), read in the event loop (`LoopReads`) in one statement; None when the
    loop read nothing. A read that answers with facts of that version notes both
    (`note_read_with_facts`)."""
    rows = await reads.fetch(version_sql(reads.engine.dialect.name), ())
    if not rows:
        return None
    version, changed_at = rows[0]
    return int(version), changed_at


# The loop's statements are few and of fixed shapes (a year's page after an id, a report by
# its id, the version), each best read by the same index whatever its values: planned once
# (psycopg prepares a statement run five times), not again at every execution, as
# PostgreSQL kept choosing to (a page of the year list: 254 against 123 us a statement).
GENERIC_PLANS = "-c plan_cache_mode=force_generic_plan"

# Seconds without a new connection of the loop's after one failed to open.
CONNECT_AGAIN_AFTER_S = 1.0


async def _close(connection: Any) -> None:
    with contextlib.suppress(Exception):  # closing a broken connection
        await connection.close()


@dataclass(frozen=True)
class DriverStatement:
    """A statement as a database driver takes it: its SQL for the dialect, the values it
    binds as SQLAlchemy would bind them (a date as SQLite's text), and the order of its
    parameters where the driver takes them by position."""

    sql: str
    fixed: dict[str, Any]
    order: Sequence[str] | None

    @classmethod
    def of(cls, stmt: Any, dialect: Any, *, processed: bool = True) -> "DriverStatement":
        """`processed`: the values made what SQLAlchemy would send; else as they are
        given (the export's statements bind text that their SQL casts to a blob)."""
        # render_postcompile: an IN list's values become plain parameters of the SQL text.
        compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        fixed = dict(compiled.params)
        for name, value in fixed.items() if processed else ():
            bind = compiled.binds.get(name)
            process = (
                None if bind is None else bind.type.dialect_impl(dialect).bind_processor(dialect)
            )
            fixed[name] = value if process is None else process(value)
        return cls(str(compiled), fixed, compiled.positiontup if compiled.positional else None)

    def params(self, values: dict[str, Any] | None = None) -> Any:
        """The parameters, with `values` given for some (`bindparam`)."""
        given = self.fixed if not values else self.fixed | values
        return given if self.order is None else [given[name] for name in self.order]


def driver_rows(driver: Any, sql: str, params: Any) -> list[Any]:
    """A statement's rows through a driver's connection's cursor, past SQLAlchemy's
    execution (for rows of ids, flags and text it cost as much as the database's work)."""
    cursor = driver.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()  # type: ignore[no-any-return]
    finally:
        cursor.close()


def detached_connection(engine: Engine) -> Any:
    """A driver connection of the engine's (its set-up included: SQLite's WAL and
    timeouts), taken out of the pool for good, in autocommit: for one-statement reads
    that hold it for the process's life."""
    raw = engine.raw_connection()
    connection: Any = raw.driver_connection
    raw.detach()
    if engine.dialect.name != "sqlite":  # SQLite's are in autocommit (`_configure_sqlite`)
        connection.rollback()
        connection.autocommit = True
    return connection


def make_sessionmaker(
    engine: Engine, *, writes: bool = False, autocommit: bool = False
) -> sessionmaker[Session]:
    """Sessions for reads, or (writes=True) for writes: on SQLite those BEGIN IMMEDIATE.

    `autocommit=True`: reads that need no snapshot in common (a key check's two rows) and
    so no transaction: on PostgreSQL its BEGIN and ROLLBACK are two round trips of the
    four a key check made. SQLite keeps its transaction: there BEGIN and ROLLBACK cost no
    round trip, and SQLAlchemy's reset of the level on the way back to the pool would
    hand pysqlite its own BEGINs (`_configure_sqlite`)."""
    bind = engine
    if writes:
        bind = engine.execution_options(sqlite_begin="IMMEDIATE")
    elif autocommit and engine.dialect.name != "sqlite":
        bind = engine.execution_options(isolation_level="AUTOCOMMIT")
    return sessionmaker(bind, expire_on_commit=False)


def lock_row(session: Session, model: Any, entity_id: int) -> Any:
    """The row, locked for this transaction (PostgreSQL; SQLite writers hold the lock)."""
    row = session.scalar(select(model).where(model.id == entity_id).with_for_update())
    if row is None:
        raise NotFoundError(f"no {entity_name(model)} {entity_id}")
    return row


@lru_cache(maxsize=8)
def plain_insert(model: Any) -> Insert:
    """A mapped table's INSERT, built once, for a few rows run on the session's connection
    (the derived tables at a commit): a Core statement needs none of the ORM's execution,
    which cost as much as the statement, and a few rows go in by one INSERT where COPY
    (`bulk_insert`) would wait for PostgreSQL twice."""
    return insert(model.__table__)


def bulk_insert(
    connection: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Many rows through the driver's own bulk path, skipping SQLAlchemy's per-value work
    (at a million rows, most of an import's time): COPY on PostgreSQL (200,000 demo reports
    in 52 s instead of 82 by INSERT; a million reports' derived tables rebuilt in 23-27 s
    instead of 33), executemany on SQLite; values as SQLAlchemy would store them."""
    names = ", ".join(columns)
    stored = (tuple(_stored(value) for value in row) for row in rows)
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in stored:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    if values := list(stored):  # no parameters at all would be one bare execution
        connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", values)


def _stored(value: Any) -> Any:
    """A value as SQLAlchemy stores it: dates as ISO text, enums as plain text."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    return value
