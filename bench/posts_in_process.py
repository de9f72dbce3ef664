"""Stage posts in process: the bench's post (bench/post_stage.lua: a stage of ten reports,
each post its own number) sent through httpx's ASGI transport to the app, with no server
and no wrk, so that a change to the write path is timed alone.

    .venv/bin/python bench/posts_in_process.py URL [--posts 300] [--concurrency 2] [--statements]

URL is a database made by `ksopn demo-data` (it is written to: use a copy). Prints posts/s
and ms per post over `--posts` posts after a warm-up of 20; `--concurrency 2` is what
`make bench` drives with wrk (-c2). `--statements` also counts, per timed post, what goes to
the database through SQLAlchemy: statements (an executemany is one; the key check's one
statement, read in the event loop on a driver connection of the loop's own, is not among
them), and transactions begun, committed and
rolled back (not those of a connection in autocommit, which sends none); on PostgreSQL each
of those is a round trip. Connections taken out of the pool are counted too: each was a
round trip when the pool pinged every one (it now pings one idle for a while only,
`app.db._ping_when_idle`).
"""

import argparse
import asyncio
import time
import uuid
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from app.db import make_engine
from app.main import create_app
from app.models.enums import KeyRole
from app.settings import Settings
from app.staff.keys import create_key

SUBSTANCES = ("heroin", "opium", "hashish", "marijuana", "cocaine", "synthetic-drugs",
              "precursors", "potent-substances", "heroin", "opium")  # fmt: skip
PATH = "/api/v1/operations/grom/stages"


def body(number: int) -> dict[str, object]:
    """bench/post_stage.lua's body."""
    seizures = [
        {"substance": substance, "quantity": f"{i} kg", "country": "KAZ"}
        for i, substance in enumerate(SUBSTANCES, start=1)
    ]
    return {"number": number, "start_on": "2024-05-10", "end_on": "2024-05-21",
            "lead_country": "KAZ", "source": "mvd-ksopn-15-years-2020", "locator": "¶8",
            "participants": ["KAZ", "KGZ"], "seizures": seizures}  # fmt: skip


class Statements:
    """What every engine of this process sends to its database, counted while `on`."""

    KINDS = ("statements", "begin", "commit", "rollback", "checkout")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.on = False
        event.listen(Engine, "before_cursor_execute", self._count("statements"))
        for kind in ("begin", "commit", "rollback"):
            event.listen(Engine, kind, self._count_sent(kind))
        event.listen(Pool, "checkout", self._count("checkout"))

    def _count(self, kind: str) -> Any:
        def counted(*_args: object) -> None:
            if self.on:
                self.counts[kind] += 1

        return counted

    def _count_sent(self, kind: str) -> Any:
        """A transaction's begin or end, unless the connection is in autocommit."""

        def counted(connection: Connection, *_args: object) -> None:
            autocommit = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
            if self.on and not autocommit:
                self.counts[kind] += 1

        return counted

    def per_post(self, posts: int) -> str:
        return ", ".join(f"{self.counts[kind] / posts:.1f} {kind}" for kind in self.KINDS)


def editor_key(url: str) -> str:
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            return create_key(session, f"posts-{uuid.uuid4().hex[:6]}", KeyRole.EDITOR)
    finally:
        engine.dispose()


async def measure(
    url: str, posts: int, concurrency: int, statements: Statements | None = None
) -> tuple[float, float, int]:
    app = create_app(Settings(database_url=url))
    headers = {"Authorization": f"Bearer {editor_key(url)}"}
    base = 700_000_000 + int(time.time()) % 100_000 * 1_000
    numbers = iter(range(base, base + 10 * (posts + 100)))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def post_some(count: int) -> None:
                for _ in range(count):
                    response = await client.post(PATH, json=body(next(numbers)), headers=headers)
                    if response.status_code != 201:
                        raise RuntimeError(f"{response.status_code} {response.text}")

            await post_some(20)
            if statements is not None:
                statements.on = True
            started, cpu = time.perf_counter(), time.process_time()
            share = posts // concurrency
            await asyncio.gather(*(post_some(share) for _ in range(concurrency)))
            done = share * concurrency
            if statements is not None:
                statements.on = False
            return time.perf_counter() - started, time.process_time() - cpu, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--statements", action="store_true")
    args = parser.parse_args()
    statements = Statements() if args.statements else None
    elapsed, cpu, done = asyncio.run(measure(args.url, args.posts, args.concurrency, statements))
    print(f"{done} posts in {elapsed:.2f} s: {done / elapsed:.1f} posts/s, "
          f"{1000 * elapsed / done:.2f} ms per post, {1000 * cpu / done:.2f} ms of CPU "
          f"(this process's) per post, concurrency {args.concurrency}")  # fmt: skip
    if statements is not None:
        print(f"per post: {statements.per_post(done)}")


if __name__ == "__main__":
    main()
