"""A figure within a broader one (a stage's figure within the 2017-2019 summary, which is
itemized by substance) is never added beside it: totals count the summary where it answers
the question and the stage's figure only where it does not (issue 23)."""

import csv
import io
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import SeizureReport
from app.operations.schemas import STAGE_EXAMPLE
from app.seizures.service import SeizureFilters, share_of_days
from app.seizures.totals import seizure_totals

SUMMARY_GRAMS = 67_600_000  # "more than 67 tons of 600 kg", 2017-2019 (the seed)
STAGE = {
    **STAGE_EXAMPLE,
    "number": 91,
    "name": "Example stage within the summary (made up)",
    "start_on": "2018-05-10",
    "end_on": "2018-05-21",
}
STAGE_GRAMS = 2_500_000  # its figure: "more than 2 t 500 kg", in Kazakhstan


def _summary_id(client: TestClient) -> int:
    found = client.get(
        "/api/v1/seizures",
        params={"period": "2017-01-01/2019-12-31", "substance": "controlled-substances",
                "descendants": "false"},
    ).json()["items"]  # fmt: skip
    (summary,) = [item for item in found if item["parent_id"] is None]
    assert summary["amount"] == SUMMARY_GRAMS
    return int(summary["id"])


@pytest.fixture
def posted(client: TestClient, editor: dict[str, str]) -> dict[str, int]:
    """The stage, its figure and the summary, before the figure is put within it."""
    response = client.post("/api/v1/operations/channel/stages", json=STAGE, headers=editor)
    assert response.status_code == 201, response.text
    stage_id = response.json()["id"]
    items = client.get("/api/v1/seizures", params={"stage": f"id:{stage_id}"}).json()["items"]
    (figure,) = [item for item in items if item["parent_id"] is None]
    return {"stage": stage_id, "figure": figure["id"], "summary": _summary_id(client)}


def _patch(client: TestClient, editor: dict[str, str], report_id: int, body: Any) -> Any:
    etag = client.get(f"/api/v1/seizures/{report_id}").headers["ETag"]
    return client.patch(
        f"/api/v1/seizures/{report_id}", json=body, headers={**editor, "If-Match": etag}
    )


def _within(client: TestClient, editor: dict[str, str], posted: dict[str, int]) -> None:
    response = _patch(client, editor, posted["figure"], {"within": posted["summary"]})
    assert response.status_code == 200, response.text
    assert response.json()["within"] == posted["summary"]


