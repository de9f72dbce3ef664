"""The year list's pages read from the pieces kept at commit (`seizure_list_items`) against
the joined statement they replaced, in process (issue 25), in µs per request.

    .venv/bin/python bench/list_items_inprocess.py DATABASE_URL SQLITE_FILE [--rounds 3]

DATABASE_URL is a database made by `ksopn demo-data` (SQLite or PostgreSQL); SQLITE_FILE a
SQLite demo database of the same reports, from which the bench's long-tail mix of URLs is
made (`bench.run.url_mixes`: every year, six limits, sixteen cursors, shuffled). Each round
asks every URL of the mix once through the app's ASGI interface (`bench/fixed_cost.py`'s
requests, each with a header of its own, so no kept answer is given) with the pieces, then
with the fast path reading the joined statement (`service.list_year_page`), alternating.
Prints per request the event loop's CPU time (on SQLite the reads run in it; on PostgreSQL
they run in worker threads, which it does not count) and the wall time.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import app.seizures.fast_list as fast_list
from app.main import create_app
from app.seizures.list_items import year_page
from app.seizures.service import list_year_page
from app.settings import Settings
from bench import fixed_cost
from bench.run import url_mixes

YearPage = Callable[[Session, int | None, int, int], tuple[list[int], list[Any]]]


def joined(
    session: Session, year: int | None, after: int, limit: int
) -> tuple[list[int], list[Any]]:
    """The page as the fast path read it before the pieces."""
    rows = list_year_page(session, year, after, limit)
    return [row["id"] for row in rows], rows


VARIANTS: dict[str, YearPage] = {"pieces": year_page, "joined": joined}


async def measure(url: str, paths: list[str], rounds: int) -> dict[str, list[tuple[float, float]]]:
    fixed_cost.FIRST_READS = True
    app = create_app(Settings(database_url=url))
    state, shutdown = await fixed_cost._started(app)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    try:
        for read in VARIANTS.values():  # warm-up: statements, names, connections
            fast_list.year_page = read  # type: ignore[attr-defined,assignment]
            for path in paths[:100]:
                await fixed_cost._request(app, path, state)
        for _ in range(rounds):
            for name, read in VARIANTS.items():
                fast_list.year_page = read  # type: ignore[attr-defined,assignment]
                cpu, wall = time.thread_time(), time.perf_counter()
                for path in paths:
                    await fixed_cost._request(app, path, state)
                cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
                results[name].append((cpu / len(paths) * 1e6, wall / len(paths) * 1e6))
    finally:
        fast_list.year_page = year_page  # type: ignore[attr-defined]
        await shutdown()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("sqlite_file", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    paths_file, _, _ = url_mixes(args.sqlite_file, Path(tempfile.mkdtemp()))
    paths = paths_file.read_text(encoding="utf-8").split()
    results = asyncio.run(measure(args.url, paths, args.rounds))
    print(f"{len(paths):,} URLs of the long-tail mix, {args.rounds} rounds, µs per request")
    for name, rounds in results.items():
        for what, values in (("CPU", [r[0] for r in rounds]), ("wall", [r[1] for r in rounds])):
            spread = f"{min(values):,.0f}-{max(values):,.0f}"
            print(f"{name:>7} {what:>4}: median {statistics.median(values):,.0f} ({spread})")


if __name__ == "__main__":
    main()
