"""`ksopn db backup` and `ksopn db restore` on SQLite; PostgreSQL is sent to its own tools.

These tests make SQLite files of their own, so they run whichever database the rest of the
suite is on.
"""

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from app import cli, migrate
from app.db import make_engine
from app.models import AuditEntry, Participation, SeizureReport, Source, Stage
from app.settings import get_settings
from tests.system.live import ServerProcess, direct_engine, prepare_database

runner = CliRunner()
FIRST_NUMBER = 1000  # stage numbers the seed does not use; writer w posts FIRST_NUMBER*(w+1)+i


@pytest.fixture
def point_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Points `ksopn` at a database."""

    def point(url: str) -> None:
        monkeypatch.setenv("KSOPN_DATABASE_URL", url)
        get_settings.cache_clear()

    yield point
    get_settings.cache_clear()


@pytest.fixture
def live_url(tmp_path: Path, point_at: Callable[[str], None]) -> str:
    """A SQLite database file that `ksopn` is pointed at (not made yet)."""
    url = f"sqlite:///{tmp_path / 'live' / 'ksopn.sqlite3'}"
    point_at(url)
    return url


def ksopn(*args: str, answer: str | None = None) -> Result:
    return runner.invoke(cli.cli, list(args), input=answer)


def query(path: Path, sql: str) -> list[Any]:
    """Reads a file without changing it (a SQLAlchemy engine of the app would make it WAL)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        return connection.execute(sql).fetchall()


def stage_count(url: str) -> int:
    with direct_engine(url) as engine, Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Stage)) or 0


def stage(number: int) -> dict[str, Any]:
    return {
        "number": number,
        "start_on": "2022-06-01",
        "end_on": "2022-06-10",
        "source": "mvd-ksopn-15-years-2020",
        "locator": "¶8",
        "participants": ["KAZ", "RUS"],
        "seizures": [
            {
                "substance": "controlled-substances",
                "quantity": "12 kg",
                "parts": [{"substance": "heroin", "quantity": "5 kg"}],
            }
        ],
    }


def pad(url: str, megabytes: int) -> None:
    """Makes the database big enough that copying it takes a while, so commits land during it."""
    row = {"at": datetime.now(UTC), "actor": "padding", "action": "create", "entity": "padding"}
    with direct_engine(url) as engine, engine.begin() as connection:
        connection.execute(
            insert(AuditEntry),
            [
                {**row, "entity_id": i, "after": {"text": "x" * 1000}}
                for i in range(megabytes * 900)
            ],
        )


class Writers:
    """Threads that post stages until told to stop, each its own numbers one after another,
    so what each has committed is always a prefix of its sequence."""

    def __init__(self, server: ServerProcess, editor: dict[str, str], count: int) -> None:
        self.server, self.editor = server, editor
        self.stop = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=count)
        self.results = [self.pool.submit(self._write, w) for w in range(count)]

    def _write(self, writer: int) -> range:
        first = FIRST_NUMBER * (writer + 1)
        number = first
        with httpx.Client(base_url=self.server.url, timeout=60) as client:
            while not self.stop.is_set():
                response = client.post(
                    "/api/v1/operations/channel/stages", json=stage(number), headers=self.editor
                )
                assert response.status_code == 201, response.text
                number += 1
        return range(first, number)

    def wait_for(self, url: str, stages: int) -> None:
        deadline = time.monotonic() + 60
        while stage_count(url) < stages:
            assert time.monotonic() < deadline, "the writers did not get going"
            assert not any(r.done() for r in self.results), "a writer stopped"
            time.sleep(0.05)

    def finish(self) -> list[range]:
        self.stop.set()
        ranges = [result.result(timeout=60) for result in self.results]
        self.pool.shutdown()
        return ranges


def check_consistent(backup: Path, written: list[range]) -> int:
    """The backup holds, of each writer, a prefix of what it wrote, every stage whole.
    Returns how many stages the writers had committed in it."""
    assert query(backup, "PRAGMA integrity_check") == [("ok",)]
    assert query(backup, "PRAGMA foreign_key_check") == []
    numbers = {n for (n,) in query(backup, f"SELECT number FROM stages WHERE number >= {FIRST_NUMBER}")}  # fmt: skip
    for sequence in written:
        held = sorted(numbers & set(sequence))
        assert held == list(sequence[: len(held)]), f"not a prefix of {sequence}"
    # A stage is written with its parties, its report and breakdown and its audit entry in one
    # transaction: the backup has all of them or none.
    incomplete = query(
        backup,
        f"""SELECT s.number FROM stages s WHERE s.number >= {FIRST_NUMBER} AND (
              (SELECT count(*) FROM participations p WHERE p.stage_id = s.id) != 2
           OR (SELECT count(*) FROM seizure_reports r WHERE r.stage_id = s.id) != 2
           OR (SELECT count(*) FROM audit_log a WHERE a.entity = 'stages'
                 AND a.entity_id = s.id AND a.action = 'create') != 1)""",
    )
    assert incomplete == []
    return len(numbers)