def _totals(client: TestClient, **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/seizures/totals", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _amount(lines: list[dict[str, Any]]) -> int:
    return sum(line["amount"] for line in lines if line["unit_kind"] == "mass")


def test_before_it_is_within_the_pair_is_a_possible_double_count(
    client: TestClient, posted: dict[str, int]
) -> None:
    body = _totals(client, operation="channel")
    pairs = [set(w["report_ids"]) for w in body["warnings"]]
    assert {posted["figure"], posted["summary"]} in pairs
    assert _amount(body["groups"]) >= SUMMARY_GRAMS + STAGE_GRAMS


def test_the_summary_answers_where_it_matches_and_the_stage_elsewhere(
    client: TestClient, editor: dict[str, str], posted: dict[str, int]
) -> None:
    before = _amount(_totals(client)["groups"])
    _within(client, editor, posted)
    # Everything, by substance: the summary's breakdown counts, the stage's figure not.
    body = _totals(client, operation="channel", group_by="substance")
    assert not [w for w in body["warnings"] if w["kind"] == "possible_double_count"]
    assert _amount(_totals(client)["groups"]) == before - STAGE_GRAMS
    # The stage's own totals: the summary names no stage, so the figure counts.
    own = _totals(client, stage=f"id:{posted['stage']}")
    assert _amount(own["groups"]) == STAGE_GRAMS
    # By year: the summary reaches beyond 2018, so 2018 is the stage's.
    by_year = _totals(client, operation="channel", group_by="year", year="2018")
    assert _amount(by_year["groups"]) == STAGE_GRAMS
    assert [line["amount"] for line in by_year["beyond_window"]] == [SUMMARY_GRAMS]
    # Shared by days, the summary's share of 2018 answers for the year: not both.
    shared = _totals(client, operation="channel", year="2018", allocate="pro_rata")
    (line,) = shared["groups"]
    year = (date(2018, 1, 1), date(2018, 12, 31))
    assert line["estimated"]
    assert line["amount"] == share_of_days(
        SUMMARY_GRAMS, date(2017, 1, 1), date(2019, 12, 31), *year
    )


def test_the_fast_totals_agree_with_the_reports(
    client: TestClient, editor: dict[str, str], posted: dict[str, int], session: Session
) -> None:
    _within(client, editor, posted)
    for filters, group_by in (
        (SeizureFilters(), ["substance"]),
        (SeizureFilters(), ["year"]),
        (SeizureFilters(year=2018), ["stage"]),
        (SeizureFilters(stage_id=posted["stage"]), ["substance"]),
        (SeizureFilters(date_from=date(2017, 1, 1), date_to=date(2019, 12, 31)), ["country"]),
    ):
        fast = seizure_totals(session, filters, group_by)
        slow = seizure_totals(session, filters, group_by, from_reports=True)
        for part in ("groups", "beyond_window"):
            assert _lines(fast[part]) == _lines(slow[part]), (filters, group_by)


def test_the_list_counts_as_the_totals_do(
    client: TestClient, editor: dict[str, str], posted: dict[str, int]
) -> None:
    _within(client, editor, posted)
    everything = client.get("/api/v1/seizures", params={"stage": f"id:{posted['stage']}"})
    rows = {item["id"]: item for item in everything.json()["items"]}
    assert all(item["within"] == posted["summary"] for item in rows.values())  # parts follow
    unfiltered = client.get("/api/v1/seizures", params={"limit": "500"}).json()["items"]
    figure = next(item for item in unfiltered if item["id"] == posted["figure"])
    assert figure["counted_amount"] == 0  # the summary counts instead
    counted = client.get("/api/v1/seizures", params={"counted": "true", "limit": "500"}).json()
    assert posted["figure"] not in {item["id"] for item in counted["items"]}
    own = client.get("/api/v1/seizures", params={"stage": f"id:{posted['stage']}"}).json()
    counted_here = {item["id"]: item["counted_amount"] for item in own["items"]}
    assert sum(counted_here.values()) == STAGE_GRAMS  # its own stage: the figure counts
    exported = client.get("/api/v1/seizures.csv", params={"stage": f"id:{posted['stage']}"})
    table = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"), newline="")))
    assert {row["within"] for row in table} == {str(posted["summary"])}


def test_a_figure_taken_out_counts_again(
    client: TestClient, editor: dict[str, str], posted: dict[str, int], session: Session
) -> None:
    before = _amount(_totals(client)["groups"])
    _within(client, editor, posted)
    response = _patch(client, editor, posted["figure"], {"within": None})
    assert response.status_code == 200, response.text
    assert _amount(_totals(client)["groups"]) == before
    parts = session.scalars(
        select(SeizureReport.within_id).where(SeizureReport.stage_id == posted["stage"])
    ).all()
    assert set(parts) == {None}


@pytest.mark.parametrize(
    ("target", "message"),
    [("summary-part", "part, a version"), ("other-stage", "not within"), ("missing", "no seizure")],
)
def test_within_what_cannot_hold_it_is_a_422_naming_the_field(
    client: TestClient, editor: dict[str, str], posted: dict[str, int], target: str, message: str
) -> None:
    summary = client.get(f"/api/v1/seizures/{posted['summary']}").json()
    part = next(
        item["id"]
        for item in client.get("/api/v1/seizures", params={"limit": "500"}).json()["items"]
        if item["parent_id"] == summary["id"]
    )
    other = client.post(
        "/api/v1/operations/channel/stages",
        json={**STAGE_EXAMPLE, "number": 92, "name": "Another made-up stage"},
        headers=editor,
    ).json()["id"]
    other_figure = next(
        item["id"]
        for item in client.get("/api/v1/seizures", params={"stage": f"id:{other}"}).json()["items"]
        if item["parent_id"] is None
    )
    cover = {"summary-part": part, "other-stage": other_figure, "missing": 10**9}[target]
    response = _patch(client, editor, posted["figure"], {"within": cover})
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["name"] == "within"
    assert message in error["message"]


def test_a_part_follows_its_whole_and_a_cover_is_not_deleted_under_its_figures(
    client: TestClient, editor: dict[str, str], posted: dict[str, int]
) -> None:
    _within(client, editor, posted)
    items = client.get("/api/v1/seizures", params={"stage": f"id:{posted['stage']}"}).json()
    part = next(item["id"] for item in items["items"] if item["parent_id"] is not None)
    response = _patch(client, editor, part, {"within": posted["summary"]})
    assert response.status_code == 422
    assert "top report" in response.json()["errors"][0]["message"]
    etag = client.get(f"/api/v1/seizures/{posted['summary']}").headers["ETag"]
    deleted = client.delete(
        f"/api/v1/seizures/{posted['summary']}", headers={**editor, "If-Match": etag}
    )
    assert deleted.status_code == 409
    assert f"/api/v1/seizures/{posted['figure']}" in deleted.json()["within"]


def _lines(lines: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    keys = ("year", "substance", "stage", "country", "unit_kind", "amount", "qualifier")
    return [tuple(str(line.get(key)) for key in keys) for line in lines]


@pytest.mark.parametrize(
    "query",
    [
        {"group_by": "year"},
        {"group_by": "substance"},
        {"year": "2018", "group_by": "stage"},
        {"year": "2018", "allocate": "pro_rata"},
        {"from": "2017-01-01", "to": "2019-12-31", "group_by": "country"},
    ],
)
def test_each_line_lists_what_it_adds_with_a_figure_left_out(
    client: TestClient, editor: dict[str, str], posted: dict[str, int], query: dict[str, str]
) -> None:
    """A line's `reports_url` lists exactly the reports it sums, the figure within the
    summary included only where the line counts it."""
    _within(client, editor, posted)
    body = _totals(client, **query)
    column = "allocated_amount" if "allocate" in query else "counted_amount"
    for line in body["groups"] + body["beyond_window"]:
        items: list[dict[str, Any]] = []
        url: str | None = f"{line['reports_url']}&limit=1000"
        while url:
            page = client.get(url).json()
            items, url = items + page["items"], page["next"]
        assert len(items) == line["reports"], line["reports_url"]
        assert sum(item[column] for item in items) == line["amount"], line["reports_url"]


def test_a_stage_goes_with_a_country_figure_within_its_total(
    client: TestClient, editor: dict[str, str]
) -> None:
    """Deleting a stage deletes a figure within another of its figures before that one."""
    stage = {
        **STAGE_EXAMPLE,
        "number": 93,
        "name": "A made-up stage with a country's figure",
        "seizures": [
            {"substance": "controlled-substances", "quantity": "3 t"},
            {"substance": "controlled-substances", "quantity": "700 kg", "country": "KGZ"},
        ],
    }
    stage_id = client.post("/api/v1/operations/channel/stages", json=stage, headers=editor).json()[
        "id"
    ]
    items = client.get("/api/v1/seizures", params={"stage": f"id:{stage_id}"}).json()["items"]
    total = next(item["id"] for item in items if item["country"] is None)
    country = next(item["id"] for item in items if item["country"] is not None)
    assert _patch(client, editor, country, {"within": total}).status_code == 200
    by_country = _totals(client, stage=f"id:{stage_id}", group_by="country")
    assert [line["amount"] for line in by_country["groups"]] == [3_000_000]
    kyrgyz = _totals(client, stage=f"id:{stage_id}", country="KGZ")
    assert [line["amount"] for line in kyrgyz["groups"]] == [700_000]
    etag = client.get(f"/api/v1/stages/{stage_id}").headers["ETag"]
    deleted = client.delete(f"/api/v1/stages/{stage_id}", headers={**editor, "If-Match": etag})
    assert deleted.status_code == 204, deleted.text


def test_stage_any_gives_each_stage_its_own_figures(
    client: TestClient, editor: dict[str, str], posted: dict[str, int]
) -> None:
    """By stage, a summary that names no stage is not the answer when only stages are
    asked for: `stage=any` counts each stage's own figures, as the Channel page's chart."""
    _within(client, editor, posted)
    everything = _totals(client, operation="channel", group_by="stage")
    stages = {line["stage"]["id"] for line in everything["groups"] if line["stage"]}
    assert posted["stage"] not in stages  # the summary answers, as the stage's "none" line
    only_stages = _totals(client, operation="channel", group_by="stage", stage="any")
    lines = {line["stage"]["id"]: line["amount"] for line in only_stages["groups"]}
    assert lines[posted["stage"]] == STAGE_GRAMS
    assert None not in {line["stage"] and line["stage"]["id"] for line in only_stages["groups"]}
    listed = client.get("/api/v1/seizures", params={"stage": "any", "limit": "500"}).json()
    assert all(item["stage"] for item in listed["items"])
