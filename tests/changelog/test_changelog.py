"""`GET /api/v1/changelog`: what changed in the record, with its filters (issue 24)."""

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.changelog.entities import ENTITIES, HIDDEN_COLUMNS
from app.changelog.schemas import ChangeOut
from app.http.listing import RENDERERS
from app.http.representation import render
from app.http.schemas import Page
from app.models import Base
from app.models.versions import VERSIONED_TABLES
from tests.changelog.conftest import NAME

Made = Callable[..., dict[str, Any]]


def _changes(client: TestClient, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/changelog?limit=1000{query}")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_correction_through_the_api_is_listed_with_before_after_and_source(
    client: TestClient, stage_history: Made
) -> None:
    stage = stage_history(correct=True)
    stages = [c for c in _changes(client, "&entity=stage") if c["entity_id"] == stage["id"]]
    corrected, added = stages
    assert corrected["change"] == "corrected"
    assert corrected["fields"] == ["name_en", "end_on"]
    assert corrected["before"]["name_en"] == "Example stage (made up)"
    assert corrected["before"]["end_on"] == "2021-05-21"
    assert corrected["after"]["name_en"] == NAME
    assert corrected["after"]["end_on"] == "2021-05-25"
    assert {k: v for k, v in corrected["before"].items() if k not in ("name_en", "end_on")} == {
        k: v for k, v in corrected["after"].items() if k not in ("name_en", "end_on")
    }
    assert added["change"] == "added"
    assert added["before"] is None
    assert added["after"] == corrected["before"]
    assert added["fields"] is None
    assert corrected["data_version"] > added["data_version"]
    # As times, not as text: a time on a whole second is written without its fraction
    # ("...:00Z"), which sorts after "...:00.057000Z" as text.
    assert datetime.fromisoformat(corrected["changed_at"]) >= datetime.fromisoformat(
        added["changed_at"]
    )
    assert corrected["id"] > added["id"]
    source = corrected["source"]
    assert source["id"] == corrected["after"]["source_id"]
    assert source["api_url"] == f"/api/v1/sources/{source['id']}"
    assert source["title"] == client.get(source["api_url"]).json()["title"]
    assert corrected["api_url"] == f"/api/v1/stages/{stage['id']}"
    assert corrected["page_url"] == f"/stages/{stage['id']}"
    assert client.get(corrected["api_url"]).json()["name"] == NAME


def test_a_deleted_record_has_its_last_state_and_no_links(
    client: TestClient, stage_history: Made
) -> None:
    stage = stage_history(correct=True, delete=True)
    mine = [c for c in _changes(client) if c["entity"] == "stage" and c["entity_id"] == stage["id"]]
    deleted, corrected, _added = mine
    assert deleted["change"] == "deleted"
    assert deleted["after"] is None
    assert deleted["before"] == corrected["after"]
    assert deleted["fields"] is None
    assert deleted["source"]["id"] == stage["source"]["id"]
    for change in mine:
        assert change["api_url"] is None
        assert change["page_url"] is None
    # The stage's reports went with it, each listed as deleted, after its addition.
    reports = [
        c
        for c in _changes(client, "&entity=seizure-report")
        if c["before"] and c["before"]["stage_id"] == stage["id"]
    ]
    assert {c["change"] for c in reports} == {"deleted"}
    assert reports[0]["api_url"] is None


def test_the_records_a_stage_holds_link_to_the_stage(
    client: TestClient, stage_history: Made
) -> None:
    stage = stage_history()
    newest = [c for c in _changes(client) if (c["after"] or {}).get("stage_id") == stage["id"]]
    reports = [c for c in newest if c["entity"] == "seizure-report"]
    assert reports
    assert all(c["page_url"] == f"/stages/{stage['id']}" for c in reports)
    assert all(c["api_url"] == f"/api/v1/seizures/{c['entity_id']}" for c in reports)
    parties = [c for c in newest if c["entity"] == "participation"]
    assert parties
    assert all(c["page_url"] == f"/stages/{stage['id']}" for c in parties)


