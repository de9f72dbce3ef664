"""What test modules share besides fixtures (those are in conftest.py): the database the
suite runs on, the seed folder, and short ways to ask the API and check its answer."""

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.dependencies import models as fastapi_dependencies
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import PROJECT_DIR, migrate
from app.db import make_engine
from app.seeding.loader import apply_seeds, read_seed_files

SERVER_URL = os.environ.get("KSOPN_TEST_DATABASE_URL")
SEEDS_DIR = PROJECT_DIR / "seeds"
PROBLEM = "application/problem+json"


def seed_database(
    url: str,
    revision: str = "head",
    then: Callable[[Session], object] | None = None,
    *,
    public_record: bool = False,
) -> None:
    """Migrates the empty database at `url` (to `revision`) and loads the core seeds (the
    files at the top of seeds/, which the suite's figures are written against), committed;
    `then` runs in the same transaction. `public_record`: every seed, the public record's
    (seeds/ and its subfolders) included."""
    migrate.upgrade(url, revision)
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            apply_seeds(session, read_seed_files(SEEDS_DIR, subfolders=public_record))
            if then is not None:
                then(session)
    finally:
        engine.dispose()


def forget_built_apps() -> None:
    """Empties FastAPI's caches of which callables are coroutines and generators. Each holds
    up to 4,096 of them, keyed by the callable: a route's endpoint and dependencies, which
    hold their app. One process serves one app, but the suite builds many, and those caches
    kept 20-30 of them alive, 3-4 million objects late in a run: each full collection of
    the garbage collector then took 3-4 s, and one of them, in the client's threads, held a
    read of tests/system/test_chart_burst.py for 3.6 s."""
    for cached in vars(fastapi_dependencies).values():
        if callable(getattr(cached, "cache_clear", None)):
            cached.cache_clear()


def write_seed(directory: Path, name: str, content: str) -> Path:
    path = directory / name
    path.write_text(content, encoding="utf-8")
    return path


def get_json(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.text
    return response.json()


def expect_problem(client: TestClient, url: str, status: int, parameter: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert parameter in {error["name"] for error in body["errors"]}, body
    return body
