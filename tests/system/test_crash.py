"""A crash loses nothing that was acknowledged, and leaves nothing half-written.

A real server process takes a stream of writes from a few clients: stages with their
participants, observers and seizure reports with breakdowns (each a multi-row transaction),
and sources. It is killed with SIGKILL in mid-stream and started again on the same
database. Then every write that got a 201 must be there exactly as its answer said, every
stage in the database must be a complete copy of a request that was sent (its answer may
have been lost), no row may be left over from a write that did not commit, and the
database must be sound. A retry of each write whose answer was lost must then create it
exactly once (Idempotency-Key). Runs on SQLite, and on PostgreSQL with
KSOPN_TEST_DATABASE_URL.
"""

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import Connection, Engine, Executable, select

from app.models import AuditEntry, IdempotencyRecord, Participation, SeizureReport, Source, Stage
from app.models.enums import AuditAction
from tests.system.live import (
    ServerProcess,
    direct_engine,
    every_item,
    is_sqlite,
    mass_totals,
    prepare_database,
)

CLIENTS = 4
FIRST_NUMBER = 5000  # stage numbers FIRST_NUMBER + n, one per request
MEMBERS = ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"]
STAGE_PATH = "/api/v1/operations/channel/stages"
SOURCE_PATH = "/api/v1/sources"
TABLES: dict[str, Any] = {"stages": Stage, "participations": Participation, "seizure_reports": SeizureReport,
          "sources": Source}  # fmt: skip


@dataclass
class Write:
    """One POST as sent, with what became of it."""

    n: int
    path: str
    body: dict[str, Any]
    expected: Any  # what the database must hold if the write committed
    status: int | None = None
    answer: dict[str, Any] | None = None
    location: str = ""
    error: str = ""  # "refused": never reached the server; "lost": sent, no answer

    @property
    def key(self) -> str:
        return f"crash-write-{self.n}"

    @property
    def is_stage(self) -> bool:
        return self.path == STAGE_PATH


def stage_write(n: int) -> Write:
    """A stage with 4 participants, 2 observers, a report with 2 parts and a report."""
    start = date(2022, 1, 1) + timedelta(days=n % 330)
    country = MEMBERS[n % 6]
    body = {
        "number": FIRST_NUMBER + n,
        "name": f"Crash test stage {n}",
        "start_on": start.isoformat(),
        "end_on": (start + timedelta(days=5)).isoformat(),
        "lead_country": country,
        "source": "mvd-ksopn-15-years-2020",
        "locator": f"¶{n % 50 + 1}",
        "participants": [*(MEMBERS[(n + i) % 6] for i in range(3)),
                         {"party": MEMBERS[(n + 3) % 6], "detail": f"agency {n}"}],
        "observers": [{"party": "unodc", "detail": "representatives"}, "IRN"],
        "seizures": [
            {"substance": "controlled-substances", "quantity": f"{1000 + n} kg",
             "country": country, "cases": n,
             "parts": [{"substance": "hashish", "quantity": f"{n % 400 + 1} kg"},
                       {"substance": "heroin", "quantity": {"amount": n % 300 + 0.5, "unit": "kg"}}]},
            {"substance": "opium", "quantity": f"{n % 7 + 1} t {n % 999 + 1} kg"},
        ],
    }  # fmt: skip
    expected = {
        "number": FIRST_NUMBER + n,
        "name": body["name"],
        "start_on": body["start_on"],
        "end_on": body["end_on"],
        "lead_country": country,
        "participants": sorted([*((MEMBERS[(n + i) % 6], None) for i in range(3)),
                                (MEMBERS[(n + 3) % 6], f"agency {n}")]),
        "observers": sorted([("unodc", "representatives"), ("IRN", None)]),
        "seizures": sorted([
            ("controlled-substances", (1000 + n) * 1000, country, n,
             (("hashish", (n % 400 + 1) * 1000), ("heroin", (n % 300) * 1000 + 500))),
            ("opium", (n % 7 + 1) * 1_000_000 + (n % 999 + 1) * 1000, None, None, ()),
        ]),
    }  # fmt: skip
    return Write(n, STAGE_PATH, body, expected)


def source_write(n: int) -> Write:
    body = {
        "slug": f"crash-source-{n}",
        "title": f"Report number {n}",
        "publisher": "Ministry of the Interior",
        "language": "ru",
        "locator_scheme": "paragraphs, ¶N",
    }
    return Write(n, SOURCE_PATH, body, {k: body[k] for k in ("slug", "title", "language")})