def test_newest_first_paged_by_cursor(client: TestClient, stage_history: Made) -> None:
    stage_history(correct=True)
    every = _changes(client)
    ids = [c["id"] for c in every]
    assert ids == sorted(ids, reverse=True)
    walked: list[int] = []
    url: str | None = "/api/v1/changelog?limit=7"
    while url:
        page = client.get(url).json()
        walked += [c["id"] for c in page["items"]]
        url = page["next"]
    assert walked == ids


def test_the_page_is_what_the_model_would_write(client: TestClient, stage_history: Made) -> None:
    stage_history(correct=True, delete=True)
    response = client.get("/api/v1/changelog?limit=40")
    assert response.content == render(Page[ChangeOut], response.json())


def test_baseline_states_are_not_changes(client: TestClient, session: Session) -> None:
    session.execute(
        text(
            "INSERT INTO record_history (table_name, row_id, version, changed_at, change, row_data)"
            " SELECT 'countries', 999999, version, changed_at, 'baseline', '{}' FROM data_version"
        )
    )
    session.flush()
    assert all(c["entity_id"] != 999999 for c in _changes(client, "&entity=country"))
    began = client.get("/changelog?lang=en").text
    assert "History begins" in began


def test_derived_columns_and_keys_are_never_shown(client: TestClient, stage_history: Made) -> None:
    stage_history()
    for change in _changes(client):
        state = change["after"] or change["before"]
        assert not HIDDEN_COLUMNS & set(state)
    # No table of facts holds anything about API keys or who holds them.
    for table in VERSIONED_TABLES:
        for column in Base.metadata.tables[table].columns:
            assert not any(w in column.name for w in ("key", "holder", "caller", "author")), column
    assert set(ENTITIES) == set(VERSIONED_TABLES)


def test_a_release_brings_the_changes_after_the_previous_one(
    client: TestClient, stage_history: Made, made: Made
) -> None:
    first = made("1.0.0")
    stage = stage_history(correct=True)
    second = made("1.1.0")
    brought = _changes(client, "&release=1.1.0")
    assert brought
    assert all(first["data_version"] < c["data_version"] <= second["data_version"] for c in brought)
    assert {c["entity_id"] for c in brought if c["entity"] == "stage"} == {stage["id"]}
    before = _changes(client, "&release=1.0.0")
    assert before
    assert all(c["data_version"] <= first["data_version"] for c in before)
    assert not {c["id"] for c in before} & {c["id"] for c in brought}


def test_since_and_until(client: TestClient, stage_history: Made) -> None:
    stage_history()
    every = _changes(client)
    newest = datetime.fromisoformat(every[0]["changed_at"])
    today = newest.date().isoformat()
    assert _changes(client, f"&since={today}") == [c for c in every if c["changed_at"] >= today]
    assert _changes(client, f"&until={today}") == every
    tomorrow = (newest + timedelta(days=1)).date().isoformat()
    assert _changes(client, f"&since={tomorrow}") == []
    yesterday = (newest - timedelta(days=1)).date().isoformat()
    assert _changes(client, f"&until={yesterday}") == [c for c in every if c["changed_at"] < today]
    moment = every[0]["changed_at"]
    assert _changes(client, f"&since={moment}")[-1]["changed_at"] == moment
    assert _changes(client, f"&until={moment}") == every
    naive = newest.astimezone(UTC).replace(tzinfo=None).isoformat()
    assert _changes(client, f"&since={naive}") == _changes(client, f"&since={moment}")


