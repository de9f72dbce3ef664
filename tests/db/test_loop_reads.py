"""Statements read in the event loop (app/db.py `LoopReads`): the rows a worker thread's
cursor would give, on connections of their own (on PostgreSQL at most `size`); when none is
free or a statement fails, None (the caller reads as before), and a connection that failed
or was cancelled mid-statement is not used again."""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime

import psycopg
import pytest
from sqlalchemy import Engine

from app.db import LoopReads, make_engine

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def engine(new_database: Callable[[], str]) -> AsyncIterator[Engine]:
    made = make_engine(new_database())
    yield made
    made.dispose()


@pytest.fixture
async def reads(engine: Engine) -> AsyncIterator[LoopReads]:
    """The database's kind of loop reads, two at most at once; closed at the end."""
    made = LoopReads.for_engine(engine, 2)
    yield made
    await made.close()


@pytest.fixture
async def postgres_reads(engine: Engine) -> AsyncIterator[LoopReads]:
    """PostgreSQL's, one at most at once: the bound, cancellation and failed connections."""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite's statements in the loop are calls that return their rows")
    made = LoopReads.for_engine(engine, 1)
    yield made
    await made.close()


async def _backend_pid(reads: LoopReads) -> int:
    rows = await reads.fetch("SELECT pg_backend_pid()", {})
    assert rows is not None
    return int(rows[0][0])


async def test_the_rows_are_the_drivers(reads: LoopReads) -> None:
    assert await reads.fetch("SELECT 1, 'текст'", {}) == [(1, "текст")]
    assert await reads.fetch("SELECT 2, 'text'", {}) == [(2, "text")]
    assert reads.answered == 2


async def test_a_failed_statement_is_none_and_the_next_one_is_read(reads: LoopReads) -> None:
    assert await reads.fetch("SELECT no_such_column FROM data_version_none", {}) is None
    assert await reads.fetch("SELECT 1", {}) == [(1,)]


async def test_postgresql_plans_the_loops_statements_once(postgres_reads: LoopReads) -> None:
    assert await postgres_reads.fetch("SHOW plan_cache_mode", {}) == [("force_generic_plan",)]


async def test_postgresql_gives_the_engines_types(postgres_reads: LoopReads) -> None:
    rows = await postgres_reads.fetch(
        "SELECT %(day)s::DATE + 1, now(), true", {"day": date(2018, 12, 31)}
    )
    assert rows is not None
    ((day, moment, flag),) = rows
    assert (day, flag) == (date(2019, 1, 1), True)
    assert isinstance(moment, datetime)
    assert moment.tzinfo is not None


async def test_no_more_than_size_at_once(postgres_reads: LoopReads) -> None:
    reads = postgres_reads
    slow = asyncio.create_task(reads.fetch("SELECT 2 FROM pg_sleep(0.3)", {}))
    await asyncio.sleep(0.1)
    assert await reads.fetch("SELECT 1", {}) is None  # none free: read elsewhere
    assert await slow == [(2,)]
    assert await reads.fetch("SELECT 1", {}) == [(1,)]  # given back


async def test_postgresql_does_not_use_a_failed_connection_again(
    postgres_reads: LoopReads,
) -> None:
    first = await _backend_pid(postgres_reads)
    assert await postgres_reads.fetch("SELECT 1/0", {}) is None
    assert await _backend_pid(postgres_reads) != first


async def test_a_cancelled_statement_is_cancelled_and_its_connection_dropped(
    postgres_reads: LoopReads,
) -> None:
    first = await _backend_pid(postgres_reads)
    slow = asyncio.create_task(postgres_reads.fetch("SELECT pg_sleep(5)", {}))
    await asyncio.sleep(0.1)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert await _backend_pid(postgres_reads) != first


async def test_a_connect_cancelled_or_failed_gives_its_place_back(
    postgres_reads: LoopReads, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client gone while its connection opened, or a server refusing it: the place is
    free again, and after a refusal no connection is tried for a while."""
    tries: list[str] = []

    async def slow_connect(*_args: object, **_kwargs: object) -> None:
        tries.append("slow")
        await asyncio.sleep(5)

    monkeypatch.setattr(psycopg.AsyncConnection, "connect", slow_connect)
    waiting = asyncio.create_task(postgres_reads.fetch("SELECT 1", {}))
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting

    async def refused(*_args: object, **_kwargs: object) -> None:
        tries.append("refused")
        raise psycopg.OperationalError("too many clients already")

    monkeypatch.setattr(psycopg.AsyncConnection, "connect", refused)
    assert await postgres_reads.fetch("SELECT 1", {}) is None  # its place was given back: tried
    assert await postgres_reads.fetch("SELECT 1", {}) is None  # not tried again at once
    assert tries == ["slow", "refused"]


async def test_after_close_nothing_is_read(reads: LoopReads) -> None:
    assert await reads.fetch("SELECT 1", {}) == [(1,)]
    await reads.close()
    assert await reads.fetch("SELECT 1", {}) is None
