"""How many threads a process gives requests, and that its writes take turns (app/main.py).

One thread by default: each row SQLite steps releases the GIL, and with anyio's forty
threads they spent their time waiting to take it back. With few threads, writes must take
turns in the loop: a write waiting in a thread for a database lock that another write holds
would keep the only thread the holder needs to commit, and both would wait for ever.
"""

import asyncio
from types import SimpleNamespace
from typing import cast

import pytest
from anyio import to_thread
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.requests import Request

from app.deps import get_write_session
from app.main import create_app
from app.settings import Settings


async def _thread_tokens() -> float:
    return to_thread.current_default_thread_limiter().total_tokens


@pytest.mark.parametrize(("threads", "expected"), [(None, 1), (3, 3)])
def test_the_loop_runs_handlers_with_the_configured_threads(
    database_url: str, monkeypatch: pytest.MonkeyPatch, threads: int | None, expected: int
) -> None:
    """The limiter of the loop that serves requests: anyio's default would be 40."""
    monkeypatch.delenv("KSOPN_WORKER_THREADS", raising=False)
    if threads is None:
        settings = Settings(_env_file=None, database_url=database_url)
    else:
        settings = Settings(_env_file=None, database_url=database_url, worker_threads=threads)
    with TestClient(create_app(settings)) as client:
        assert client.portal is not None
        assert client.portal.call(_thread_tokens) == expected


@pytest.mark.parametrize("value", ["0", "65"])
def test_worker_threads_out_of_range_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("KSOPN_WORKER_THREADS", value)
    with pytest.raises(ValidationError, match="worker_threads"):
        Settings(_env_file=None)


def test_worker_threads_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSOPN_WORKER_THREADS", "8")
    assert Settings(_env_file=None).worker_threads == 8


def test_write_sessions_take_turns(database_url: str) -> None:
    """A second write session is given only once the first has ended, and the lock that
    orders them is the app's, held for the whole transaction."""
    app = create_app(Settings(database_url=database_url))
    request = cast(Request, SimpleNamespace(app=app))
    log: list[str] = []

    async def second_write() -> None:
        sessions = get_write_session(request)
        await anext(sessions)
        log.append("second begins")
        await anext(sessions, None)  # commits and closes
        log.append("second ended")

    async def two_writes() -> None:
        lock = app.state.write_lock
        assert isinstance(lock, asyncio.Lock)
        assert not lock.locked()
        first = get_write_session(request)
        await anext(first)
        log.append("first begins")
        assert lock.locked()
        second = asyncio.create_task(second_write())
        for _ in range(5):  # lets the second run as far as it can: to the lock
            await asyncio.sleep(0)
        assert not second.done()
        log.append("first ends")
        await anext(first, None)  # commits and closes, which lets the second in
        await second
        assert not lock.locked()

    with TestClient(app) as client:
        assert client.portal is not None
        client.portal.call(two_writes)
    assert log == ["first begins", "first ends", "second begins", "second ended"]
