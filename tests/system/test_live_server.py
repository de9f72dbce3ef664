"""Against a real server process (uvicorn), not the in-process client."""

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import make_engine
from app.models import Stage
from tests.system.live import ServerProcess, prepare_database


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    editor: dict[str, str]


@pytest.fixture
def live_server(new_database: Callable[[], str]) -> Iterator[LiveServer]:
    database_url = new_database()
    editor = prepare_database(database_url)
    with ServerProcess(database_url) as server:
        yield LiveServer(server.url, database_url, editor)


STAGE = {
    "number": 40,
    "start_on": "2022-06-01",
    "end_on": "2022-06-10",
    "source": "mvd-ksopn-15-years-2020",
    "locator": "¶8",
    "participants": ["KAZ", "RUS"],
    "seizures": [{"substance": "heroin", "quantity": "12 kg"}],
}


def test_twenty_concurrent_posts_of_one_stage_make_one_stage(live_server: LiveServer) -> None:
    start = threading.Barrier(20)

    def post(i: int) -> int:
        with httpx.Client(base_url=live_server.url, timeout=30) as client:
            start.wait()
            headers = {**live_server.editor, "Idempotency-Key": f"attempt-{i}"}
            return client.post(
                "/api/v1/operations/channel/stages", json=STAGE, headers=headers
            ).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = Counter(pool.map(post, range(20)))

    assert statuses == Counter({201: 1, 409: 19})
    engine = make_engine(live_server.database_url)
    try:
        with Session(engine) as session:
            assert (
                session.scalar(select(func.count()).select_from(Stage).where(Stage.number == 40))
                == 1
            )
    finally:
        engine.dispose()


def test_concurrent_retries_with_one_idempotency_key_create_once(live_server: LiveServer) -> None:
    start = threading.Barrier(10)

    def post(_: int) -> tuple[int, str]:
        with httpx.Client(base_url=live_server.url, timeout=30) as client:
            start.wait()
            headers = {**live_server.editor, "Idempotency-Key": "one-and-the-same"}
            response = client.post("/api/v1/operations/channel/stages", json=STAGE, headers=headers)
            return response.status_code, response.headers.get("location", "")

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(post, range(10)))

    assert {status for status, _ in results} == {201}
    assert len({location for _, location in results}) == 1


def test_concurrent_corrections_cannot_overfill_a_breakdown(live_server: LiveServer) -> None:
    """Two parts raised at once, each fitting alone, both not: exactly one succeeds."""
    stage = {
        **STAGE,
        "number": 41,
        "seizures": [
            {
                "substance": "controlled-substances",
                "quantity": "2 t 500 kg",
                "parts": [
                    {"substance": "hashish", "quantity": "100 kg"},
                    {"substance": "heroin", "quantity": "100 kg"},
                ],
            }
        ],
    }
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        posted = client.post(
            "/api/v1/operations/channel/stages", json=stage, headers=live_server.editor
        )
        assert posted.status_code == 201, posted.text
        _, hashish, heroin = posted.json()["seizures"]
        targets = [(hashish["id"], "2 t 400 kg"), (heroin["id"], "1 t")]
        etags = {i: client.get(f"/api/v1/seizures/{i}").headers["etag"] for i, _ in targets}

    start = threading.Barrier(2)

    def patch(target: tuple[int, str]) -> int:
        report_id, quantity = target
        with httpx.Client(base_url=live_server.url, timeout=30) as client:
            start.wait()
            headers = {**live_server.editor, "If-Match": etags[report_id]}
            return client.patch(
                f"/api/v1/seizures/{report_id}", json={"quantity": quantity}, headers=headers
            ).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(patch, targets))
    assert statuses == [200, 422]


def test_two_concurrent_renumberings_to_one_number_make_one(live_server: LiveServer) -> None:
    """PATCH takes a stage number under the unique key as POST does: of two corrections
    racing to give two stages one number, one wins and the other is a 409, never a 500."""
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        for round_ in range(5):
            ids = []
            for offset in (0, 1):
                stage = {**STAGE, "number": 60 + 2 * round_ + offset, "seizures": []}
                headers = {**live_server.editor, "Idempotency-Key": f"race-{round_}-{offset}"}
                response = client.post(
                    "/api/v1/operations/channel/stages", json=stage, headers=headers
                )
                assert response.status_code == 201, response.text
                ids.append(response.json()["id"])
            etags = [client.get(f"/api/v1/stages/{i}").headers["etag"] for i in ids]
            start = threading.Barrier(2)
            renumber = partial(_renumber, live_server, start, 90 + round_)
            with ThreadPoolExecutor(max_workers=2) as pool:
                statuses = Counter(pool.map(renumber, ids, etags))
            assert statuses == Counter({200: 1, 409: 1}), statuses
    engine = make_engine(live_server.database_url)
    try:
        with Session(engine) as session:
            numbers = session.scalars(select(Stage.number).where(Stage.number >= 90)).all()
    finally:
        engine.dispose()
    assert sorted(number or 0 for number in numbers) == [90, 91, 92, 93, 94]


def _renumber(
    server: LiveServer, start: threading.Barrier, number: int, stage_id: int, etag: str
) -> int:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        start.wait()
        return client.patch(
            f"/api/v1/stages/{stage_id}",
            json={"number": number},
            headers={**server.editor, "If-Match": etag},
        ).status_code
