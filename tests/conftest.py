"""Every test runs on a database built by `alembic upgrade head` and seeded once; each test
runs inside a transaction that is rolled back, so tests see the seed and nothing else.

The suite runs on SQLite by default. With KSOPN_TEST_DATABASE_URL naming a PostgreSQL
server database, it creates a scratch database on that server, and drops it afterwards.
"""

import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import PROJECT_DIR
from app.db import make_engine
from app.deps import (
    as_of_sessions,
    get_session,
    get_write_session,
    read_session,
    session_scope,
)
from app.http.as_of import get_history_sessions
from app.http.kept_answers import new_kept_answers
from app.http.listing import get_export_sessions
from app.main import create_app
from app.models.enums import KeyRole
from app.models.versions import DataVersion
from app.security import FailedAuthLimiter
from app.seizures import derived_tables
from app.settings import Settings
from app.staff.auth import KeySessions, get_key_sessions
from app.staff.keys import create_key
from tests.helpers import SERVER_URL, forget_built_apps, seed_database

# As the app and the `ksopn` command do where they start: the tests write reports too.
derived_tables.keep_current()


@pytest.fixture(autouse=True)
def _apps_of_a_test_end_with_it() -> Iterator[None]:
    """An app that a test built is freed when the test ends (`forget_built_apps`)."""
    yield
    forget_built_apps()


@pytest.fixture(scope="session")
def new_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    """Makes empty databases of the kind under test; drops them at the end of the run."""
    created: list[str] = []

    def make() -> str:
        if SERVER_URL is None:
            path = tmp_path_factory.mktemp("db") / "ksopn.sqlite3"
            return f"sqlite:///{path}"
        name = f"ksopn_test_{uuid.uuid4().hex[:12]}"
        _on_server(f'CREATE DATABASE "{name}"')
        created.append(name)
        return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)

    yield make
    for name in created:
        _on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _on_server(statement: str) -> None:
    assert SERVER_URL is not None
    engine = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(new_database: Callable[[], str]) -> str:
    """The shared test database: migrated to head and seeded with the core seeds (the files
    at the top of seeds/, which the suite's figures are written against); the public record
    in seeds' subfolders has a database of its own (tests/seeds/)."""
    url = new_database()
    seed_database(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session whose commits only release savepoints inside the test's transaction."""
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session


@pytest.fixture(scope="session")
def client_app(database_url: str) -> FastAPI:
    """The app behind `client`, built once per run: building one reads the dependencies of
    every route (a quarter of a second), and one app per test made the suite twice as slow
    (when FastAPI's caches still kept every app built alive: now each test's are freed,
    `_apps_of_a_test_end_with_it`). Its sessions are the test's transaction
    (the overrides in `client`), which the year list's fast path, reading in sessions of the
    app's own, would not see: tests/http/test_fast_paths.py holds it to FastAPI's answers.
    Kept answers are put back on in `client`, with the test transaction's data version."""
    return create_app(Settings(database_url=database_url, fast_paths=False))


@pytest.fixture
def client(client_app: FastAPI, connection: Connection) -> Iterator[TestClient]:
    """The app as new for each test: its lifespan runs again (a new engine), the failed-key
    limiter is new, and what a test may change on the app (its state, dependency overrides,
    the cached OpenAPI document) is put back afterwards. State that `create_app` gives an
    app and that changes as it serves needs a fresh copy here, as the limiter has."""
    app = client_app
    state = dict(app.state._state)
    app.state.failed_auth = FailedAuthLimiter.from_settings(app.state.settings)
    app.openapi_schema = None
    app.dependency_overrides = {}

    async def session_in_test_transaction() -> AsyncIterator[Session]:
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        async with session_scope(session) as scoped:
            yield scoped

    async def read_session_in_test_transaction(request: Request) -> AsyncIterator[Session]:
        # As get_session: a read of the facts notes their time (Last-Modified), and a read
        # `as_of` reads the record as it stood (built from the test transaction's history).
        past = as_of_sessions(request)
        session = past() if past else test_transaction_session()
        async with session_scope(read_session(request, session)) as scoped:
            yield scoped

    def test_transaction_session() -> Session:
        return Session(bind=connection, join_transaction_mode="create_savepoint")

    app.dependency_overrides[get_session] = read_session_in_test_transaction
    # Key checks and failure counts too: each test starts with no failures counted.
    app.dependency_overrides[get_key_sessions] = lambda: KeySessions(
        test_transaction_session, test_transaction_session
    )
    app.dependency_overrides[get_write_session] = session_in_test_transaction

    def export_sessions(request: Request) -> Callable[[], Session]:
        return as_of_sessions(request) or test_transaction_session

    app.dependency_overrides[get_export_sessions] = export_sessions
    app.dependency_overrides[get_history_sessions] = lambda: test_transaction_session
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            # Answers as the app makes them: compression, and the ETags it gives each coding,
            # are the transport's, tested in tests/http/test_transport.py.
            client.headers["Accept-Encoding"] = "identity"
            # Kept answers (app/http/kept_answers.py) stay on, named by the version that
            # the test's transaction holds, which no other connection sees.
            app.state.kept_answers = new_kept_answers()
            app.state.data_version_now = lambda: connection.scalar(select(DataVersion.version))
            yield client
    finally:
        app.state._state.clear()
        app.state._state.update(state)
        app.dependency_overrides = {}
        app.openapi_schema = None


@pytest.fixture
def source_document() -> str:
    """The source the seeds are written from, kept beside the project in ../shared."""
    path = PROJECT_DIR.parent / "shared" / "source" / "000_382a7fa959d6d0c8.txt"
    if not path.exists():
        pytest.skip(f"source document not found at {path}")
    return path.read_text(encoding="utf-8")


@pytest.fixture
def editor(session: Session) -> dict[str, str]:
    """Authorization headers of an editor key that exists for this test only."""
    return {"Authorization": f"Bearer {create_key(session, 'secretariat-editor', KeyRole.EDITOR)}"}


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_key(session, 'secretariat-admin', KeyRole.ADMIN)}"}
