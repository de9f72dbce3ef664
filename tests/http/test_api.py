import re

import pytest
from fastapi.testclient import TestClient

from app import migrate
from tests.helpers import PROBLEM, SERVER_URL, expect_problem, get_json


def test_operations_show_channel_and_grom_with_their_sources(client: TestClient) -> None:
    items = get_json(client, "/api/v1/operations")["items"]
    by_slug = {item["slug"]: item for item in items}
    assert set(by_slug) == {"channel", "grom"}
    assert by_slug["channel"]["name_ru"] == "Канал"
    assert by_slug["grom"]["aliases_en"] == ["Thunder"]
    assert by_slug["channel"]["source"]["slug"] == "mvd-ksopn-15-years-2020"
    assert by_slug["channel"]["source"]["locator"] == "¶5"


def test_channel_detail_holds_its_status_history_and_parties(client: TestClient) -> None:
    channel = get_json(client, "/api/v1/operations/channel")
    permanent = channel["statuses"][-1]
    assert permanent["status_en"] == "Regional Anti-Drug Operation of permanent action"
    assert permanent["valid_from"] == {"date": "2008-09-01", "precision": "month"}
    assert permanent["decision"] == "csc-decision-2008-09-channel"
    parties = {
        (p["party"]["kind"], p["party"].get("iso3") or p["party"].get("slug"))
        for p in channel["participants"]
    }
    assert ("member_states", None) in parties
    assert {("country", "AFG"), ("country", "IRN"), ("country", "CHN")} <= parties
    assert {
        ("organization", s)
        for s in ("unodc", "interpol", "osce", "sco", "cis", "caricc", "eag-fius")
    } <= parties
    figures = {f["metric"]: f for f in channel["reported_figures"]}
    assert figures["stages_carried_out"]["value"] == 30
    assert figures["observer_representatives"]["qualifier"] == "at_least"
    assert channel["stages"] == [], "the source gives a count of stages, not the stages"


def test_grom_lists_what_it_trains(client: TestClient) -> None:
    grom = get_json(client, "/api/v1/operations/grom")
    assert grom["kind"] == "tactical_exercise"
    assert len(grom["objectives"]) == 6
    assert [o["position"] for o in grom["objectives"]] == [1, 2, 3, 4, 5, 6]


def test_a_2017_2019_figure_is_found_for_2018_with_all_its_years(client: TestClient) -> None:
    items = get_json(client, "/api/v1/seizures?year=2018")["items"]
    assert len(items) == 6
    total = next(item for item in items if item["parent_id"] is None)
    assert total["years"] == [2017, 2018, 2019]
    assert (total["period_start"], total["period_end"]) == ("2017-01-01", "2019-12-31")
    assert total["quantity_grams"] == 67_600_000
    assert total["quantity_kg"] == 67_600
    assert total["qualifier"] == "at_least"
    assert total["as_reported"] == "more than 67 tons of 600 kg"
    assert total["source"]["locator"] == "¶8"
    assert get_json(client, "/api/v1/seizures?year=2016")["items"] == []


def test_a_substance_filter_includes_its_descendants(client: TestClient) -> None:
    items = get_json(client, "/api/v1/seizures?substance=cannabis")["items"]
    assert {item["substance"]["slug"] for item in items} == {"hashish", "marijuana"}
    assert sum(item["quantity_grams"] for item in items) == 10_402_000


def test_seizures_filter_by_operation(client: TestClient) -> None:
    assert len(get_json(client, "/api/v1/seizures?operation=channel")["items"]) == 6
    assert get_json(client, "/api/v1/seizures?operation=grom")["items"] == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("year=99999", "year"),
        ("substance=khat", "substance"),
        ("operation=nope", "operation"),
        ("country=XXX", "country"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("cursor=%%%", "cursor"),
        ("cursor=e30", "cursor"),
        ("cursor=WyJ4Il0", "cursor"),
        ("year=abc", "year"),
    ],
)
def test_bad_seizure_parameters_are_named(client: TestClient, query: str, parameter: str) -> None:
    expect_problem(client, f"/api/v1/seizures?{query}", 422, parameter)


def test_member_states_on_a_date(client: TestClient) -> None:
    members = get_json(client, "/api/v1/member-states?on=2020-06-01")["items"]
    assert [m["iso3"] for m in members] == ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"]
    assert members[0]["source"]["slug"] == "csto-member-states"
    assert get_json(client, "/api/v1/member-states?on=2003-09-17")["items"] == []
    expect_problem(client, "/api/v1/member-states?on=2019-02-30", 422, "on")
    expect_problem(client, "/api/v1/member-states?organization=nato", 422, "organization")


@pytest.mark.parametrize(
    ("path", "q", "expected"),
    [
        ("operations", "канал", "channel"),
        ("operations", "THUNDER", "grom"),
        ("substances", "cannabis resin", "hashish"),
        ("substances", "ГАШИШ", "hashish"),
        ("organizations", "унп оон", "unodc"),
        ("organizations", "Eurasian Group", "eag"),
        ("countries", "киргизия", "KGZ"),
    ],
)
def test_search_matches_names_and_aliases_in_both_languages(
    client: TestClient, path: str, q: str, expected: str
) -> None:
    items = client.get(f"/api/v1/{path}", params={"q": q}).json()["items"]
    keys = {item.get("slug") or item.get("iso3") for item in items}
    assert expected in keys, keys


def test_search_treats_wildcards_as_text(client: TestClient) -> None:
    assert client.get("/api/v1/organizations", params={"q": "%"}).json()["items"] == []
    assert client.get("/api/v1/organizations", params={"q": "_"}).json()["items"] == []


