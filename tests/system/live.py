"""Real server processes (uvicorn) for the tests that need one: concurrency, crashes, load.

`prepare_database` migrates and seeds a scratch database and makes an editor key;
`ServerProcess` runs the API on it with `ksopn serve` itself (its timeouts, limits and
trusted proxies), and can be stopped, or killed with SIGKILL, and started again on the same
database.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import PROJECT_DIR, migrate
from app.db import make_engine
from app.models.enums import KeyRole
from app.seeding.loader import apply_seeds, read_seed_files
from app.staff.keys import create_key
from tests.helpers import SEEDS_DIR

STARTUP_SECONDS = 60  # generous: a loaded 2-core machine starts Python slowly


def prepare_database(database_url: str, *, whole_record: bool = False) -> dict[str, str]:
    """Migrates and seeds the database (the top-level seed files, or with `whole_record`
    the public record in the subfolders too, as `ksopn seed` loads it); the Authorization
    headers of a new editor key."""
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            apply_seeds(session, read_seed_files(SEEDS_DIR, subfolders=whole_record))
            key = create_key(session, "live-editor", KeyRole.EDITOR)
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {key}"}


def is_sqlite(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "sqlite"


@contextmanager
def direct_engine(database_url: str) -> Iterator[Engine]:
    """An engine of the test's own, to look at the database behind the server's back."""
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """`ksopn serve` in a process group of its own, on a free port; `env` adds settings."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 1,
        log: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.workers = workers
        self.log = log
        self.env = env or {}
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "ServerProcess":
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        # Without a log file the output goes where the test's goes (pytest shows it on failure).
        output: Any = None if self.log is None else self.log.open("ab")
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve",
                 "--host", "127.0.0.1", "--port", str(port), "--workers", str(self.workers)],
                cwd=PROJECT_DIR,
                env={**os.environ, "KSOPN_LOG_LEVEL": "warning", **self.env,
                     "KSOPN_DATABASE_URL": self.database_url},
                stdout=output,
                stderr=output,
                start_new_session=True,  # its workers share its process group: killpg ends all
            )  # fmt: skip
        finally:
            if self.log is not None:
                output.close()
        try:
            self._wait_until_up()
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_until_up(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not come up in {STARTUP_SECONDS} s")

    def kill(self) -> None:
        """SIGKILL to the server and its workers: no shutdown, no cleanup, as in a crash."""
        if self.process is None:
            return
        # The group leader is not reaped yet (at worst a zombie), so its id is still ours.
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """A graceful shutdown (SIGTERM; uvicorn stops its workers), SIGKILL if it hangs."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()


def every_item(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """All pages of a list, following `next`."""
    items: list[dict[str, Any]] = []
    response = client.get(path, params={"limit": 1000, **params})
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        if page["next"] is None:
            return items
        response = client.get(page["next"])


def mass_totals(client: httpx.Client) -> tuple[int, int]:
    """(grams in the grand total of /seizures/totals, grams of every top-level report added
    up): each quantity counts once, so the two agree however reports are broken down."""
    response = client.get("/api/v1/seizures/totals")
    assert response.status_code == 200, response.text
    lines = [line for line in response.json()["groups"] if line["unit_kind"] == "mass"]
    assert len(lines) == 1, lines
    reports = every_item(client, "/api/v1/seizures", top_level_only="true")
    top_level = sum(r["quantity_grams"] for r in reports if r["unit_kind"] == "mass")
    return int(lines[0]["quantity_grams"]), top_level
