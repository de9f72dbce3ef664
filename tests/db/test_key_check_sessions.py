"""A key check reads in sessions of its own (`app.staff.auth.KeySessions`), which on
PostgreSQL open no transaction: its two rows need no snapshot in common, and a BEGIN and a
ROLLBACK were two of the four round trips every keyed request spent on its key."""

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, event, select
from sqlalchemy.orm import Session

from app.db import make_engine, make_sessionmaker
from app.main import create_app
from app.models import ApiKey, DataVersion
from app.models.enums import KeyRole
from app.settings import Settings
from app.staff.keys import create_key


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


def test_the_apps_key_check_reads_in_those_sessions(database_url: str) -> None:
    """Through the app itself (no test override of its sessions): a keyed read answers,
    and its key was read in the key check's own sessions."""
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
        answer = client.get("/api/v1/audit?limit=1", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200
        assert any(ApiKey.__tablename__ in statement for statement in sent)
        with state.write_sessionmaker() as session, session.begin():
            session.execute(delete(ApiKey).where(ApiKey.name == name))
