"""In-process cost of the year list, fast path on and off (issue 25), in µs per request.

    .venv/bin/python bench/fast_path_inprocess.py sqlite:///path/to/demo.sqlite3 [--rounds 5]

Both apps serve the same database; each round asks each app the same URLs (one URL, then a
long-tail mix of years, limits and cursors), alternating, straight through the ASGI
interface (no HTTP server, no client library): what the app itself costs a request, in the
process's CPU time (its worker threads' included), which other processes on a shared
machine disturb far less than the wall clock. Prints the median and the spread of the
rounds.
"""

import argparse
import asyncio
import random
import statistics
import time
from typing import Any

from app.http.pagination import encode_cursor
from app.main import create_app
from app.settings import Settings

ONE_URL = ("/api/v1/seizures", b"year=2018&limit=100")


def scope_of(path: str, query: bytes, gzip: bool) -> dict[str, Any]:
    headers = [(b"host", b"bench"), (b"accept", b"*/*")]
    if gzip:
        headers.append((b"accept-encoding", b"gzip"))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": headers,
        "server": ("bench", 80),
        "client": ("127.0.0.1", 5000),
    }


async def ask(app: Any, path: str, query: bytes, gzip: bool) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope_of(path, query, gzip), receive, send)
    return status


def long_tail(count: int, seed: int = 25) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    urls = []
    for _ in range(count):
        query = f"year={rng.randrange(1996, 2025)}&limit={rng.choice([10, 20, 50, 100])}"
        if rng.random() < 0.5:
            query += f"&cursor={encode_cursor([rng.randrange(1, 200_000)])}"
        urls.append(("/api/v1/seizures", query.encode()))
    return urls


async def timed(app: Any, urls: list[tuple[str, bytes]], gzip: bool) -> float:
    started = time.process_time()
    for path, query in urls:
        status = await ask(app, path, query, gzip)
        assert status == 200, (path, query, status)
    return (time.process_time() - started) / len(urls) * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    apps = {
        "fast path": create_app(Settings(database_url=args.url, fast_paths=True)),
        "FastAPI path": create_app(Settings(database_url=args.url, fast_paths=False)),
    }
    mixes = {"one URL": [ONE_URL] * args.requests, "long tail": long_tail(args.requests)}
    results: dict[tuple[str, str, bool], list[float]] = {}
    contexts = [app.router.lifespan_context(app) for app in apps.values()]
    for context in contexts:
        await context.__aenter__()
    try:
        for app in apps.values():  # warm-up
            await timed(app, mixes["long tail"][:200], False)
        for _ in range(args.rounds):
            for mix, urls in mixes.items():
                for gzip in (False, True):
                    for name, app in apps.items():
                        results.setdefault((mix, name, gzip), []).append(
                            await timed(app, urls, gzip)
                        )
    finally:
        for context in contexts:
            await context.__aexit__(None, None, None)
    print("| mix | path | gzip | CPU µs per request (median) | spread |")
    print("| --- | --- | --- | ---: | --- |")
    for (mix, name, gzip), values in results.items():
        print(
            f"| {mix} | {name} | {'gzip' if gzip else 'none'} | {statistics.median(values):,.0f} "
            f"| {min(values):,.0f}-{max(values):,.0f} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
