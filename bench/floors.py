"""The floors under issue 25's goals: the same stack and database with none of the
registry's work, timed as the registry's own figures are, at the same hour.

    .venv/bin/python bench/floors.py DATABASE_URL [--rounds 3] [--seconds 1] [--posts 400]
        [--report ID] [--stage ID]

DATABASE_URL is a database made by `ksopn demo-data`, as `make bench` makes it; the report
and the stage are the middle ones by id unless given (`make bench` gives those its reads
chose before its posts added stages). Three floors:

- `reads`: a FastAPI app of three routes, timed in process as bench/fixed_cost.py times the
  registry (its `_timed`: the app called directly on uvloop, no HTTP parsing, no socket):
  a bare route (`/bare`, a constant body); one report's row read in the event loop on the
  driver (`/loop/{id}`: sqlite3, or psycopg's asynchronous connection, prepared, in
  autocommit, as `app.db.LoopReads` reads); the same row read in a worker thread through a
  SQLAlchemy session that commits (`/thread/{id}`), as a route without a fast path reads.
  The registry's first read of a record is the loop's floor plus its own work.
- `stage`: the stage `make bench` reads (the middle one by id), on one driver connection in
  a loop: the registry's statement of its reports (`list_items._stage_items`); a bare
  statement of four of their columns; and one stored value of its answer's size read by key
  (a temporary table; in binary on PostgreSQL): what a body kept whole in the database would
  cost to read.
- `posts`: a FastAPI route that validates the bench's stage post (bench/posts_in_process.py's
  body: a stage and ten reports) with a Pydantic model and writes it as eleven rows in a
  worker thread through a SQLAlchemy session on the registry's engine (SQLite's WAL and
  synchronous=FULL), then commits; no key, audit, history, derived tables or answer. Posted
  as bench/posts_in_process.py posts (httpx's ASGI transport, two at a time). Its two tables
  (`bench_floor_stages`, `bench_floor_reports`) are made for the run and dropped after it.

Prints JSON: microseconds per request (reads, each round's), per statement (stage), and
posts/s with the CPU milliseconds of a post (posts).
"""

import argparse
import asyncio
import json
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
import uvloop
from fastapi import FastAPI, Response
from pydantic import BaseModel
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.db import driver_rows, make_engine
from app.main import create_app
from app.seizures.list_items import _stage_items
from app.settings import Settings
from bench import fixed_cost
from bench.posts_in_process import body
from bench.run import MIDDLE

ROW_SQL = "SELECT id, locator, period_start, period_end, amount FROM seizure_reports WHERE id = "
JSON = "application/json"


def _is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _middle(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(MIDDLE.format(table))).scalar_one())


# -- reads --------------------------------------------------------------------------------


def _reads_app(engine: Engine, loop_connection: Any) -> FastAPI:
    app = FastAPI()
    sessions = sessionmaker(engine)
    postgres = _is_postgres(engine)

    @app.get("/bare")
    async def bare() -> Response:
        return Response(b'{"hello":"world"}', media_type=JSON)

    @app.get("/loop/{report_id}")
    async def in_loop(report_id: int) -> Response:
        if postgres:
            async with loop_connection.cursor() as cursor:
                await cursor.execute(ROW_SQL + "%s", (report_id,), prepare=True)
                rows = await cursor.fetchall()
        else:
            rows = loop_connection.execute(ROW_SQL + "?", (report_id,)).fetchall()
        return Response(orjson.dumps([list(row) for row in rows]), media_type=JSON)

    @app.get("/thread/{report_id}")
    def in_thread(report_id: int) -> Response:
        with sessions() as session:
            rows = session.execute(text(ROW_SQL + ":id"), {"id": report_id}).all()
            session.commit()
        return Response(orjson.dumps([list(row) for row in rows]), media_type=JSON)

    return app


async def _loop_connection(engine: Engine) -> Any:
    if _is_postgres(engine):
        dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return await psycopg.AsyncConnection.connect(dsn, autocommit=True)
    return sqlite3.connect(str(engine.url.database), check_same_thread=False)


