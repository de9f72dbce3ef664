"""What the record's history costs (issue 24, migration 0019): disk and write time, with and
without it, on the benchmark's synthetic registry, on SQLite and PostgreSQL.

For each database it builds the demo registry (the seeds and `--reports` seizure reports, as
`ksopn demo-data` does) twice:
- at revision 0018, the last without history; it times stage posts of 10 reports there,
  upgrades it to 0019 (every row gets its baseline state: the migration's time and the
  size it adds), and times the same posts again;
- at head, where the bulk import itself writes the history (the import's time with it).

    .venv/bin/python bench/history_cost.py --reports 1000000 \
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres

The PostgreSQL URL names a server database to connect to; the script makes and drops its
own databases beside it. Prints a Markdown table.
"""

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import demo, migrate
from app.db import make_engine
from app.main import create_app
from app.models.enums import KeyRole
from app.seeding.loader import apply_seeds, read_seed_files
from app.seizures import derived_tables
from app.settings import Settings, get_settings
from app.staff.keys import create_key

BEFORE = "0018"  # the last revision without the history
POSTS = 60
ALIKE = {"substance": "heroin", "quantity": "5 kg", "country": "KAZ"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=None, help="a server database's URL")
    args = parser.parse_args()
    derived_tables.keep_current()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        kinds: list[tuple[str, Callable[[], Any]]] = [
            ("SQLite", lambda: _sqlite_databases(Path(folder)))
        ]
        if args.postgres:
            kinds.append(("PostgreSQL", lambda: _postgres_databases(args.postgres)))
        for name, databases in kinds:
            with databases() as (url_a, url_b, size_of):
                rows.append((name, measure(url_a, url_b, size_of, args.reports)))
    print(f"Seizure reports: {args.reports:,}; posts of 10 reports: {POSTS} each way\n")
    print("| database | size without history | size with history (0019's baseline) | "
          "upgrade to 0019 | import without / with history | post without / with "
          "history, median ms |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    for name, m in rows:
        print(
            f"| {name} | {m['size_before'] / 2**20:,.0f} MB | {m['size_after'] / 2**20:,.0f} MB "
            f"(+{m['size_after'] / m['size_before'] - 1:.0%}) | {m['upgrade_s']:.1f} s | "
            f"{m['import_before_s']:.1f} s / {m['import_after_s']:.1f} s | "
            f"{m['post_before_ms']:.1f} / {m['post_after_ms']:.1f} |"
        )


def measure(
    url_a: str, url_b: str, size_of: Callable[[str], int], reports: int
) -> dict[str, float]:
    found: dict[str, float] = {}
    found["import_before_s"] = fill(url_a, reports, BEFORE)
    found["size_before"] = size_of(url_a)
    found["post_before_ms"] = post_cost(url_a)
    started = time.perf_counter()
    migrate.upgrade(url_a)
    found["upgrade_s"] = time.perf_counter() - started
    found["size_after"] = size_of(url_a)
    found["post_after_ms"] = post_cost(url_a)
    found["import_after_s"] = fill(url_b, reports, "head")
    return found


def fill(url: str, reports: int, revision: str) -> float:
    """The demo registry, as `ksopn demo-data` fills it, at `revision`; the import's time."""
    started = time.perf_counter()
    migrate.upgrade(url, revision)
    engine = make_engine(url, durable=False)
    try:
        with Session(engine) as session, session.begin():
            apply_seeds(session, read_seed_files(get_settings().seeds_dir))
        with Session(engine) as session, session.begin():
            demo.fill(session, reports, 1)
    finally:
        engine.dispose()
    return time.perf_counter() - started


def post_cost(url: str) -> float:
    """The median time of a stage post of 10 reports, in process."""
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        key = create_key(session, f"history-cost-{uuid.uuid4().hex[:6]}", KeyRole.EDITOR)
    engine.dispose()
    times = []
    with TestClient(create_app(Settings(database_url=url))) as client:
        for n in range(POSTS):
            body = {"number": 800_000_000 + n + int(time.time()) % 100_000 * 1_000,
                    "start_on": "2024-06-10", "end_on": "2024-06-21", "locator": "¶8",
                    "source": "mvd-ksopn-15-years-2020", "participants": ["KAZ"],
                    "seizures": [ALIKE] * 10}  # fmt: skip
            started = time.perf_counter()
            response = client.post(
                "/api/v1/operations/grom/stages",
                json=body,
                headers={"Authorization": f"Bearer {key}"},
            )
            times.append(time.perf_counter() - started)
            if response.status_code != 201:
                raise RuntimeError(f"a post: {response.status_code} {response.text}")
    return statistics.median(times) * 1000


@contextmanager
def _sqlite_databases(folder: Path) -> Iterator[tuple[str, str, Callable[[str], int]]]:
    def size_of(url: str) -> int:
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        engine.dispose()
        return Path(make_url(url).database or "").stat().st_size

    yield f"sqlite:///{folder / 'a.sqlite3'}", f"sqlite:///{folder / 'b.sqlite3'}", size_of


@contextmanager
def _postgres_databases(server: str) -> Iterator[tuple[str, str, Callable[[str], int]]]:
    names = [f"ksopn_history_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")

    def size_of(url: str) -> int:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
            size = connection.execute(text("SELECT pg_database_size(current_database())"))
            found = int(size.scalar_one())
        engine.dispose()
        return found

    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        base = make_url(server)
        urls = [base.set(database=name).render_as_string(hide_password=False) for name in names]
        yield urls[0], urls[1], size_of
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
