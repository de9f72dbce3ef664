"""A crowd of anonymous readers against a real server (issue 20, point 1).

With one worker thread, about 20 concurrent reads once stopped a server: each waited in the
thread for a pooled connection that requests queued behind it held until their session end
could run in that same thread. Now every read is served in turn, whatever the burst, and
`/healthz` answers at once throughout. Bursts of 20, 100 and 400 concurrent reads, bounded
and on loopback; SQLite, and PostgreSQL with KSOPN_TEST_DATABASE_URL.
"""

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable

import httpx

from tests.system.live import ServerProcess, prepare_database

BURSTS = (20, 100, 400)
# A mix of what anonymous readers ask for: small lists, the seizures and their totals, a
# page for people, a CSV export (a download, in the exports' lane).
PATHS = (
    "/api/v1/bodies",
    "/api/v1/seizures?year=2018",
    "/api/v1/seizures/totals?group_by=substance",
    "/api/v1/countries",
    "/methods",
    "/api/v1/seizures.csv",
)
HEALTH_LIMIT = 1.0  # seconds: a health check must never queue behind the crowd
BURST_TIMEOUT = 120.0  # seconds for a whole burst: slow on a loaded 2-core machine, not stuck


def _health_while(url: str, done: threading.Event, seconds: list[float]) -> None:
    """How long each `/healthz` took, asked every 50 ms until `done`: from a thread and a
    client of its own, so that the burst's client does not delay it."""
    with httpx.Client(base_url=url, timeout=10) as client:
        while not done.is_set():
            started = time.perf_counter()
            response = client.get("/healthz")
            assert response.status_code == 200, response.text
            seconds.append(time.perf_counter() - started)
            time.sleep(0.05)


async def _gets(url: str, size: int) -> Counter[int]:
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=BURST_TIMEOUT) as client:
        requests = [client.get(PATHS[i % len(PATHS)]) for i in range(size)]
        responses = await asyncio.wait_for(asyncio.gather(*requests), BURST_TIMEOUT)
    return Counter(response.status_code for response in responses)


def _burst(url: str, size: int) -> tuple[Counter[int], list[float]]:
    done, health = threading.Event(), list[float]()
    pinger = threading.Thread(target=_health_while, args=(url, done, health))
    pinger.start()
    try:
        statuses = asyncio.run(_gets(url, size))
    finally:
        done.set()
        pinger.join(timeout=30)
    return statuses, health


def test_bursts_of_concurrent_reads_are_all_served_and_health_answers_at_once(
    new_database: Callable[[], str],
) -> None:
    database_url = new_database()
    prepare_database(database_url)
    with ServerProcess(database_url) as server:
        for size in BURSTS:
            statuses, health = _burst(server.url, size)
            assert statuses == Counter({200: size}), (size, statuses)
            assert health, "the health check was asked during the burst"
            assert max(health) < HEALTH_LIMIT, (size, sorted(health)[-5:])
            print(f"burst of {size}: {dict(statuses)}; /healthz at most {max(health):.3f} s")
        # A shutdown signal stops it within seconds, crowd or not.
        assert server.process is not None
        started = time.monotonic()
        server.process.terminate()
        server.process.wait(timeout=15)
        print(f"stopped {time.monotonic() - started:.1f} s after SIGTERM")
        server.process = None