def stage_as_stored(stage: dict[str, Any]) -> dict[str, Any]:
    """A stage's representation (GET /stages/{id}) in the shape of `Write.expected`."""

    def parties(entries: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
        return sorted(
            (p["party"]["iso3"] or p["party"]["slug"], p["party_detail"]) for p in entries
        )

    reports = stage["seizures"]
    parts: dict[int, list[tuple[str, int]]] = {}
    for report in reports:
        if report["parent_id"] is not None:
            parts.setdefault(report["parent_id"], []).append(
                (report["substance"]["slug"], report["quantity_grams"])
            )
    top = [
        (r["substance"]["slug"], r["quantity_grams"], (r["country"] or {}).get("iso3"),
         r["cases"], tuple(sorted(parts.pop(r["id"], []))))
        for r in reports if r["parent_id"] is None
    ]  # fmt: skip
    assert not parts, f"parts of reports not on the stage: {parts}"
    return {
        "number": stage["number"],
        "name": stage["name"],
        "start_on": stage["start_on"],
        "end_on": stage["end_on"],
        "lead_country": stage["lead_country"],
        "participants": parties(stage["participants"]),
        "observers": parties(stage["observers"]),
        "seizures": sorted(top),
    }


def new_ids(engine: Engine, before: dict[str, set[int]] | None = None) -> dict[str, set[int]]:
    """Row ids per table (not in `before`), audit and idempotency rows included."""
    with engine.connect() as connection:
        ids = {name: set(connection.scalars(select(model.id))) for name, model in TABLES.items()}
        ids["audit_log"] = set(connection.scalars(select(AuditEntry.id)))
        ids["idempotency_records"] = set(connection.scalars(select(IdempotencyRecord.id)))
    if before is not None:
        ids = {name: found - before[name] for name, found in ids.items()}
    return ids


def stream_writes(server: ServerProcess, editor: dict[str, str]) -> tuple[list[Write], float]:
    """Clients post writes until the server dies; it is killed after 1-2 s and 5 answers.

    Returns the writes and the seconds the stream ran before the kill."""
    writes: list[Write] = []
    lock = threading.Lock()
    stop = threading.Event()
    counter = iter(range(10**6))

    def client() -> None:
        with httpx.Client(base_url=server.url, headers=editor, timeout=120) as http:
            while not stop.is_set():
                with lock:
                    n = next(counter)
                    write = source_write(n) if n % 4 == 3 else stage_write(n)
                    writes.append(write)
                try:
                    response = http.post(
                        write.path, json=write.body, headers={"Idempotency-Key": write.key}
                    )
                except httpx.ConnectError:
                    write.error = "refused"
                    return
                except httpx.TransportError:
                    write.error = "lost"
                    return
                write.status = response.status_code
                write.answer = response.json() if response.status_code == 201 else None
                write.location = response.headers.get("location", "")

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    kill_at = started + random.uniform(1.0, 2.0)
    deadline = started + 120  # a slow machine still gets its answers, just later
    while time.monotonic() < deadline:
        answered = sum(1 for w in list(writes) if w.status is not None)
        if time.monotonic() >= kill_at and answered >= 5:
            break
        time.sleep(0.02)
    ran = time.monotonic() - started
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=150)
        assert not thread.is_alive(), "a client hung after the server died"
    return writes, ran


