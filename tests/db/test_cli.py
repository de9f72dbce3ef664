from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app import cli, migrate
from app.db import make_engine
from app.http.protocol import TimedHttpToolsProtocol
from app.models import Operation, SeizureReport
from app.settings import get_settings
from app.staff.keys import authenticate
from tests.helpers import write_seed

runner = CliRunner()


@pytest.fixture
def empty_url(new_database: Callable[[], str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = new_database()
    monkeypatch.setenv("KSOPN_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _count(url: str, model: Any) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(model)) or 0
    finally:
        engine.dispose()


def test_upgrade_then_seed_twice(empty_url: str) -> None:
    assert runner.invoke(cli.cli, ["db", "upgrade"]).exit_code == 0

    first = runner.invoke(cli.cli, ["seed"])
    assert first.exit_code == 0, first.output
    loaded = _count(empty_url, SeizureReport)
    assert loaded > 6  # the core seeds' six and the public record's (seeds/channel/...)

    second = runner.invoke(cli.cli, ["seed"])
    assert second.exit_code == 0, second.output
    assert "nothing to change" in second.output
    assert _count(empty_url, SeizureReport) == loaded


def test_a_bad_seed_folder_loads_nothing(empty_url: str, tmp_path: Path) -> None:
    runner.invoke(cli.cli, ["db", "upgrade"])
    write_seed(
        tmp_path,
        "a.yaml",
        "operations:\n"
        "  - {slug: x, kind: anti_drug_operation, name_en: X, name_ru: Х, cite: 'nope ¶1'}\n",
    )
    result = runner.invoke(cli.cli, ["seed", "--path", str(tmp_path)])
    assert result.exit_code == 1
    assert "a.yaml" in result.output
    assert "operations[0] (x)" in result.output
    assert "unknown source 'nope'" in result.output
    assert _count(empty_url, Operation) == 0


def test_seed_needs_a_schema(empty_url: str) -> None:
    result = runner.invoke(cli.cli, ["seed"])
    assert result.exit_code == 1
    assert "ksopn db upgrade" in result.output


def test_serve_migrates_and_seeds_an_empty_database(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))

    result = runner.invoke(cli.cli, ["serve", "--port", "8123", "--workers", "2"])

    assert result.exit_code == 0, result.output
    (options,) = calls
    assert (options["port"], options["workers"], options["factory"]) == (8123, 2, True)
    assert _count(empty_url, Operation) == 3  # channel, grom and kobalt


def test_serve_believes_forwarded_headers_only_from_the_proxies_named(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    assert runner.invoke(cli.cli, ["serve"]).exit_code == 0
    monkeypatch.setenv("KSOPN_FORWARDED_ALLOW_IPS", "10.0.0.0/8,192.0.2.1")
    get_settings.cache_clear()
    assert runner.invoke(cli.cli, ["serve"]).exit_code == 0

    by_default, behind_a_proxy = calls
    assert by_default["proxy_headers"] is False  # uvicorn's default believes 127.0.0.1
    assert behind_a_proxy["proxy_headers"] is True
    assert behind_a_proxy["forwarded_allow_ips"] == ["10.0.0.0/8", "192.0.2.1"]


def test_serve_limits_slow_clients_connections_and_shutdowns(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    monkeypatch.setenv("KSOPN_MAX_CONNECTIONS", "200")
    monkeypatch.setenv("KSOPN_SHUTDOWN_TIMEOUT_SECONDS", "4")
    get_settings.cache_clear()
    assert runner.invoke(cli.cli, ["serve"]).exit_code == 0

    (options,) = calls
    assert options["http"] is TimedHttpToolsProtocol
    assert (options["limit_concurrency"], options["timeout_graceful_shutdown"]) == (200, 4)


def test_serve_refuses_a_database_behind_the_code(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    engine.dispose()
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: pytest.fail("served"))
    result = runner.invoke(cli.cli, ["serve"])
    assert result.exit_code == 1
    assert "ksopn db upgrade" in result.output


def test_db_current_and_downgrade(empty_url: str) -> None:
    runner.invoke(cli.cli, ["db", "upgrade"])
    assert f"current: {migrate.head_revision()}" in runner.invoke(cli.cli, ["db", "current"]).output
    assert runner.invoke(cli.cli, ["db", "downgrade", "base"]).exit_code == 0
    assert "current: (no schema)" in runner.invoke(cli.cli, ["db", "current"]).output


def test_keys_create_list_revoke(empty_url: str) -> None:
    runner.invoke(cli.cli, ["db", "upgrade"])
    made = runner.invoke(cli.cli, ["keys", "create", "--name", "anna", "--role", "editor"])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("ksopn_")

    listed = runner.invoke(cli.cli, ["keys", "list"])
    assert "anna" in listed.output
    assert key not in listed.output

    again = runner.invoke(cli.cli, ["keys", "create", "--name", "anna", "--role", "admin"])
    assert again.exit_code == 1
    assert "exists" in again.output

    assert runner.invoke(cli.cli, ["keys", "revoke", "anna"]).exit_code == 0
    assert runner.invoke(cli.cli, ["keys", "revoke", "nobody"]).exit_code == 1
    engine = make_engine(empty_url)
    try:
        with Session(engine) as session:
            assert authenticate(session, key) is None
    finally:
        engine.dispose()


def test_readme_states_what_each_setup_command_needs() -> None:
    """Issue 22, 'Also': `make test` needs npm and a root apt-get for Chromium (the Makefile
    says so); the README must say so too, not that Python and make are all it takes."""
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    setup = readme.split("## Set up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    assert "are all it takes" not in setup
    if "npm ci" in makefile:
        assert "npm" in setup
    if "apt-get install" in makefile:
        assert "apt-get" in setup
        assert "root" in setup
