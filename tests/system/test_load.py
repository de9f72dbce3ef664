"""Readers and writers together against a real server with two worker processes.

For KSOPN_LOAD_SECONDS (default 15) readers list seizures by year, ask for totals by year
and substance, list stages and export every seizure as CSV, while writers post stages,
correct stages and seizure reports (If-Match) and delete stages, each writer on stages of
its own so that it knows what each must hold. Two workers make two processes contend for
the database (on SQLite, for its one write lock). No request may fail with a 5xx or see
"database is locked"; afterwards every acknowledged write must read back as answered, and
the totals must agree with the rows. Prints requests, statuses and latencies per kind.
Runs on SQLite, and on PostgreSQL with KSOPN_TEST_DATABASE_URL.
"""

import csv
import io
import math
import os
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.system.live import (
    ServerProcess,
    direct_engine,
    every_item,
    is_sqlite,
    mass_totals,
    prepare_database,
)

LOAD_SECONDS = float(os.environ.get("KSOPN_LOAD_SECONDS", "15"))
READERS = 4
WRITERS = 3
WORKERS = 2
TIMEOUT = 120  # seconds; a loaded 2-core machine is slow, and slow is not wrong
SEED_GRAMS = 67_600_000  # the seed's one top-level report; its parts are inside it
LOCK_WORDS = ("database is locked", "database is busy", "busy or unreachable")
EXPECTED = {"POST stage": 201, "PATCH stage": 200, "PATCH seizure": 200, "DELETE stage": 204}