def test_bad_filters_are_422s_naming_the_parameter(client: TestClient, made: Made) -> None:
    def problems(query: str) -> dict[str, str]:
        response = client.get(f"/api/v1/changelog?{query}")
        assert response.status_code == 422, response.text
        return {e["name"]: e["message"] for e in response.json()["errors"]}

    assert "no release has been made yet" in problems("release=1.0.0")["release"]
    made("1.0.0")
    made("1.2.0")
    assert "the releases are 1.0.0, 1.2.0" in problems("release=1.1.0")["release"]
    assert "not an ISO date" in problems("since=yesterday")["since"]
    assert "not an ISO date" in problems("until=2026-13-01")["until"]
    assert "is not after" in problems("since=2026-12-02&until=2026-12-01")["until"]
    assert "did you mean `seizure-report`" in problems("entity=seizure-reports")["entity"]
    assert "did you mean `stage`" in problems("entity=stages")["entity"]
    assert "the kinds are" in problems("entity=xyzzy")["entity"].lower()
    assert set(problems("release=9&since=x&entity=y")) == {"release", "since", "entity"}
    russian = client.get("/api/v1/changelog?entity=stages", headers={"Accept-Language": "ru"})
    assert "может быть, `stage`" in russian.json()["errors"][0]["message"]
    assert client.get("/api/v1/changelog?entity=Seizure report&limit=1").status_code == 200
    assert client.get("/api/v1/changelog?sinse=2026-01-01").status_code == 422


def test_downloads_hold_every_change(client: TestClient, stage_history: Made) -> None:
    stage_history(correct=True)
    every = _changes(client, "&entity=stage")
    ndjson = client.get("/api/v1/changelog.ndjson?entity=stage")
    assert ndjson.headers["content-type"] == "application/x-ndjson"
    assert [json.loads(line) for line in ndjson.text.splitlines()] == every
    table = client.get("/api/v1/changelog.csv?entity=stage")
    assert table.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(table.text.removeprefix("\ufeff"))))
    assert [int(row["id"]) for row in rows] == [c["id"] for c in every]
    assert rows[0]["fields"] == "name_en;end_on"
    assert json.loads(rows[0]["after"])["name_en"] == NAME
    # The changelog writes its downloads itself: byte for byte what the generic writers make.
    every = _changes(client)
    assert client.get("/api/v1/changelog.csv").content == b"".join(
        RENDERERS["csv"].write(ChangeOut, iter([every]))
    )
    assert client.get("/api/v1/changelog.ndjson").content == b"".join(
        RENDERERS["ndjson"].write(ChangeOut, iter([every]))
    )


def test_the_index_names_the_changelog_and_its_feed(client: TestClient) -> None:
    found = {c["name"]: c for c in client.get("/api/v1").json()["collections"]}
    assert found["changelog"]["atom"] == "/api/v1/changelog.atom"
    assert found["changelog"]["csv"] == "/api/v1/changelog.csv"


def test_the_calendars_ends_are_no_500(client: TestClient) -> None:
    for query in (
        "until=9999-12-31",
        "until=9999-12-31T23:59:59",
        "until=9999-12-31T23:59:59.999999",
        "since=0001-01-01T00:00:00%2B05:00",
        "since=0001-01-01&until=9999-12-31T23:59:59-05:00",
    ):
        assert client.get(f"/api/v1/changelog?{query}&limit=1").status_code == 200, query


def test_as_of_lists_the_changes_up_to_then(
    client: TestClient, stage_history: Made, made: Made, editor: dict[str, str]
) -> None:
    stage = stage_history()
    release = made("1.0.0")
    url = f"/api/v1/stages/{stage['id']}"
    etag = client.get(url).headers["etag"]
    patched = client.patch(url, json={"name": NAME}, headers={**editor, "If-Match": etag})
    assert patched.status_code == 200, patched.text
    later = _changes(client)
    assert later[0]["change"] == "corrected"
    assert later[0]["data_version"] > release["data_version"]
    then = client.get("/api/v1/changelog?limit=1000&as_of=1.0.0")
    assert then.status_code == 200, then.text
    items = then.json()["items"]
    assert items == [c for c in later if c["data_version"] <= release["data_version"]]
    assert items
    assert items[0]["id"] < later[0]["id"]
    page = client.get("/changelog?lang=en&as_of=1.0.0")
    assert page.status_code == 200, page.text
    assert "Corrected:" in client.get("/changelog?lang=en").text
    assert "Corrected:" not in page.text
    feed = client.get("/api/v1/changelog.atom?as_of=1.0.0")
    assert feed.status_code == 200, feed.text
