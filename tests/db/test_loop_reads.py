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


async def _postgres_reads(engine: Engine, size: int) -> LoopReads:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite's statements in the loop are calls that return their rows")
    return LoopReads.for_engine(engine, size)


async def test_the_rows_are_the_drivers(engine: Engine) -> None:
    reads = LoopReads.for_engine(engine, 2)
    try:
        assert await reads.fetch("SELECT 1, 'текст'", {}) == [(1, "текст")]
        assert await reads.fetch("SELECT 2, 'text'", {}) == [(2, "text")]
        assert reads.answered == 2
    finally:
        await reads.close()


async def test_a_failed_statement_is_none_and_the_next_one_is_read(engine: Engine) -> None:
    reads = LoopReads.for_engine(engine, 1)
    try:
        assert await reads.fetch("SELECT no_such_column FROM data_version_none", {}) is None
        assert await reads.fetch("SELECT 1", {}) == [(1,)]
    finally:
        await reads.close()


async def test_postgresql_gives_the_engines_types(engine: Engine) -> None:
    reads = await _postgres_reads(engine, 2)
    try:
        rows = await reads.fetch(
            "SELECT %(day)s::DATE + 1, now(), true", {"day": date(2018, 12, 31)}
        )
        assert rows is not None
        ((day, moment, flag),) = rows
        assert (day, flag) == (date(2019, 1, 1), True)
        assert isinstance(moment, datetime)
        assert moment.tzinfo is not None
    finally:
        await reads.close()


async def test_no_more_than_size_at_once(engine: Engine) -> None:
    reads = await _postgres_reads(engine, 1)
    try:
        slow = asyncio.create_task(reads.fetch("SELECT 2 FROM pg_sleep(0.3)", {}))
        await asyncio.sleep(0.1)
        assert await reads.fetch("SELECT 1", {}) is None  # none free: read elsewhere
        assert await slow == [(2,)]
        assert await reads.fetch("SELECT 1", {}) == [(1,)]  # given back
    finally:
        await reads.close()


async def test_postgresql_does_not_use_a_failed_connection_again(
    engine: Engine,
) -> None:
    reads = await _postgres_reads(engine, 1)
    try:
        first = await reads.fetch("SELECT pg_backend_pid()", {})
        assert await reads.fetch("SELECT 1/0", {}) is None
        after = await reads.fetch("SELECT pg_backend_pid()", {})
        assert first is not None
        assert after is not None
        assert first != after
    finally:
        await reads.close()


async def test_a_cancelled_statement_is_cancelled_and_its_connection_dropped(
    engine: Engine,
) -> None:
    reads = await _postgres_reads(engine, 1)
    try:
        first = await reads.fetch("SELECT pg_backend_pid()", {})
        slow = asyncio.create_task(reads.fetch("SELECT pg_sleep(5)", {}))
        await asyncio.sleep(0.1)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        after = await reads.fetch("SELECT pg_backend_pid()", {})
        assert after is not None
        assert after != first
    finally:
        await reads.close()


async def test_a_connect_cancelled_or_failed_gives_its_place_back(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client gone while its connection opened, or a server refusing it: the place is
    free again, and after a refusal no connection is tried for a while."""
    reads = await _postgres_reads(engine, 1)
    tries: list[str] = []

    async def slow_connect(*_args: object, **_kwargs: object) -> None:
        tries.append("slow")
        await asyncio.sleep(5)

    monkeypatch.setattr(psycopg.AsyncConnection, "connect", slow_connect)
    waiting = asyncio.create_task(reads.fetch("SELECT 1", {}))
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting

    async def refused(*_args: object, **_kwargs: object) -> None:
        tries.append("refused")
        raise psycopg.OperationalError("too many clients already")

    monkeypatch.setattr(psycopg.AsyncConnection, "connect", refused)
    assert await reads.fetch("SELECT 1", {}) is None  # its place was given back: tried
    assert await reads.fetch("SELECT 1", {}) is None  # not tried again at once
    assert tries == ["slow", "refused"]
    await reads.close()


async def test_after_close_nothing_is_read(engine: Engine) -> None:
    reads = LoopReads.for_engine(engine, 1)
    assert await reads.fetch("SELECT 1", {}) == [(1,)]
    await reads.close()
    assert await reads.fetch("SELECT 1", {}) is None