def test_a_killed_server_keeps_every_acknowledged_write_and_no_partial_one(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    database_url = new_database()
    editor = prepare_database(database_url)
    with direct_engine(database_url) as engine:
        before = new_ids(engine)
    log = tmp_path / "server.log"

    server = ServerProcess(database_url, log=log).start()
    try:
        writes, ran = stream_writes(server, editor)
    finally:
        server.kill()

    acknowledged = [w for w in writes if w.status is not None]
    lost = [w for w in writes if w.error == "lost"]
    refused = [w for w in writes if w.error == "refused"]
    assert acknowledged, "no write was answered before the kill"
    # Before the kill every answer is a success: the stream itself is sound.
    assert {w.status for w in acknowledged} == {201}, Counter(w.status for w in acknowledged)

    if is_sqlite(database_url):  # a fresh connection recovers the write-ahead log first
        with direct_engine(database_url) as engine, engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []

    with (
        ServerProcess(database_url, log=log) as server,
        httpx.Client(base_url=server.url, headers=editor, timeout=120) as http,
    ):
        # 1. Every acknowledged write is there, exactly as its answer said.
        for write in acknowledged:
            assert write.answer is not None
            found = http.get(write.location)
            assert found.status_code == 200, (write.location, found.text)
            assert found.json() == write.answer, write.location

        # 2. Every stage and source in the database is a complete copy of a sent request.
        by_number = {w.body["number"]: w for w in writes if w.is_stage}
        by_slug = {w.body["slug"]: w for w in writes if not w.is_stage}
        with direct_engine(database_url) as engine:
            added = new_ids(engine, before)
            with engine.connect() as connection:
                stage_numbers = pairs(
                    connection, select(Stage.id, Stage.number).where(Stage.id.in_(added["stages"]))
                )
                source_slugs = pairs(
                    connection,
                    select(Source.id, Source.slug).where(Source.id.in_(added["sources"])),
                )
                parent_stage = pairs(
                    connection,
                    select(Participation.id, Participation.stage_id).where(
                        Participation.id.in_(added["participations"])
                    ),
                )
                report_stage = pairs(
                    connection,
                    select(SeizureReport.id, SeizureReport.stage_id).where(
                        SeizureReport.id.in_(added["seizure_reports"])
                    ),
                )
                audited = Counter(
                    (row.entity, row.action, row.entity_id)
                    for row in connection.execute(
                        select(AuditEntry.entity, AuditEntry.action, AuditEntry.entity_id).where(
                            AuditEntry.id.in_(added["audit_log"])
                        )
                    )
                )
                remembered = [
                    (row.key, row.status_code, bytes(row.body))
                    for row in connection.execute(
                        select(IdempotencyRecord.key, IdempotencyRecord.status_code,
                               IdempotencyRecord.body)
                        .where(IdempotencyRecord.id.in_(added["idempotency_records"]))
                    )
                ]  # fmt: skip

        assert set(stage_numbers.values()) <= set(by_number), "a stage no request asked for"
        assert set(source_slugs.values()) <= set(by_slug), "a source no request asked for"
        committed = {by_number[number].n for number in stage_numbers.values()} | {
            by_slug[slug].n for slug in source_slugs.values()
        }
        for stage_id, number in stage_numbers.items():
            stored = http.get(f"/api/v1/stages/{stage_id}").json()
            assert stage_as_stored(stored) == by_number[number].expected, number
        for slug in source_slugs.values():
            stored = http.get(f"/api/v1/sources/{slug}").json()
            assert {k: stored[k] for k in ("slug", "title", "language")} == by_slug[slug].expected

        # 3. No row outlives its write: every new party and report belongs to a new stage,
        #    in the numbers the requests asked for; each new row was audited by its write.
        assert set(parent_stage.values()) <= set(stage_numbers)
        assert set(report_stage.values()) <= set(stage_numbers)
        assert len(parent_stage) == 6 * len(stage_numbers)
        assert len(report_stage) == 4 * len(stage_numbers)
        created = {
            (table, AuditAction.CREATE.value, row_id) for table in TABLES for row_id in added[table]
        }
        assert audited == Counter(created)
        # ... and remembered its Idempotency-Key with its answer (never a bare claim).
        assert sorted(key for key, _, _ in remembered) == sorted(
            f"crash-write-{n}" for n in committed
        )
        by_n = {w.n: w for w in writes}
        for key, status, body in remembered:
            write = by_n[int(key.rsplit("-", 1)[1])]
            answer = orjson.loads(body)
            assert status == 201, key
            if write.is_stage:
                assert stage_numbers[answer["id"]] == write.body["number"], key
            else:
                assert source_slugs[answer["id"]] == write.body["slug"], key
            if write.answer is not None:
                assert answer == write.answer, key

        # 4. Totals still count every report once.
        total, top_level = mass_totals(http)
        assert total == top_level

        # 5. A retry of a write whose answer was lost creates it exactly once.
        for write in lost:
            retried = http.post(write.path, json=write.body, headers={"Idempotency-Key": write.key})
            assert retried.status_code == 201, retried.text
            replayed = retried.headers.get("idempotent-replayed") == "true"
            assert replayed == (write.n in committed), write.key
        stages = every_item(http, "/api/v1/stages", operation="channel")
        numbers = Counter(s["number"] for s in stages)
        for write in [*acknowledged, *lost]:
            if write.is_stage:
                assert numbers[write.body["number"]] == 1, write.key

    if is_sqlite(database_url):
        with direct_engine(database_url) as engine, engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]

    server_log = log.read_text(encoding="utf-8", errors="replace")
    for sign in ("Traceback", "unhandled error", "database unavailable", "database is locked"):
        assert sign not in server_log, server_log[-3000:]

    in_flight_committed = sum(1 for w in lost if w.n in committed)
    print(
        f"\ncrash test on {engine_name(database_url)}: killed after {ran:.2f} s; "
        f"{len(writes)} writes sent ({sum(w.is_stage for w in writes)} stages), "
        f"{len(acknowledged)} acknowledged before the kill, "
        f"{sum(1 for w in acknowledged if w.n in committed)} of them found after; "
        f"{len(lost)} in flight ({in_flight_committed} had committed, "
        f"{len(lost) - in_flight_committed} had not), {len(refused)} refused after the kill; "
        f"{len(committed)} writes in the database before the retries"
    )


def pairs(connection: Connection, statement: Executable) -> dict[Any, Any]:
    return {row[0]: row[1] for row in connection.execute(statement)}


def engine_name(database_url: str) -> str:
    return "SQLite" if is_sqlite(database_url) else "PostgreSQL"
