"""Totals are kept by data version (app/http/answers.py), and a kept total is never stale:
writes of every kind interleaved with reads, each read compared with totals computed afresh
from the reports themselves."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.http.answers import VersionedCache
from app.operations.schemas import STAGE_EXAMPLE
from app.seeding.loader import apply_seeds, read_seed_files
from app.seizures import derived_tables
from app.seizures.service import SeizureFilters
from app.seizures.totals import seizure_totals
from tests.helpers import SEEDS_DIR

URL = "/api/v1/seizures/totals?group_by=year,substance"


def fresh_grams(session: Session) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The totals computed from the reports, with no cache and no sum table."""
    body = seizure_totals(session, SeizureFilters(), ["year", "substance"], from_reports=True)
    return _grams(body)


def _grams(body: dict[str, Any]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Each line's figure (amount, qualifier, reports) by its section, period and substance."""
    return {
        (
            section,
            line.get("year") or f"{line['period_start']}/{line['period_end']}",
            line["substance"]["slug"],
            line["unspecified"],
            line["unit_kind"],
        ): (line["amount"], line["qualifier"], line["reports"])
        for section in ("groups", "beyond_window")
        for line in json.loads(json.dumps(body, default=str))[section]
    }


def served_grams(client: TestClient) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    response = client.get(URL)
    assert response.status_code == 200, response.text
    return _grams(response.json())


def post_stage(client: TestClient, editor: dict[str, str], number: int) -> str:
    body = {**STAGE_EXAMPLE, "number": number}
    response = client.post("/api/v1/operations/channel/stages", json=body, headers=editor)
    assert response.status_code == 201, response.text
    location: str = response.headers["location"]
    return location


def test_reads_between_writes_of_every_kind_are_never_stale(
    client: TestClient, editor: dict[str, str], session: Session
) -> None:
    def the_api_changes_a_report() -> None:
        stage = client.get(post_stage(client, editor, 701)).json()
        report = client.get(f"/api/v1/seizures/{stage['seizures'][0]['id']}")
        patched = client.patch(
            f"/api/v1/seizures/{stage['seizures'][0]['id']}",
            json={"quantity": "2 t"},
            headers={**editor, "If-Match": report.headers["etag"]},
        )
        assert patched.status_code == 200, patched.text

    def a_bulk_load_doubles_the_amounts() -> None:
        """As `ksopn demo-data` loads: SQL past the ORM, then the derived tables rebuilt."""
        session.execute(text("UPDATE seizure_reports SET amount = amount * 2"))
        derived_tables.rebuild(session)

    def the_seed_loader_runs_again() -> None:
        apply_seeds(session, read_seed_files(SEEDS_DIR, subfolders=False))

    def the_api_posts_a_stage() -> None:
        post_stage(client, editor, 700)

    writes: list[Callable[[], None]] = [
        the_api_posts_a_stage,
        the_api_changes_a_report,
        a_bulk_load_doubles_the_amounts,
        the_seed_loader_runs_again,
    ]
    before = served_grams(client)
    assert served_grams(client) == before == fresh_grams(session)  # the second, from the cache
    for write in writes:
        write()
        session.commit()  # the derived tables catch up at commit, as in a real load
        assert served_grams(client) == fresh_grams(session), write
        assert served_grams(client) == fresh_grams(session), write  # and kept
    assert served_grams(client) != before


def test_the_second_read_is_the_kept_answer(client: TestClient) -> None:
    client.get(URL)
    answers: VersionedCache = client.app.state.answers  # type: ignore[attr-defined]
    kept = len(answers)
    client.get(URL)
    assert len(answers) == kept >= 1


def test_a_kept_answer_is_written_once(client: TestClient) -> None:
    first = client.get(URL)
    answers: VersionedCache = client.app.state.answers  # type: ignore[attr-defined]
    (kept,) = [answer for answer, _ in answers._answers.values()]
    written = kept.json
    second = client.get(URL)
    assert kept.json is written  # the same bytes, not written again
    assert first.content == second.content == written.body
    assert first.headers["etag"] == second.headers["etag"] == written.etag
    assert kept.body["groups"] == first.json()["groups"]


def test_an_older_version_computes_and_keeps_nothing() -> None:
    cache = VersionedCache()
    made: list[int] = []

    def make(value: int) -> Callable[[], int]:
        def compute() -> int:
            made.append(value)
            return value

        return compute

    assert cache.get_or_make(5, "k", make(5)) == 5
    assert cache.get_or_make(5, "k", make(50)) == 5  # kept
    assert cache.get_or_make(4, "k", make(4)) == 4  # a request that began before a write
    assert cache.get_or_make(5, "k", make(500)) == 5  # still the version-5 answer
    assert cache.get_or_make(6, "k", make(6)) == 6  # a new version empties the cache
    assert made == [5, 4, 6]


@pytest.mark.parametrize("entries", [1, 3])
def test_the_cache_holds_at_most_its_weight(entries: int) -> None:
    cache = VersionedCache(max_weight=entries)
    for key in range(10):
        cache.get_or_make(1, key, lambda key=key: key)  # type: ignore[misc]
    assert len(cache) == entries
    assert cache.get_or_make(1, 9, lambda: "made again") == 9  # the newest is kept


def test_an_answer_heavier_than_the_cache_is_not_kept() -> None:
    cache = VersionedCache(max_weight=10, weigh=len)
    cache.get_or_make(1, "light", lambda: "abc")
    assert cache.get_or_make(1, "heavy", lambda: "x" * 11) == "x" * 11
    assert len(cache) == 1
    cache.get_or_make(1, "fills", lambda: "y" * 8)  # 3 + 8 > 10: the oldest goes
    assert cache.get_or_make(1, "light", lambda: "made again") == "made again"
