"""The OpenAPI document as independent tools read it, from a live server:

- Redocly lints it with its recommended rules, at zero errors (tests/contract/redocly.yaml);
- openapi-python-client generates a Python client from it, and a short script of what
  users do (tests/contract/client_flow.py) is type-checked with `mypy --strict` against
  that client, then run against the server.

The tools come from `make contract-tools` (tests/contract/: a locked virtual environment
and a locked npm package); missing, the test fails and says so.
"""

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app import PROJECT_DIR
from tests.system.live import ServerProcess, prepare_database

CONTRACT_DIR = PROJECT_DIR / "tests" / "contract"
CONTRACT_VENV = PROJECT_DIR / ".venv-contract" / "bin"
REDOCLY = CONTRACT_DIR / "node_modules" / ".bin" / "redocly"
GENERATOR = CONTRACT_VENV / "openapi-python-client"
TOOL_SECONDS = 300


@dataclass(frozen=True)
class Live:
    url: str
    editor_key: str
    spec: Path


@pytest.fixture(scope="module")
def live(
    new_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    database_url = new_database()
    key = prepare_database(database_url)["Authorization"].removeprefix("Bearer ")
    spec = tmp_path_factory.mktemp("spec") / "openapi.json"
    with ServerProcess(database_url) as server:
        spec.write_bytes(httpx.get(f"{server.url}/openapi.json", timeout=30).content)
        yield Live(server.url, key, spec)


def _tool(path: Path) -> str:
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make contract-tools`")
    return str(path)


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        command, capture_output=True, text=True, timeout=TOOL_SECONDS, check=False, **kwargs
    )


def test_redocly_finds_no_errors_in_the_document(live: Live) -> None:
    env = {**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}
    config = CONTRACT_DIR / "redocly.yaml"
    result = _run([_tool(REDOCLY), "lint", str(live.spec), "--config", str(config)], env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_generated_client_type_checks_and_does_what_users_do(live: Live, tmp_path: Path) -> None:
    generated = _run(
        [
            _tool(GENERATOR), "generate", "--path", str(live.spec),
            "--output-path", str(tmp_path / "ksopn_client"), "--meta", "none",
        ],
        cwd=tmp_path,
        # The generator formats what it writes with the ruff of its own environment.
        env={**os.environ, "PATH": f"{CONTRACT_VENV}{os.pathsep}{os.environ['PATH']}"},
    )  # fmt: skip
    assert generated.returncode == 0, generated.stdout + generated.stderr
    package_root = tmp_path  # `--meta none`: the package alone, tmp_path/ksopn_client
    script = CONTRACT_DIR / "client_flow.py"
    env = {**os.environ, "MYPYPATH": str(package_root), "PYTHONPATH": str(package_root)}
    checked = _run(
        [str(CONTRACT_VENV / "mypy"), "--strict", "--no-incremental", str(script)],
        env=env,
        cwd=tmp_path,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ran = _run([str(CONTRACT_VENV / "python"), str(script), live.url, live.editor_key], env=env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    print(ran.stdout)
