"""Chart images under a burst: what a chart costs the reads served beside it.

    .venv/bin/python bench/charts.py [--reports N] [--burst 16] [--rounds 1]

Serves a scratch SQLite database (the seed data, or `ksopn demo-data --reports N`) with one
uvicorn worker, then, while one client reads `/api/v1/seizures?limit=20` in a loop, sends
`--burst` PNG requests of the front page's chart at once: first all different (languages,
unit kinds, windows: nothing to share), then all the same. Prints, for each burst, its wall
time, its statuses and slowest image, and the reads' latency during it beside their latency
alone. Every process it starts is stopped at the end.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests.system.live import ServerProcess, prepare_database  # noqa: E402

READ = "/api/v1/seizures?limit=20"
TIMEOUT = 180


def distinct_queries(count: int) -> list[str]:
    """`count` chart addresses that differ in what they draw (languages, unit kinds, windows)."""
    queries = [
        f"/charts/seizures.png?lang={lang}&unit_kind={kind}&from={year}-01-01"
        for year in range(2000, 2100)
        for lang in ("en", "ru")
        for kind in ("mass", "volume", "count")
    ]
    return queries[:count]


def read_latencies(url: str, stop: threading.Event) -> list[tuple[int, float]]:
    answers = []
    with httpx.Client(base_url=url, timeout=TIMEOUT) as http:
        while not stop.is_set():
            started = time.perf_counter()
            status = http.get(READ).status_code
            answers.append((status, time.perf_counter() - started))
    return answers


def fetch(url: str, path: str) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        status = httpx.get(url + path, timeout=TIMEOUT).status_code
    except httpx.TransportError as error:
        print(f"  {path}: {error!r}")
        status = 0
    return status, time.perf_counter() - started


def burst(url: str, paths: list[str], label: str) -> None:
    stop = threading.Event()
    with ThreadPoolExecutor(len(paths) + 1) as pool:
        reads = pool.submit(read_latencies, url, stop)
        time.sleep(0.3)
        started = time.perf_counter()
        images = list(pool.map(lambda p: fetch(url, p), paths))
        wall = time.perf_counter() - started
        stop.set()
        during = reads.result()
    statuses = Counter(status for status, _ in images)
    read_statuses = Counter(status for status, _ in during)
    seconds = [s for _, s in during]
    print(
        f"{label}: {len(paths)} PNGs in {wall:.2f} s, statuses {dict(statuses)}, slowest "
        f"{max(s for _, s in images):.2f} s; reads during: {dict(read_statuses)}, p50 "
        f"{statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=0, help="demo-data reports (0: seed)")
    parser.add_argument("--burst", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database_url = f"sqlite:///{scratch}/charts.sqlite3"
        if args.reports:
            subprocess.run(
                [str(Path(sys.executable).parent / "ksopn"), "demo-data", "--url", database_url,
                 "--reports", str(args.reports)],
                check=True,
            )  # fmt: skip
        else:
            prepare_database(database_url)
        with ServerProcess(database_url) as server:
            with httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
                alone = []
                for _ in range(30):
                    started = time.perf_counter()
                    http.get(READ).raise_for_status()
                    alone.append(time.perf_counter() - started)
                started = time.perf_counter()
                first = http.get("/charts/seizures.png")
                one = time.perf_counter() - started
            print(
                f"reads alone: p50 {statistics.median(alone) * 1000:.1f} ms, max "
                f"{max(alone) * 1000:.1f} ms; one PNG: {one:.2f} s, {len(first.content)} bytes"
            )
            for round_ in range(args.rounds):
                burst(server.url, distinct_queries(args.burst), f"round {round_ + 1}, different")
                same = [f"/charts/seizures.png?lang=ru&from=1990-0{round_ + 1}-01"] * args.burst
                burst(server.url, same, f"round {round_ + 1}, the same")


if __name__ == "__main__":
    main()
