"""The cost of a request in process: the whole ASGI app, called directly, no network.

    .venv/bin/python bench/fixed_cost.py DATABASE_URL PATH [PATH ...] [--seconds 1] [--rounds 5]

Builds the app as `ksopn serve` does (`create_app`, its lifespan run first), then for each
path times rounds of calls of `await app(scope, receive, send)` one after another on uvloop,
as uvicorn runs them: in each round, as many calls as fit in `--seconds` (at least three).
What is measured is the wall time from the call to the app's return, per request: every
middleware, the routing, the dependencies, the worker thread hops, the SQL, the body and its
headers; not HTTP parsing or sockets (uvicorn's part), and nothing subtracted. With
`--first-reads` every request carries a header of its own (`x-bench-request: N`), so that
none is given an answer kept for an earlier one (app/http/kept_answers.py): the cost of a
read asked for the first time at a data version. The paths take turns within each round, so
that a slow moment of a shared machine falls on all of them alike. Prints JSON: per path,
the microseconds per request of each round. Every answer must be a 200, else it stops.
"""

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp as App
from starlette.types import Message

from app.main import create_app
from app.settings import Settings


async def _started(app: App) -> tuple[dict[str, Any], Callable[[], Awaitable[None]]]:
    """Runs the app's lifespan up to its startup; gives its state and the way to shut down."""
    events: asyncio.Queue[Message] = asyncio.Queue()
    up, down = asyncio.Event(), asyncio.Event()
    state: dict[str, Any] = {}

    async def send(message: Message) -> None:
        if message["type"].startswith("lifespan.startup"):
            if message["type"] == "lifespan.startup.failed":
                raise RuntimeError(message.get("message", "the app's startup failed"))
            up.set()
        elif message["type"].startswith("lifespan.shutdown"):
            down.set()

    async def lifespan() -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
        await app(scope, events.get, send)

    task = asyncio.create_task(lifespan())
    await events.put({"type": "lifespan.startup"})
    await up.wait()

    async def shutdown() -> None:
        await events.put({"type": "lifespan.shutdown"})
        await down.wait()
        await task

    return state, shutdown


FIRST_READS = False
_asked = 0


def _headers() -> list[tuple[bytes, bytes]]:
    global _asked
    headers = [(b"host", b"127.0.0.1:8000")]
    if FIRST_READS:
        _asked += 1
        headers.append((b"x-bench-request", str(_asked).encode()))
    return headers


def _scope(target: str, state: dict[str, Any]) -> Message:
    """A GET as uvicorn hands it over, from a client that sends what wrk sends."""
    parts = urlsplit(target)
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": _headers(),
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": dict(state),
    }


async def _request(app: App, target: str, state: dict[str, Any]) -> None:
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(target, state), receive, send)
    if status != 200:
        raise RuntimeError(f"{target} answered {status}")


async def _timed(app: App, path: str, state: dict[str, Any], seconds: float) -> float:
    """Microseconds per request over as many requests as fit in `seconds`, three at least."""
    started = time.perf_counter()
    done = 0
    while done < 3 or time.perf_counter() - started < seconds:
        await _request(app, path, state)
        done += 1
    return (time.perf_counter() - started) / done * 1e6


async def measure(
    url: str, paths: list[str], seconds: float, rounds: int
) -> dict[str, list[float]]:
    app: App = create_app(Settings(database_url=url))
    state, shutdown = await _started(app)
    try:
        for path in paths:  # warm-up: caches, the pool's connections, lazy imports
            await _timed(app, path, state, seconds / 4)
        micros: dict[str, list[float]] = {path: [] for path in paths}
        for _ in range(rounds):
            for path in paths:
                micros[path].append(await _timed(app, path, state, seconds))
        return micros
    finally:
        await shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--seconds", type=float, default=1, help="per path and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--first-reads", action="store_true", help="no request is given a kept answer"
    )
    args = parser.parse_args()
    global FIRST_READS
    FIRST_READS = args.first_reads
    run = measure(args.url, args.paths, args.seconds, args.rounds)
    try:
        import uvloop
    except ImportError:  # uvicorn falls back to asyncio alike
        print(json.dumps(asyncio.run(run)))
    else:
        print(json.dumps(uvloop.run(run)))


if __name__ == "__main__":
    main()