@dataclass
class Tally:
    """Every request's kind, status and latency, and whatever went wrong."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    problems: list[str] = field(default_factory=list)

    def send(
        self, http: httpx.Client, kind: str, method: str, url: str, **kwargs: Any
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = http.request(method, url, **kwargs)
        except httpx.TransportError as error:
            self.problem(f"{kind}: {method} {url}: {error!r}")
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.statuses[kind][response.status_code] += 1
            self.seconds[kind].append(elapsed)
        text = response.text if response.status_code >= 400 else ""
        if response.status_code >= 500 or any(w in text.lower() for w in LOCK_WORDS):
            self.problem(f"{kind}: {method} {url}: {response.status_code} {text[:300]}")
        return response

    def problem(self, message: str) -> None:
        with self.lock:
            self.problems.append(message)

    def report(self) -> str:
        lines = []
        for kind in sorted(self.seconds):
            ms = sorted(s * 1000 for s in self.seconds[kind])
            statuses = ", ".join(f"{s}: {c}" for s, c in sorted(self.statuses[kind].items()))
            lines.append(
                f"  {kind:<16} {len(ms):>5} requests  p50 {percentile(ms, 50):7.1f} ms  "
                f"p99 {percentile(ms, 99):7.1f} ms  max {ms[-1]:7.1f} ms  ({statuses})"
            )
        return "\n".join(lines)


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def stage_body(writer: int, k: int, rng: random.Random) -> dict[str, Any]:
    """A stage with parties and two reports, one of them broken down; some span New Year."""
    year = rng.randint(2017, 2023)
    start = date(year, 12, 28) if k % 5 == 0 else date(year, 1, 1) + timedelta(rng.randint(0, 300))
    parts_kg = [rng.randint(1, 500), rng.randint(1, 500)]
    return {
        "number": 1_000_000 * (writer + 1) + k,
        "name": f"Load stage {writer}-{k}",
        "start_on": start.isoformat(),
        "end_on": (start + timedelta(days=7)).isoformat(),
        "lead_country": rng.choice(["KAZ", "KGZ", "RUS", "TJK"]),
        "source": "mvd-ksopn-15-years-2020",
        "locator": "¶8",
        "participants": ["KAZ", "RUS", {"party": "TJK", "detail": "drug control agency"}],
        "observers": ["unodc"],
        "seizures": [
            {"substance": "cannabis", "quantity": f"{sum(parts_kg) + rng.randint(0, 900)} kg",
             "country": "KAZ", "cases": rng.randint(1, 300),
             "parts": [{"substance": "hashish", "quantity": f"{parts_kg[0]} kg"},
                       {"substance": "marijuana", "quantity": f"{parts_kg[1]} kg"}]},
            {"substance": "heroin", "quantity": {"amount": rng.randint(1, 99_999) / 10, "unit": "kg"}},
        ],
    }  # fmt: skip


class Writer:
    """Posts, corrects and deletes stages of its own, and remembers what each must hold."""

    def __init__(self, number: int, server: ServerProcess, editor: dict[str, str], tally: Tally):
        self.number = number
        self.server = server
        self.editor = editor
        self.tally = tally
        self.rng = random.Random(number)
        self.stages: dict[int, dict[str, Any]] = {}  # id: the stage as last acknowledged
        self.deleted: set[int] = set()
        self.edits = 0

    def run(self, until: float) -> None:
        with httpx.Client(base_url=self.server.url, headers=self.editor, timeout=TIMEOUT) as http:
            k = 0
            while time.monotonic() < until:
                k += 1
                if len(self.stages) < 3:
                    action = "post"
                else:
                    actions = ["post", "patch stage", "patch seizure", "delete"]
                    action = self.rng.choices(actions, weights=[4, 2, 2, 1])[0]
                if action == "post":
                    self.post(http, k)
                else:
                    self.edit(http, action, self.rng.choice(sorted(self.stages)))

    def post(self, http: httpx.Client, k: int) -> None:
        response = self.tally.send(
            http, "POST stage", "POST", "/api/v1/operations/channel/stages",
            json=stage_body(self.number, k, self.rng),
            headers={"Idempotency-Key": f"load-{self.number}-{k}"},
        )  # fmt: skip
        if self.expect(response, "POST stage"):
            assert response is not None
            self.stages[response.json()["id"]] = response.json()

    def edit(self, http: httpx.Client, action: str, stage_id: int) -> None:
        path = f"/api/v1/stages/{stage_id}"
        current = self.tally.send(http, "GET to edit", "GET", path)
        if current is None or current.status_code != 200:
            self.tally.problem(f"GET {path} before an edit: {current and current.status_code}")
            return
        if current.json() != self.stages[stage_id]:  # read your own writes, from either worker
            self.tally.problem(f"GET {path} differs from the last acknowledged write")
        self.edits += 1
        if action == "patch stage":
            name = f"Load stage {self.number}, edit {self.edits}"
            response = self.tally.send(
                http, "PATCH stage", "PATCH", path, json={"name": name},
                headers={"If-Match": current.headers["etag"]},
            )  # fmt: skip
            if self.expect(response, "PATCH stage"):
                assert response is not None
                self.stages[stage_id] = response.json()
        elif action == "patch seizure":
            self.patch_seizure(http, stage_id)
        else:
            response = self.tally.send(
                http, "DELETE stage", "DELETE", path, headers={"If-Match": current.headers["etag"]}
            )
            if self.expect(response, "DELETE stage"):
                del self.stages[stage_id]
                self.deleted.add(stage_id)

    def patch_seizure(self, http: httpx.Client, stage_id: int) -> None:
        """A new quantity for a top-level report, never less than its parts."""
        reports = self.stages[stage_id]["seizures"]
        report = self.rng.choice([r for r in reports if r["parent_id"] is None])
        parts = sum(r["amount"] for r in reports if r["parent_id"] == report["id"])
        path = f"/api/v1/seizures/{report['id']}"
        current = self.tally.send(http, "GET to edit", "GET", path)
        if current is None or current.status_code != 200:
            self.tally.problem(f"GET {path} before an edit: {current and current.status_code}")
            return
        grams = parts + self.rng.randint(0, 500_000)
        response = self.tally.send(
            http, "PATCH seizure", "PATCH", path,
            json={"quantity": {"amount": grams, "unit": "g"}},
            headers={"If-Match": current.headers["etag"]},
        )  # fmt: skip
        if self.expect(response, "PATCH seizure"):
            assert response is not None
            index = next(i for i, r in enumerate(reports) if r["id"] == report["id"])
            reports[index] = response.json()

    def expect(self, response: httpx.Response | None, kind: str) -> bool:
        if response is None:
            return False
        if response.status_code != EXPECTED[kind]:
            self.tally.problem(f"{kind}: {response.status_code} {response.text[:300]}")
            return False
        return True


def read(server: ServerProcess, number: int, until: float, tally: Tally) -> None:
    """Reads of each kind in turn, each checked to be well-formed."""
    rng = random.Random(1000 + number)
    kinds = ["GET seizures", "GET totals", "GET stages", "GET csv export"]
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
        turn = number
        while time.monotonic() < until:
            kind = kinds[turn % len(kinds)]
            turn += 1
            if kind == "GET seizures":
                params: dict[str, Any] = {"year": rng.randint(2017, 2023), "limit": 200}
                response = tally.send(http, kind, "GET", "/api/v1/seizures", params=params)
            elif kind == "GET totals":
                params = {"group_by": "year,substance"}
                response = tally.send(http, kind, "GET", "/api/v1/seizures/totals", params=params)
            elif kind == "GET stages":
                params = {"limit": 100}
                response = tally.send(http, kind, "GET", "/api/v1/stages", params=params)
            else:
                params = {"format": "csv"}
                response = tally.send(http, kind, "GET", "/api/v1/seizures", params=params)
            if response is None:
                continue
            if response.status_code != 200:
                tally.problem(f"{kind}: {response.status_code} {response.text[:300]}")
            elif kind == "GET csv export":
                rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
                ids = [row[0] for row in rows[1:]]
                well_formed = all(len(row) == len(rows[0]) for row in rows)
                # At least the seed's 6 reports, each once, under the header.
                if (
                    rows[0][0] != "id"
                    or len(ids) < 6
                    or len(set(ids)) != len(ids)
                    or not well_formed
                ):
                    tally.problem(f"a CSV export of {len(rows)} lines: {rows[:2]}")
            else:
                response.json()


def test_readers_and_writers_together(new_database: Callable[[], str], tmp_path: Path) -> None:
    database_url = new_database()
    editor = prepare_database(database_url)
    log = tmp_path / "server.log"
    tally = Tally()
    writers: list[Writer] = []

    with ServerProcess(database_url, workers=WORKERS, log=log) as server:
        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
            seed_reports = {r["id"] for r in every_item(http, "/api/v1/seizures")}
        writers = [Writer(i, server, editor, tally) for i in range(WRITERS)]
        started = time.monotonic()
        until = started + LOAD_SECONDS
        with ThreadPoolExecutor(max_workers=READERS + WRITERS) as pool:
            jobs = [pool.submit(w.run, until) for w in writers]
            jobs += [pool.submit(read, server, i, until, tally) for i in range(READERS)]
            for job in jobs:
                job.result()  # a client's own failure surfaces here
        ran = time.monotonic() - started

        print(
            f"\nload on {'SQLite' if is_sqlite(database_url) else 'PostgreSQL'}, "
            f"{WORKERS} workers, {READERS} readers, {WRITERS} writers, {ran:.1f} s:\n"
            + tally.report()
        )
        assert not tally.problems, "\n".join(tally.problems[:20])

        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
            # Every acknowledged write reads back as it was answered; deleted stages are gone.
            live = {i: s for w in writers for i, s in w.stages.items()}
            for stage_id, stage in live.items():
                found = http.get(f"/api/v1/stages/{stage_id}")
                assert found.status_code == 200, found.text
                assert found.json() == stage
            deleted = {i for w in writers for i in w.deleted}
            # SQLite reuses the largest id after it is deleted (no AUTOINCREMENT), so a
            # deleted stage's id may belong to a later stage by now; PostgreSQL never does.
            reused = deleted & set(live)
            for stage_id in deleted - reused:
                assert http.get(f"/api/v1/stages/{stage_id}").status_code == 404
            assert {s["id"] for s in every_item(http, "/api/v1/stages")} == set(live)
            reports = {r["id"] for s in live.values() for r in s["seizures"]}
            assert {r["id"] for r in every_item(http, "/api/v1/seizures")} == (
                seed_reports | reports
            )

            # The totals agree with the rows, and with what the writers were told.
            total, top_level = mass_totals(http)
            written = sum(
                r["quantity_grams"]
                for s in live.values()
                for r in s["seizures"]
                if r["parent_id"] is None
            )
            assert total == top_level == SEED_GRAMS + written
            by_year = http.get(
                "/api/v1/seizures/totals", params={"group_by": "year,substance"}
            ).json()
            lines = by_year["groups"] + by_year["beyond_window"]
            assert sum(line["amount"] for line in lines if line["unit_kind"] == "mass") == total

    server_log = log.read_text(encoding="utf-8", errors="replace")
    for sign in ("database is locked", "Traceback", "unhandled error", "database unavailable"):
        assert sign not in server_log, server_log[-3000:]
    if is_sqlite(database_url):
        with direct_engine(database_url) as engine, engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
    print(
        f"  after the load: {len(live)} stages live, "
        f"{len(deleted)} deleted ({len(reused)} of their ids taken again by new stages), "
        f"{sum(w.edits for w in writers)} edits; grand total {total:,} g"
    )
