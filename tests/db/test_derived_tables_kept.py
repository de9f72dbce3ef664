"""The derived tables are never stale, whichever program writes the reports.

Their bookkeeping is switched on where the programs start (the app factory, the `ksopn`
command), not where engines are built: `app/db.py` no longer imports a domain. Each check
runs in a fresh interpreter, where nothing else has switched it on already.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from app import PROJECT_DIR

CHECK = """
from app.seizures import derived_tables
assert not derived_tables.kept_current(), "nothing is switched on by importing alone"
{start}
assert derived_tables.kept_current(), "the program's start switched the bookkeeping on"
"""
STARTS = {
    "the app factory": "from app.main import create_app; create_app()",
    "the ksopn command": (
        "from typer.testing import CliRunner; from app.cli import cli; "
        "result = CliRunner().invoke(cli, ['db', 'current']); "
        "assert result.exit_code == 0, result.output"
    ),
}


@pytest.mark.parametrize("program", STARTS)
def test_every_program_keeps_the_derived_tables_current(program: str, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    script = CHECK.format(start=STARTS[program])
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_DIR,
        env={"KSOPN_DATABASE_URL": database, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_a_session_without_the_bookkeeping_is_what_the_check_catches(tmp_path: Path) -> None:
    """The check above would see an engine built without it: importing the engine's module
    and building one switches nothing on."""
    script = (
        "from app.db import make_engine; from app.seizures import derived_tables; "
        f"make_engine('sqlite:///{tmp_path / 'x.sqlite3'}'); "
        "assert not derived_tables.kept_current()"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
