"""Possible double counts are kept one row per report, never one per pair (issue 20, point 2).

A stage of N reports of one substance and period once wrote N(N-1)/2 rows to
`seizure_overlaps` (499,500 for a thousand), and its parts made a post run out of memory.
The write path now keeps each report that has a partner, and the totals find the pairs
among those; the warnings read the same as before.
"""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import SeizureOverlapMember, SeizureReport
from app.seizures import derived_tables
from app.seizures.totals import MAX_WARNINGS

POST_STAGE = "/api/v1/operations/channel/stages"


def _stage(seizures: list[dict[str, Any]], number: int = 77) -> dict[str, Any]:
    return {
        "number": number,
        "name": "A stage of reports alike",
        "start_on": "2021-05-10",
        "end_on": "2021-05-21",
        "source": "mvd-ksopn-15-years-2020",
        "locator": "¶8",
        "participants": ["KAZ"],
        "seizures": seizures,
    }


def _members(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SeizureOverlapMember)) or 0


def test_a_thousand_reports_alike_keep_a_row_each_and_still_warn(
    client: TestClient, session: Session, editor: dict[str, str]
) -> None:
    alike = {"substance": "heroin", "quantity": "5 kg", "country": "KAZ"}
    response = client.post(POST_STAGE, json=_stage([alike] * 1000), headers=editor)
    assert response.status_code == 201, response.text
    assert _members(session) == 1000, "one row per report, not 499,500 pairs"

    totals = client.get("/api/v1/seizures/totals", params={"year": 2021}).json()
    pairs = [w["report_ids"] for w in totals["warnings"] if w["kind"] == "possible_double_count"]
    assert len(pairs) == MAX_WARNINGS
    assert totals["warnings"][-1]["kind"] == "truncated"
    ids = sorted(
        session.scalars(select(SeizureReport.id).where(SeizureReport.stage_id.is_not(None)))
    )
    assert pairs[:3] == [[ids[0], ids[1]], [ids[0], ids[2]], [ids[0], ids[3]]], "in id order"


def test_deleting_a_partner_takes_its_only_partner_out(
    client: TestClient, session: Session, editor: dict[str, str]
) -> None:
    heroin = {"substance": "heroin", "quantity": "5 kg", "country": "KAZ"}
    opium = {"substance": "opium", "quantity": "7 kg", "country": "KAZ"}
    stage = client.post(POST_STAGE, json=_stage([heroin, heroin, opium]), headers=editor)
    assert stage.status_code == 201, stage.text
    assert _members(session) == 2, "the two heroin reports pair; opium stands alone"

    first = stage.json()["seizures"][0]
    etag = client.get(f"/api/v1/seizures/{first['id']}").headers["ETag"]
    deleted = client.delete(f"/api/v1/seizures/{first['id']}", headers={**editor, "If-Match": etag})
    assert deleted.status_code == 204, deleted.text
    assert _members(session) == 0, "the other heroin report has no partner left"


def test_a_correction_that_makes_a_pair_adds_both(
    client: TestClient, session: Session, editor: dict[str, str]
) -> None:
    heroin = {"substance": "heroin", "quantity": "5 kg", "country": "KAZ"}
    other = {"substance": "heroin", "quantity": "6 kg", "country": "KGZ"}
    stage = client.post(POST_STAGE, json=_stage([heroin, other]), headers=editor)
    assert stage.status_code == 201, stage.text
    assert _members(session) == 0, "different countries: no possible double count"

    second = stage.json()["seizures"][1]
    etag = client.get(f"/api/v1/seizures/{second['id']}").headers["ETag"]
    patched = client.patch(
        f"/api/v1/seizures/{second['id']}",
        json={"country": "KAZ"},
        headers={**editor, "If-Match": etag},
    )
    assert patched.status_code == 200, patched.text
    assert _members(session) == 2


def test_two_regions_of_one_stage_are_not_a_double_count_but_a_region_and_the_whole_may_be(
    client: TestClient, session: Session, editor: dict[str, str]
) -> None:
    """As the 2004 stage's Samara and Far East figures: two regions' seizures are different
    seizures; a region's figure and one for the whole stage may hold the same ones."""
    heroin = {"substance": "heroin", "quantity": "5 kg", "country": "KAZ"}
    stage = client.post(POST_STAGE, json=_stage([heroin, heroin]), headers=editor)
    assert stage.status_code == 201, stage.text
    first, second = (session.get(SeizureReport, s["id"]) for s in stage.json()["seizures"])
    assert first is not None
    assert second is not None

    def warned_pairs() -> list[list[int]]:
        derived_tables.rebuild(session)
        totals = client.get("/api/v1/seizures/totals", params={"year": 2021}).json()
        return [w["report_ids"] for w in totals["warnings"] if w["kind"] == "possible_double_count"]

    first.scope, second.scope = "Самарская область", "Дальневосточный федеральный округ"
    session.flush()
    assert warned_pairs() == []
    assert _members(session) == 0

    second.scope = None  # the whole stage's figure
    session.flush()
    assert warned_pairs() == [[first.id, second.id]]
    assert _members(session) == 2