def test_pages_link_to_the_next_until_the_end(client: TestClient) -> None:
    seen: list[str] = []
    url: str | None = "/api/v1/countries?limit=3"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        seen += [country["iso3"] for country in body["items"]]
        if body["next"]:
            assert response.headers["link"] == f'<{body["next"]}>; rel="next"'
        url = body["next"]
        pages += 1
    assert pages == 4
    assert len(seen) == len(set(seen)) == 11


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("sources/mvd-ksopn-15-years-2020", "slug"),
        ("countries/kgz", "iso3"),
        ("organizations/unodc", "slug"),
        ("substances/hashish", "slug"),
        ("bodies/ksopn", "slug"),
        ("documents/anti-drug-strategy-2015-2020", "slug"),
        ("events/cnd-63-exhibition-2020", "slug"),
        ("activities/personnel-training", "slug"),
        ("reported-figures/ksopn-meetings-held-2020", "slug"),
    ],
)
def test_details_by_key(client: TestClient, path: str, key: str) -> None:
    body = get_json(client, f"/api/v1/{path}")
    assert str(body[key]).lower() == path.split("/")[1]


@pytest.mark.parametrize(
    "path",
    [
        "operations/nope",
        "stages/999999",
        "meetings/999999",
        "countries/XYZ",
        "documents/nope",
        "events/nope",
        "bodies/nope",
    ],
)
def test_unknown_entities_are_404_problems(client: TestClient, path: str) -> None:
    response = client.get(f"/api/v1/{path}")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"].startswith("no ")


def test_council_facts(client: TestClient) -> None:
    ksopn = get_json(client, "/api/v1/bodies/ksopn")
    assert ksopn["established_on"] == "2005-06-23"
    assert ksopn["acronym_ru"] == "КСОПН"
    working_group = get_json(client, "/api/v1/bodies/ksopn-working-group")
    assert working_group["parent"] == "ksopn"
    meetings = get_json(client, "/api/v1/reported-figures?metric=meetings_held")["items"]
    assert [(f["value"], f["as_reported"]) for f in meetings] == [(21, "twenty-one")]
    assert get_json(client, "/api/v1/meetings")["items"] == [], "no meeting is itemized"


def test_documents_with_period_and_status(client: TestClient) -> None:
    docs = {d["slug"]: d for d in get_json(client, "/api/v1/documents?kind=strategy")["items"]}
    assert (
        docs["anti-drug-strategy-2015-2020"]["period_start_year"],
        docs["anti-drug-strategy-2015-2020"]["period_end_year"],
    ) == (2015, 2020)
    assert docs["anti-drug-strategy-until-2025"]["status"] == "in_preparation"
    assert docs["csto-collective-security-strategy-2025"]["period_end_year"] == 2025


def test_the_exhibition_with_its_organizers(client: TestClient) -> None:
    events = get_json(client, "/api/v1/events?year=2020")["items"]
    assert len(events) == 1
    exhibition = events[0]
    assert (exhibition["start_on"], exhibition["end_on"], exhibition["place"]) == (
        "2020-03-02",
        "2020-03-06",
        "Vienna",
    )
    organizers = {
        p["party"]["slug"] for p in exhibition["participations"] if p["role"] == "organizer"
    }
    assert organizers == {"mvd-russia", "csto-secretariat"}


def test_healthz_checks_the_database(client: TestClient) -> None:
    body = get_json(client, "/healthz")
    assert body["status"] == "ok"
    assert body["schema"] == migrate.head_revision()
    assert body["database"] == ("postgresql" if SERVER_URL else "sqlite")


def test_unknown_paths_and_methods_are_problems(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert (response.status_code, response.headers["content-type"]) == (404, PROBLEM)
    response = client.delete("/api/v1/operations")
    assert (response.status_code, response.headers["content-type"]) == (405, PROBLEM)


def test_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assert "/static-offline-docs/swagger-ui-bundle.js" in page.text
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    assert "/api/v1/seizures" in client.get("/openapi.json").json()["paths"]


ODD_VALUES = ["0", "-1", "99999999999999999999", "%00", "' OR 1=1 --", "ä%E2%80%AE", "x" * 300]


def test_no_get_endpoint_answers_500_to_odd_input(client: TestClient) -> None:
    """Every documented GET, with odd values in each path parameter and in `q`/`cursor`."""
    paths = client.get("/openapi.json").json()["paths"]
    checked = 0
    for template, methods in paths.items():
        if "get" not in methods:
            continue
        for value in ODD_VALUES:
            url = re.sub(r"\{[^}]+\}", value, template)
            for query in ("", f"?q={value}", f"?cursor={value}", f"?limit={value}"):
                response = client.get(url + query)
                assert response.status_code < 500, (url + query, response.text)
                if response.status_code >= 400:
                    assert response.headers["content-type"] == PROBLEM
                checked += 1
    assert checked > 500


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/stages/99999999999999999999", "stage_id"),
        ("/api/v1/seizures?stage=99999999999999999999", "stage"),
        ("/api/v1/seizures?cursor=WzEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDBd", "cursor"),
        ("/api/v1/seizures?cursor=WzEsMl0", "cursor"),
        ("/api/v1/organizations?q=%00", "q"),
        ("/api/v1/operations/%00", "operation"),
    ],
)
def test_out_of_range_ids_and_nul_characters_are_named(
    client: TestClient, url: str, parameter: str
) -> None:
    expect_problem(client, url, 422, parameter)


@pytest.mark.parametrize(
    "url", ["/api/v1/operations/channel", "/api/v1/seizures?year=2018", "/api/v1/member-states"]
)
def test_reads_send_an_etag_and_answer_if_none_match_with_304(client: TestClient, url: str) -> None:
    first = client.get(url)
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
