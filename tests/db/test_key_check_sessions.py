"""A key check reads in the event loop, in one statement on a connection of the loop's own
(`app.db.LoopReads`); where the loop reads nothing, in sessions of its own
(`app.staff.auth.KeySessions`), which on PostgreSQL open no transaction: its two rows need
no snapshot in common, and a BEGIN and a ROLLBACK were two of the four round trips every
keyed request spent on its key."""

import asyncio
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, event, func, select, update
from sqlalchemy.orm import Session

from app.db import LoopReads, make_engine, make_sessionmaker
from app.main import create_app
from app.models import ApiKey, AuthFailure, DataVersion
from app.models.enums import KeyRole
from app.security import FailedAuthLimiter
from app.settings import Settings
from app.staff.auth import KeySessions, _check_key, _check_key_in_loop
from app.staff.keys import Caller, create_key


def _in_transaction(session: Session) -> bool:
    driver = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "sqlite":
        return bool(driver.in_transaction)  # type: ignore[union-attr]
    return int(driver.info.transaction_status) != 0  # type: ignore[union-attr]  # 0: IDLE


def test_key_reads_need_no_transaction_on_postgresql(database_url: str) -> None:
    # One pooled connection: the key check's and the write's are the same one in turn.
    engine = make_engine(database_url, pool_size=1)
    try:
        with make_sessionmaker(engine, autocommit=True)() as reads:
            assert reads.execute(select(DataVersion.version)).scalar_one() > 0
            sqlite = engine.dialect.name == "sqlite"
            assert _in_transaction(reads) is sqlite  # SQLite keeps its own (no round trip)
        # The connection goes back to the pool as it came: the next session has its
        # transaction again, and on SQLite BEGIN is still SQLAlchemy's (IMMEDIATE for writes).
        with make_sessionmaker(engine, writes=True)() as writes:
            writes.execute(select(DataVersion.version))
            assert _in_transaction(writes)
            writes.rollback()
        with make_sessionmaker(engine)() as plain:
            plain.execute(select(DataVersion.version))
            assert _in_transaction(plain)
    finally:
        engine.dispose()


def _statements_sent(engine: Engine) -> list[str]:
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    return sent


def test_the_apps_key_check_reads_in_the_loop_else_in_those_sessions(database_url: str) -> None:
    """Through the app itself (no test override of its sessions): a keyed read answers, its
    key read in the event loop (`LoopReads`), none of it through the engine; when the loop
    reads nothing (its connections closed), in the key check's own sessions."""
    app = create_app(Settings(_env_file=None, database_url=database_url))
    with TestClient(app) as client:
        state = app.state
        name = f"key-sessions-{uuid.uuid4().hex[:6]}"
        with state.write_sessionmaker() as session, session.begin():
            key = create_key(session, name, KeyRole.ADMIN)
        engine = state.key_sessionmaker.kw["bind"]
        isolation = engine.get_execution_options().get("isolation_level")
        assert isolation == (None if engine.dialect.name == "sqlite" else "AUTOCOMMIT")
        sent = _statements_sent(engine.engine)
        keyed = {"Authorization": f"Bearer {key}"}
        read_in_loop = state.loop_reads.answered
        assert client.get("/api/v1/audit?limit=1", headers=keyed).status_code == 200
        assert state.loop_reads.answered == read_in_loop + 1
        assert not any(ApiKey.__tablename__ in statement for statement in sent)
        client.portal.call(state.loop_reads.close)  # type: ignore[union-attr]
        assert client.get("/api/v1/audit?limit=1", headers=keyed).status_code == 200
        assert any(ApiKey.__tablename__ in statement for statement in sent)
        with state.write_sessionmaker() as session, session.begin():
            session.execute(delete(ApiKey).where(ApiKey.name == name))


NOW = 1_000_000.0


def test_the_check_in_the_loop_answers_as_the_check_in_a_thread(database_url: str) -> None:
    """`_check_key_in_loop` (one statement on the loop's connection) against `_check_key`
    (two through the sessions), for every kind of key and of client, on committed rows."""
    engine = make_engine(database_url)
    limiter = FailedAuthLimiter(limit=3, window_seconds=60, max_clients=100, clock=lambda: NOW)
    writes = make_sessionmaker(engine, writes=True)
    sessions = KeySessions(make_sessionmaker(engine, autocommit=True), writes)
    tag = uuid.uuid4().hex[:6]
    names = {f"loop-live-{tag}", f"loop-revoked-{tag}"}
    clients = {"fresh": f"203.0.113.1-{tag}", "barred": f"203.0.113.2-{tag}",
               "past": f"203.0.113.3-{tag}"}  # fmt: skip
    with writes() as session, session.begin():
        live = create_key(session, f"loop-live-{tag}", KeyRole.EDITOR)
        revoked = create_key(session, f"loop-revoked-{tag}", KeyRole.ADMIN)
        session.execute(
            update(ApiKey).where(ApiKey.name == f"loop-revoked-{tag}").values(revoked_at=func.now())
        )
        for client, started in ((clients["barred"], NOW - 10), (clients["past"], NOW - 600)):
            session.add(AuthFailure(client=client, failures=5, window_started_at=started))
    prefix = live.split("_")[1]
    presented = [live, revoked, f"ksopn_{prefix}_not-the-secret", "ksopn_nosuch_x", "nope", ""]

    async def in_loop() -> list[Any]:
        reads = LoopReads.for_engine(engine, 1)
        try:
            return [
                await _check_key_in_loop(reads, limiter, client, key)
                for client in clients.values()
                for key in presented
            ]
        finally:
            await reads.close()

    try:
        in_thread = [
            _check_key(limiter, sessions, client, key)
            for client in clients.values()
            for key in presented
        ]
        assert asyncio.run(in_loop()) == in_thread
        live_caller = in_thread[0]
        assert isinstance(live_caller, Caller)
        assert live_caller.role == KeyRole.EDITOR
        assert in_thread[1:6] == [None] * 5  # revoked, wrong secret, unknown, two malformed
        assert in_thread[6:12] == [50] * 6  # barred: its key is not even looked at
        assert in_thread[12] == live_caller  # its window has passed
    finally:
        with writes() as session, session.begin():
            session.execute(delete(ApiKey).where(ApiKey.name.in_(names)))
            session.execute(delete(AuthFailure).where(AuthFailure.client.in_(clients.values())))
        engine.dispose()
