"""The limit on failed key checks, on real servers: a client cannot escape it by naming
another address in X-Forwarded-For, nor by reaching another worker process or server."""

from collections.abc import Callable

import httpx

from tests.system.live import ServerProcess, prepare_database

WRONG_KEY = {"Authorization": "Bearer ksopn_000000000000_not-a-key-that-exists"}
LIMIT = 10  # KSOPN_AUTH_FAILURE_LIMIT's default
ATTEMPTS = 40


def attempt(url: str, forwarded_for: str | None = None) -> int:
    """One wrong key on a connection of its own, so any worker process may take it."""
    headers = dict(WRONG_KEY)
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    with httpx.Client(base_url=url, timeout=30) as client:
        return client.get("/api/v1/audit", headers=headers).status_code


def blocked_after_the_limit(statuses: list[int]) -> bool:
    return statuses == [401] * LIMIT + [429] * (len(statuses) - LIMIT)


def test_x_forwarded_for_from_a_client_does_not_escape_the_limit(
    new_database: Callable[[], str],
) -> None:
    database_url = new_database()
    prepare_database(database_url)
    with ServerProcess(database_url) as server:  # no proxy is trusted by default
        statuses = [attempt(server.url, f"198.51.100.{n}") for n in range(ATTEMPTS)]
    assert blocked_after_the_limit(statuses), statuses


def test_a_trusted_proxy_names_the_client(new_database: Callable[[], str]) -> None:
    database_url = new_database()
    prepare_database(database_url)
    # The test is the proxy: it connects from 127.0.0.1 and names the client.
    with ServerProcess(database_url, env={"KSOPN_FORWARDED_ALLOW_IPS": "127.0.0.1"}) as server:
        one_client = [attempt(server.url, "198.51.100.7") for _ in range(LIMIT + 2)]
        others = [attempt(server.url, f"203.0.113.{n}") for n in range(LIMIT + 2)]
    assert blocked_after_the_limit(one_client), one_client
    assert others == [401] * len(others)  # each its own client, none at its limit


def test_the_limit_holds_across_worker_processes_and_servers(
    new_database: Callable[[], str],
) -> None:
    database_url = new_database()
    prepare_database(database_url)
    with (
        ServerProcess(database_url, workers=2) as two_workers,
        ServerProcess(database_url) as another_machine,
    ):
        statuses = [attempt(server.url) for _ in range(ATTEMPTS // 2)
                    for server in (two_workers, another_machine)]  # fmt: skip
    assert blocked_after_the_limit(statuses), statuses
