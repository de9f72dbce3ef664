"""How many threads a process gives requests, and that its writes take turns (app/main.py).

On SQLite one thread by default: each row SQLite steps releases the GIL, and with anyio's
forty threads they spent their time waiting to take it back; on PostgreSQL eight, which
overlap their waits for the server. With few threads, writes must take turns in the loop: a
write waiting in a thread for a database lock that another write holds would keep the only
thread the holder needs to commit, and both would wait for ever.
"""

import asyncio
from types import SimpleNamespace
from typing import cast

import pytest
from anyio import to_thread
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from starlette.requests import Request

from app.deps import get_write_session
from app.main import create_app, default_threads
from app.settings import Settings


async def _thread_tokens() -> float:
    return to_thread.current_default_thread_limiter().total_tokens


def test_the_default_threads_are_the_databases() -> None:
    assert default_threads("sqlite") == 2
    assert default_threads("postgresql") == 8


@pytest.mark.parametrize("threads", [None, 3])
def test_the_loop_runs_handlers_with_the_configured_threads(
    database_url: str, monkeypatch: pytest.MonkeyPatch, threads: int | None
) -> None:
    """The limiter of the loop that serves requests: anyio's default would be 40."""
    monkeypatch.delenv("KSOPN_WORKER_THREADS", raising=False)
    expected = threads or default_threads(make_url(database_url).get_backend_name())
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


@pytest.mark.parametrize(("threads", "slots"), [(1, 1), (3, 2)])
def test_write_sessions_take_turns(database_url: str, threads: int, slots: int) -> None:
    """As many write sessions at a time as there are threads but one (and at least one):
    the next is given only once one of them has ended."""
    app = create_app(Settings(database_url=database_url, worker_threads=threads))
    request = cast(Request, SimpleNamespace(app=app))
    log: list[str] = []

    async def write(name: str, ended: asyncio.Event) -> None:
        sessions = get_write_session(request)
        await anext(sessions)
        log.append(f"{name} begins")
        await ended.wait()
        await anext(sessions, None)  # commits and closes
        log.append(f"{name} ended")

    async def let_run() -> None:
        for _ in range(5):  # lets the tasks run as far as they can
            await asyncio.sleep(0)

    async def more_writes_than_slots() -> None:
        assert isinstance(app.state.write_slots, asyncio.Semaphore)
        ends = [asyncio.Event() for _ in range(slots + 1)]
        tasks = [asyncio.create_task(write(f"w{i}", end)) for i, end in enumerate(ends)]
        await let_run()
        assert log == [f"w{i} begins" for i in range(slots)]  # the last one waits
        ends[0].set()
        await tasks[0]  # its commit runs in a worker thread
        await let_run()
        assert log[slots:] == ["w0 ended", f"w{slots} begins"]
        for end in ends:
            end.set()
        await asyncio.gather(*tasks)

    with TestClient(app) as client:
        assert client.portal is not None
        client.portal.call(more_writes_than_slots)
    assert log.count("w0 ended") == 1
    assert len(log) == 2 * (slots + 1)
