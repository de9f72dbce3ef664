"""Who the CSTO's member states were on a date, from membership periods; the list envelope."""

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

SIX = ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"]
SEVEN = [*SIX, "UZB"]


def _members(client: TestClient, on: str) -> list[str]:
    response = client.get("/api/v1/member-states", params={"on": on})
    assert response.status_code == 200, response.text
    return sorted(item["iso3"] for item in response.json()["items"])


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("2006-08-15", SIX),  # the day before the protocol restoring Uzbekistan's membership
        ("2006-08-16", SEVEN),
        ("2008-09-01", SEVEN),
        ("2012-12-18", SEVEN),  # the last day before the suspension
        ("2012-12-19", SIX),  # the Collective Security Council suspended it that day
        ("2020-06-01", SIX),
    ],
)
def test_uzbekistan_is_a_member_from_2006_08_16_to_2012_12_18(
    client: TestClient, on: str, expected: list[str]
) -> None:
    assert _members(client, on) == expected


def test_uzbekistans_membership_is_cited_and_its_end_is_inclusive(client: TestClient) -> None:
    items = client.get("/api/v1/member-states?on=2008-09-01").json()["items"]
    uzbekistan = next(item for item in items if item["iso3"] == "UZB")
    assert (uzbekistan["name_en"], uzbekistan["name_ru"]) == ("Uzbekistan", "Узбекистан")
    assert (uzbekistan["valid_from"], uzbekistan["valid_to"]) == ("2006-08-16", "2012-12-18")
    assert uzbekistan["status"] == "member"
    assert uzbekistan["source"]["slug"] == "tass-uzbekistan-note-2012"
    assert uzbekistan["source"]["locator"] == "¶7"


def test_uzbekistan_is_a_country_with_aliases(client: TestClient) -> None:
    country = client.get("/api/v1/countries/UZB").json()
    assert country["aliases_en"] == ["Republic of Uzbekistan"]
    assert country["aliases_ru"] == ["Республика Узбекистан"]
    found = client.get("/api/v1/countries", params={"q": "узбекистан"}).json()["items"]
    assert [c["iso3"] for c in found] == ["UZB"]


@pytest.mark.parametrize("source", ["tass-uzbekistan-note-2012", "tass-uzbekistan-suspended-2012"])
def test_the_two_tass_sources_are_registered(client: TestClient, source: str) -> None:
    found = client.get(f"/api/v1/sources/{source}").json()
    assert found["publisher"] == "TASS"
    assert found["language"] == "en"
    assert found["url"].startswith("https://tass.com/")
    assert found["published"]["precision"] == "day"


# -- the envelope ----------------------------------------------------------------------


def test_member_states_answer_in_the_list_envelope(client: TestClient) -> None:
    body = client.get("/api/v1/member-states?on=2008-09-01").json()
    assert set(body) == {"items", "next", "cursor", "count"}
    assert body["next"] is None
    assert len(body["items"]) == 7


def test_member_states_are_paged_like_every_list(client: TestClient) -> None:
    seen: list[str] = []
    url: str | None = "/api/v1/member-states?on=2008-09-01&limit=3"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        if body["next"]:
            assert "on=2008-09-01" in body["next"]
            assert response.headers["link"] == f'<{body["next"]}>; rel="next"'
        seen += [item["iso3"] for item in body["items"]]
        url = body["next"]
        pages += 1
    assert pages == 3
    assert sorted(seen) == SEVEN


def test_member_states_export_as_csv_and_ndjson(client: TestClient) -> None:
    exported = client.get("/api/v1/member-states?on=2008-09-01&format=csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text.removeprefix("\ufeff"))))
    assert sorted(row["iso3"] for row in rows) == SEVEN
    assert {row["source_slug"] for row in rows if row["iso3"] == "UZB"} == {
        "tass-uzbekistan-note-2012"
    }
    lines = client.get("/api/v1/member-states?on=2012-12-19&format=ndjson").text.splitlines()
    assert sorted(json.loads(line)["iso3"] for line in lines) == SIX


def test_member_states_keep_their_parameters(client: TestClient) -> None:
    assert client.get("/api/v1/member-states?organization=csto&on=2003-09-18").status_code == 200
    for query, name in [("on=2012-13-01", "on"), ("organization=nato", "organization")]:
        response = client.get(f"/api/v1/member-states?{query}")
        assert response.status_code == 422
        assert name in {error["name"] for error in response.json()["errors"]}


# -- a stage's `member-states` party ---------------------------------------------------


def test_a_stage_of_2008_with_the_member_states_has_seven_members(
    client: TestClient, editor: dict[str, str]
) -> None:
    stage = {
        "number": 7,
        "name": "Channel - 2008",
        "start_on": "2008-09-15",
        "end_on": "2008-09-26",
        "source": "mvd-ksopn-15-years-2020",
        "locator": "¶5",
        "participants": ["member-states"],
        "observers": ["AFG"],
    }
    posted = client.post(
        "/api/v1/operations/channel/stages",
        json=stage,
        headers={**editor, "Idempotency-Key": "member-states-2008"},
    )
    assert posted.status_code == 201, posted.text

    read = client.get(posted.headers["location"]).json()
    parties = [p["party"] for p in read["participants"]]
    assert [p["kind"] for p in parties] == ["member_states"]
    # The group is whoever was a member during the stage: a membership query on its dates.
    for day in (read["start_on"], read["end_on"]):
        assert _members(client, day) == SEVEN
