"""Pooled PostgreSQL connections are pinged only after they were idle (app/db.py
`_ping_when_idle`): a connection the server dropped meanwhile is replaced before a request
uses it, and a connection used a moment ago costs no round trip."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from app import db
from app.db import make_engine


@pytest.fixture
def engine(new_database: Callable[[], str]) -> Iterator[Engine]:
    url = new_database()
    if url.startswith("sqlite"):
        pytest.skip("SQLite has no server to drop a connection")
    made = make_engine(url, pool_size=1)
    yield made
    made.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _drop(engine: Engine, pid: int) -> None:
    """The server ends the connection `pid`, as a restart or an idle time-out would."""
    killer = make_engine(engine.url.render_as_string(hide_password=False), pooled=False)
    try:
        with killer.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        killer.dispose()


def test_a_connection_the_server_dropped_while_idle_is_replaced(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped = _backend_pid(engine)
    _drop(engine, dropped)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    assert _backend_pid(engine) != dropped


def test_without_the_ping_the_dropped_connection_would_be_used(engine: Engine) -> None:
    """What the ping is for: the same drop, the connection handed out at once."""
    dropped = _backend_pid(engine)
    _drop(engine, dropped)
    with pytest.raises(OperationalError):
        _backend_pid(engine)
    assert _backend_pid(engine) != dropped  # and the pool made a new one after the failure


def test_a_connection_used_a_moment_ago_is_not_pinged(engine: Engine) -> None:
    _backend_pid(engine)
    pings: list[Any] = []
    real_ping = engine.dialect.do_ping

    def ping(connection: Any) -> bool:
        pings.append(connection)
        return real_ping(connection)

    engine.dialect.do_ping = ping  # type: ignore[method-assign,assignment]
    for _ in range(3):
        _backend_pid(engine)
    assert pings == []