@pytest.mark.slow  # a real server process under writes
def test_a_backup_taken_while_the_server_writes_is_consistent_and_restores(
    live_url: str, tmp_path: Path, point_at: Callable[[str], None]
) -> None:
    editor = prepare_database(live_url)
    pad(live_url, megabytes=30)
    seeded = stage_count(live_url)
    with ServerProcess(live_url) as server:
        writers = Writers(server, editor, count=3)
        try:
            writers.wait_for(live_url, seeded + 10)
            taken: list[tuple[Path, int, int]] = []
            for i in range(3):
                before = stage_count(live_url) - seeded
                result = ksopn("db", "backup", str(tmp_path / f"backup-{i}.sqlite3"))
                after = stage_count(live_url) - seeded
                assert result.exit_code == 0, result.output
                assert "integrity ok" in result.output
                taken.append((tmp_path / f"backup-{i}.sqlite3", before, after))
        finally:
            written = writers.finish()
        live_stages = stage_count(live_url)

    assert sum(len(w) for w in written) == live_stages - seeded
    for backup, before, after in taken:
        assert before <= check_consistent(backup, written) <= after
    # The writers went on while the backups were taken.
    assert taken[-1][2] > taken[0][1]

    backup, *_ = taken[-1]
    restored_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    prepare_database(restored_url)  # a database with other data in it, about to be replaced
    point_at(restored_url)
    restored = ksopn("db", "restore", "--yes", str(backup))
    assert restored.exit_code == 0, restored.output
    assert "integrity ok" in restored.output
    held = query(backup, "SELECT number, name_en FROM stages ORDER BY number")
    with direct_engine(restored_url) as engine, Session(engine) as session:
        assert session.execute(select(Stage.number, Stage.name_en).order_by("number")).all() == held
        assert session.scalar(select(func.count()).select_from(SeizureReport)) == len(
            query(backup, "SELECT id FROM seizure_reports")
        )
        assert session.scalar(select(func.count()).select_from(Participation)) == len(
            query(backup, "SELECT id FROM participations")
        )
        assert migrate.current_revision(engine) == migrate.head_revision()


def test_a_backup_neither_waits_for_nor_copies_an_uncommitted_write(
    live_url: str, tmp_path: Path
) -> None:
    migrate.upgrade(live_url)
    engine = make_engine(live_url).execution_options(sqlite_begin="IMMEDIATE")
    try:
        with engine.connect() as writer:
            writer.execute(insert(Source), [source_row("committed")])
            writer.commit()
            writer.execute(insert(Source), [source_row("in-flight")])
            # The write lock is held now; a backup that needed it would wait 10 s and fail.
            started = time.monotonic()
            result = ksopn("db", "backup", str(tmp_path / "backup.sqlite3"))
            assert time.monotonic() - started < 5
            writer.commit()
    finally:
        engine.dispose()
    assert result.exit_code == 0, result.output
    assert query(tmp_path / "backup.sqlite3", "SELECT slug FROM sources") == [("committed",)]


def source_row(slug: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": slug,
        "publisher": "KSOPN",
        "language": "ru",
        "locator_scheme": "paragraphs",
    }


def test_the_backup_is_a_single_file_with_its_size_and_revision_reported(
    live_url: str, tmp_path: Path
) -> None:
    migrate.upgrade(live_url)
    target = tmp_path / "backups" / "ksopn.sqlite3"
    result = ksopn("db", "backup", str(target))
    assert result.exit_code == 0, result.output
    assert f"{target.stat().st_size:,} bytes" in result.output
    assert f"revision {migrate.head_revision()}" in result.output
    assert query(target, "PRAGMA journal_mode") == [("delete",)]  # needs no -wal beside it
    assert sorted(p.name for p in target.parent.iterdir()) == ["ksopn.sqlite3"]