async def reads(engine: Engine, report: int, seconds: float, rounds: int) -> dict[str, list[float]]:
    connection = await _loop_connection(engine)
    app = _reads_app(engine, connection)
    paths = {"bare route": "/bare", "one row in the loop": f"/loop/{report}",
             "one row in a thread, a session": f"/thread/{report}"}  # fmt: skip
    try:
        for path in paths.values():  # warm-up: the pool, the prepared statement
            await fixed_cost._timed(app, path, {}, seconds / 4)
        micros: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(rounds):
            for name, path in paths.items():
                micros[name].append(await fixed_cost._timed(app, path, {}, seconds))
        return micros
    finally:
        await _close(connection)


async def _close(connection: Any) -> None:
    if isinstance(connection, sqlite3.Connection):
        connection.close()
    else:
        await connection.close()


# -- a stage ------------------------------------------------------------------------------


async def _stage_answer(url: str, stage_id: int) -> bytes:
    """The registry's answer for the stage, for its size."""
    app = create_app(Settings(database_url=url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get(f"/api/v1/stages/{stage_id}")
            response.raise_for_status()
            return response.content


def _per_statement(run: Callable[[], object], seconds: float, rounds: int) -> list[float]:
    for _ in range(20):
        run()
    micros = []
    for _ in range(rounds):
        started, done = time.perf_counter(), 0
        while done < 3 or time.perf_counter() - started < seconds:
            run()
            done += 1
        micros.append((time.perf_counter() - started) / done * 1e6)
    return micros


@contextmanager
def _driver(engine: Engine) -> Iterator[Any]:
    pooled = engine.raw_connection()
    try:
        driver: Any = pooled.driver_connection
        if _is_postgres(engine):
            driver.autocommit = True
        yield driver
    finally:
        pooled.close()


def stage(url: str, engine: Engine, stage_id: int, seconds: float, rounds: int) -> dict[str, Any]:
    answer = asyncio.run(_stage_answer(url, stage_id))
    mark = "%s" if _is_postgres(engine) else "?"
    registry = _stage_items(stage_id, engine.dialect)
    bare = ("SELECT report_id, locator_json, period_json, figure_json FROM seizure_list_items "
            f"WHERE stage_id = {mark} ORDER BY report_id")  # fmt: skip
    blob = "bytea" if _is_postgres(engine) else "blob"
    with _driver(engine) as driver:
        driver.execute(
            f"CREATE TEMPORARY TABLE bench_floor_bodies (id integer PRIMARY KEY, body {blob})"
        )
        driver.execute(f"INSERT INTO bench_floor_bodies VALUES (1, {mark})", (answer,))
        reports = len(driver_rows(driver, registry.sql, registry.params()))
        timed = {
            "the registry's statement of its reports": lambda: driver_rows(
                driver, registry.sql, registry.params()
            ),
            "four columns of its reports": lambda: driver_rows(driver, bare, (stage_id,)),
            "one stored value of the answer's size, by key": lambda: _stored(driver, mark),
        }
        micros = {name: _per_statement(run, seconds, rounds) for name, run in timed.items()}
        driver.execute("DROP TABLE bench_floor_bodies")
    return {"stage": stage_id, "reports": reports, "answer_bytes": len(answer), **micros}


def _stored(driver: Any, mark: str) -> list[Any]:
    """The stored value, in binary on PostgreSQL: bytea as text is twice its size in hex."""
    sql = f"SELECT body FROM bench_floor_bodies WHERE id = {mark}"
    if isinstance(driver, sqlite3.Connection):
        return driver.execute(sql, (1,)).fetchall()
    with driver.cursor(binary=True) as cursor:
        cursor.execute(sql, (1,))
        return cursor.fetchall()  # type: ignore[no-any-return]


# -- posts --------------------------------------------------------------------------------


class _Seizure(BaseModel):
    substance: str
    quantity: str
    country: str


class _StagePost(BaseModel):
    number: int
    start_on: date
    end_on: date
    lead_country: str
    source: str
    locator: str
    participants: list[str]
    seizures: list[_Seizure]


TABLES = (
    "CREATE TABLE bench_floor_stages (id integer PRIMARY KEY, number integer UNIQUE, "
    "start_on date, end_on date, lead_country text, source text, locator text, "
    "participants text)",
    "CREATE TABLE bench_floor_reports (id integer PRIMARY KEY, stage_id integer REFERENCES "
    "bench_floor_stages (id), substance text, quantity text, country text)",
)


def _posts_app(engine: Engine) -> FastAPI:
    app = FastAPI()
    sessions = sessionmaker(engine)
    next_id = iter(range(1, 10**9))

    @app.post("/floor", status_code=201)
    def post(stage: _StagePost) -> Response:
        stage_id = next(next_id)
        with sessions() as session:
            _write(session, stage_id, stage)
            session.commit()
        return Response(orjson.dumps({"id": stage_id}), status_code=201, media_type=JSON)

    return app


def _write(session: Session, stage_id: int, stage: _StagePost) -> None:
    row = stage.model_dump(exclude={"seizures"})
    session.execute(
        text("INSERT INTO bench_floor_stages VALUES (:id, :number, :start_on, :end_on, "
             ":lead_country, :source, :locator, :participants)"),
        {**row, "id": stage_id, "participants": ",".join(stage.participants)},
    )  # fmt: skip
    session.execute(
        text("INSERT INTO bench_floor_reports VALUES (:id, :stage_id, :substance, :quantity, "
             ":country)"),
        [{**seizure.model_dump(), "id": stage_id * 100 + i, "stage_id": stage_id}
         for i, seizure in enumerate(stage.seizures)],
    )  # fmt: skip


async def _post_all(engine: Engine, posts: int, concurrency: int) -> tuple[float, float, int]:
    app = _posts_app(engine)
    numbers = iter(range(1, 10**9))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def post_some(count: int) -> None:
            for _ in range(count):
                response = await client.post("/floor", json=body(next(numbers)))
                if response.status_code != 201:
                    raise RuntimeError(f"{response.status_code} {response.text}")

        await post_some(20)
        started, cpu = time.perf_counter(), time.process_time()
        share = posts // concurrency
        await asyncio.gather(*(post_some(share) for _ in range(concurrency)))
        return time.perf_counter() - started, time.process_time() - cpu, share * concurrency


def posts(engine: Engine, count: int, rounds: int) -> dict[str, list[float]]:
    with engine.begin() as connection:
        for table in TABLES:
            connection.execute(text(table))
    try:
        measured: dict[str, list[float]] = {"posts/s": [], "CPU ms a post": []}
        for _ in range(rounds):
            elapsed, cpu, done = uvloop.run(_post_all(engine, count, 2))
            measured["posts/s"].append(done / elapsed)
            measured["CPU ms a post"].append(1000 * cpu / done)
            with engine.begin() as connection:  # each round posts the same numbers again
                connection.execute(text("DELETE FROM bench_floor_reports"))
                connection.execute(text("DELETE FROM bench_floor_stages"))
        return measured
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE bench_floor_reports"))
            connection.execute(text("DROP TABLE bench_floor_stages"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=1, help="per read and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--posts", type=int, default=400, help="per round")
    parser.add_argument("--report", type=int, help="the report read (the middle one)")
    parser.add_argument("--stage", type=int, help="the stage read (the middle one)")
    args = parser.parse_args()
    engine = make_engine(args.url)
    report = args.report or _middle(engine, "seizure_reports")
    stage_id = args.stage or _middle(engine, "stages")
    try:
        floors = {
            "reads": uvloop.run(reads(engine, report, args.seconds, args.rounds)),
            "stage": stage(args.url, engine, stage_id, args.seconds, args.rounds),
            "posts": posts(engine, args.posts, args.rounds),
        }
    finally:
        engine.dispose()
    print(json.dumps(floors, indent=1))


if __name__ == "__main__":
    main()
