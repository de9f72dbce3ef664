"""A totals line by stage links to that stage's reports whether or not a source numbers
the stage: `channel-31` for a numbered one, the stage's key for one the record names, `id:42`
for one staff posted with neither. Once every unnumbered stage's link said `channel-None`."""

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import SeizureReport, Stage
from app.operations.schemas import STAGE_EXAMPLE

POST_STAGE = "/api/v1/operations/channel/stages"


def _unnumbered(client: TestClient, editor: dict[str, str]) -> dict[str, Any]:
    body = copy.deepcopy(STAGE_EXAMPLE)
    del body["number"]
    response = client.post(POST_STAGE, json=body, headers=editor)
    assert response.status_code == 201, response.text
    stage: dict[str, Any] = response.json()
    return stage


def _stage_lines(client: TestClient) -> dict[int, str]:
    totals = client.get("/api/v1/seizures/totals", params={"group_by": "stage", "year": 2021})
    assert totals.status_code == 200, totals.text
    return {
        line["stage"]["id"]: line["reports_url"]
        for line in totals.json()["groups"]
        if line["stage"] is not None
    }


def _listed(client: TestClient, url: str) -> set[int]:
    listed = client.get(url)
    assert listed.status_code == 200, listed.text
    return {report["id"] for report in listed.json()["items"]}


def _reports_of(session: Session, stage_id: int) -> set[int]:
    """The stage's reports and their parts: all of them add to the stage's line."""
    return set(session.scalars(select(SeizureReport.id).where(SeizureReport.stage_id == stage_id)))


def test_a_stage_with_no_number_nor_key_is_linked_by_its_id(
    client: TestClient, editor: dict[str, str], session: Session
) -> None:
    stage = _unnumbered(client, editor)
    url = _stage_lines(client)[stage["id"]]
    assert f"stage=id%3A{stage['id']}" in url or f"stage=id:{stage['id']}" in url
    assert _listed(client, url) == _reports_of(session, stage["id"])


def test_a_stage_the_record_names_is_linked_by_its_key(
    client: TestClient, editor: dict[str, str], session: Session
) -> None:
    stage = _unnumbered(client, editor)
    row = session.get(Stage, stage["id"])
    assert row is not None
    row.slug = "channel-2021-example-key"
    session.flush()
    url = _stage_lines(client)[stage["id"]]
    assert "stage=channel-2021-example-key" in url
    assert _listed(client, url) == _reports_of(session, stage["id"])


@pytest.mark.parametrize(
    ("stage", "says"),
    [
        ("id:abc", "`id:` takes a stage's id"),
        ("id:999999", "no stage"),
        ("nowhere", "a stage's key"),
    ],
)
def test_a_stage_reference_that_names_nothing_is_a_422_saying_what_is_expected(
    client: TestClient, stage: str, says: str
) -> None:
    response = client.get("/api/v1/seizures", params={"stage": stage})
    assert response.status_code == 422, response.text
    assert says in response.text
