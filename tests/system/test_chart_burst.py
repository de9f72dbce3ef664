"""Sixteen chart PNGs at once against a real server, with a client reading beside them.

Before charts were drawn apart (app/pages/chart_images.py), each PNG was drawn in the one
worker thread that serves the reads: a read waited for every drawing queued before it, and
sixteen requests could hold every pooled connection while they queued for that thread,
until one failed with a 500 after the pool's 30 s timeout (bench/charts.py: reads stalled
6-41 s on the seed data). Now every image comes, the identical ones drawn once, and a read
waits only for the figures read before it, never for a drawing.
"""

import gc
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx

from tests.system.live import ServerProcess, prepare_database

BURST = 16
TIMEOUT = 120  # seconds; a loaded 2-core machine is slow, and slow is not wrong
READ = "/api/v1/seizures?limit=20"
# The drawings take turns, so sixteen different charts take seconds; a read beside them
# waits for no drawing: measured, the slowest read took 8-13 % of the burst's time (before,
# 80-99 %). Relative to the burst, the bound holds on a fast machine and on a slow one.
MAX_READ_SHARE_OF_BURST = 0.5
MAX_READ_SECONDS = 10


def _distinct_charts() -> list[str]:
    """Sixteen chart addresses that differ in what they draw: nothing to share."""
    return [
        f"/charts/seizures.png?lang={lang}&unit_kind={kind}&from={year}-01-01"
        for year in (2000, 2010, 2015)
        for lang in ("en", "ru")
        for kind in ("mass", "volume", "count")
    ][:BURST]


def _read_until(url: str, stop: threading.Event) -> list[tuple[int, float]]:
    answers = []
    with httpx.Client(base_url=url, timeout=TIMEOUT) as http:
        while not stop.is_set():
            started = time.perf_counter()
            status = http.get(READ).status_code
            answers.append((status, time.perf_counter() - started))
    return answers


@contextmanager
def _clients_heap_frozen() -> Iterator[None]:
    """The clients are threads of the test's process, and a full garbage collection there
    holds them all: late in a run, over millions of objects that the suite kept (see
    tests.helpers.forget_built_apps), one held a read for 3.6 s of a 4.2 s burst. What is
    timed is the server, so what the process holds already is out of the collector's way."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _burst(
    url: str, paths: list[str]
) -> tuple[list[httpx.Response], float, list[tuple[int, float]]]:
    """The responses to `paths` sent at once, the seconds until the last came, and the
    reads made meanwhile."""
    start = threading.Barrier(len(paths) + 1)
    stop = threading.Event()

    def at_once(path: str) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=TIMEOUT) as http:
            http.get("/healthz")  # connected: the requests arrive together
            start.wait()
            return http.get(path)

    with _clients_heap_frozen(), ThreadPoolExecutor(len(paths) + 1) as pool:
        reads = pool.submit(_read_until, url, stop)
        sent = [pool.submit(at_once, path) for path in paths]
        start.wait()
        started = time.perf_counter()
        try:
            responses = [future.result() for future in sent]
        finally:
            stop.set()
        return responses, time.perf_counter() - started, reads.result()


def _check(responses: list[httpx.Response], reads: list[tuple[int, float]]) -> float:
    """Every image and every read answered: the slowest read's seconds."""
    assert Counter(r.status_code for r in responses) == {200: BURST}, [
        r.text[:200] for r in responses if r.status_code != 200
    ]
    assert all(r.content.startswith(b"\x89PNG\r\n\x1a\n") for r in responses)
    assert reads, "no read was answered during the burst"
    assert Counter(status for status, _ in reads) == {200: len(reads)}
    slowest = max(seconds for _, seconds in reads)
    typical = statistics.median(seconds for _, seconds in reads)
    assert slowest < MAX_READ_SECONDS, (slowest, typical, len(reads))
    return slowest


def test_a_burst_of_chart_images_fails_none_and_starves_no_read(
    new_database: Callable[[], str],
) -> None:
    database_url = new_database()
    prepare_database(database_url)
    with ServerProcess(database_url) as server:
        responses, seconds, reads = _burst(server.url, _distinct_charts())
        slowest_read = _check(responses, reads)
        assert slowest_read < MAX_READ_SHARE_OF_BURST * seconds, (slowest_read, seconds)

        same = ["/charts/seizures.png?lang=ru&to=2019-12-31"] * BURST
        responses, seconds, reads = _burst(server.url, same)
        _check(responses, reads)
        assert len({r.content for r in responses}) == 1  # the same chart, the same image