def test_a_backup_does_not_overwrite_a_file_unless_forced(live_url: str, tmp_path: Path) -> None:
    migrate.upgrade(live_url)
    target = tmp_path / "precious"
    target.write_bytes(b"an older backup")

    refused = ksopn("db", "backup", str(target))
    assert refused.exit_code == 1
    assert "exists; pass --force" in refused.output
    assert target.read_bytes() == b"an older backup"

    forced = ksopn("db", "backup", "--force", str(target))
    assert forced.exit_code == 0, forced.output
    assert query(target, "SELECT version_num FROM alembic_version") == [(migrate.head_revision(),)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live", "precious"]


def test_a_backup_needs_a_database_to_copy(live_url: str, tmp_path: Path) -> None:
    result = ksopn("db", "backup", str(tmp_path / "backup.sqlite3"))
    assert result.exit_code == 1
    assert "there is no database at" in result.output
    assert not (tmp_path / "backup.sqlite3").exists()


@pytest.fixture
def live_with_a_source(live_url: str) -> str:
    """A migrated database holding one source, to show a refused restore changes nothing."""
    migrate.upgrade(live_url)
    with direct_engine(live_url) as engine, engine.begin() as connection:
        connection.execute(insert(Source), [source_row("kept")])
    return live_url


def sources(url: str) -> list[str]:
    with direct_engine(url) as engine, engine.connect() as connection:
        return list(connection.scalars(text("SELECT slug FROM sources")))


@pytest.mark.parametrize("content", [b"id,name\n1,Channel\n", b""], ids=["csv", "empty"])
def test_restore_refuses_a_file_that_is_not_sqlite(
    live_with_a_source: str, tmp_path: Path, content: bytes
) -> None:
    candidate = tmp_path / "candidate.sqlite3"
    candidate.write_bytes(content)
    result = ksopn("db", "restore", "--yes", str(candidate))
    assert result.exit_code == 1
    assert "is not a SQLite database" in result.output
    assert sources(live_with_a_source) == ["kept"]


def test_restore_refuses_a_damaged_backup(live_with_a_source: str, tmp_path: Path) -> None:
    backup = tmp_path / "backup.sqlite3"
    assert ksopn("db", "backup", str(backup)).exit_code == 0
    good = backup.read_bytes()
    # The header and the schema stay; pages of the tables become noise.
    middle = len(good) // 4096 // 2 * 4096
    backup.write_bytes(good[:middle] + bytes(range(256)) * 32 + good[middle + 8192 :])
    result = ksopn("db", "restore", "--yes", str(backup))
    assert result.exit_code == 1
    assert "fails the integrity check:" in result.output
    assert sources(live_with_a_source) == ["kept"]


def test_restore_refuses_a_backup_from_newer_code(live_with_a_source: str, tmp_path: Path) -> None:
    backup = tmp_path / "backup.sqlite3"
    assert ksopn("db", "backup", str(backup)).exit_code == 0
    with closing(sqlite3.connect(backup)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")

    result = ksopn("db", "restore", "--yes", str(backup))
    assert result.exit_code == 1
    assert "revision 9999_from_the_future, which this code does not know" in result.output
    assert "newer version" in result.output
    assert sources(live_with_a_source) == ["kept"]


def test_restore_refuses_a_sqlite_file_without_a_revision(
    live_with_a_source: str, tmp_path: Path
) -> None:
    other = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    result = ksopn("db", "restore", "--yes", str(other))
    assert result.exit_code == 1
    assert "no migration revision" in result.output
    assert sources(live_with_a_source) == ["kept"]


def test_restore_asks_first_and_no_keeps_the_data(live_with_a_source: str, tmp_path: Path) -> None:
    backup = tmp_path / "backup.sqlite3"
    assert ksopn("db", "backup", str(backup)).exit_code == 0
    with direct_engine(live_with_a_source) as engine, engine.begin() as connection:
        connection.execute(insert(Source), [source_row("after-the-backup")])

    declined = ksopn("db", "restore", str(backup), answer="n\n")
    assert declined.exit_code == 1
    assert "Replace everything in" in declined.output
    assert sources(live_with_a_source) == ["after-the-backup", "kept"]

    accepted = ksopn("db", "restore", str(backup), answer="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert sources(live_with_a_source) == ["kept"]


def test_restore_through_an_open_connection_shows_the_restored_data(
    live_with_a_source: str, tmp_path: Path
) -> None:
    """Connections open during a restore (a server's pool) read the restored database."""
    backup = tmp_path / "backup.sqlite3"
    assert ksopn("db", "backup", str(backup)).exit_code == 0
    with direct_engine(live_with_a_source) as engine:
        with engine.begin() as connection:
            connection.execute(insert(Source), [source_row("after-the-backup")])
        with engine.connect() as connection:  # the pool keeps this connection open
            assert len(connection.execute(text("SELECT slug FROM sources")).all()) == 2
        assert ksopn("db", "restore", "--yes", str(backup)).exit_code == 0
        with engine.connect() as connection:
            assert connection.scalars(text("SELECT slug FROM sources")).all() == ["kept"]
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_restore_of_an_older_revision_says_to_upgrade(live_url: str, tmp_path: Path) -> None:
    first = tmp_path / "first.sqlite3"
    migrate.upgrade(f"sqlite:///{first}", "0001")
    migrate.upgrade(live_url)
    result = ksopn("db", "restore", "--yes", str(first))
    assert result.exit_code == 0, result.output
    assert "revision 0001" in result.output
    assert "run `ksopn db upgrade`" in result.output


@pytest.mark.parametrize("command", [["backup"], ["restore", "--yes"]])
def test_postgresql_is_sent_to_pg_dump_and_pg_restore(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing connects: the URL only has to name PostgreSQL.
    monkeypatch.setenv(
        "KSOPN_DATABASE_URL", "postgresql+psycopg://anna:s3cret@db.example:5432/ksopn"
    )
    get_settings.cache_clear()
    try:
        result = ksopn("db", *command, str(tmp_path / "ksopn.dump"))
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    target = "postgresql://anna@db.example:5432/ksopn"
    assert f"pg_dump -Fc -d {target} -f {tmp_path / 'ksopn.dump'}\n" in result.output
    assert f"pg_restore --clean --if-exists -d {target} {tmp_path / 'ksopn.dump'}\n" in (
        result.output
    )
    assert "s3cret" not in result.output
