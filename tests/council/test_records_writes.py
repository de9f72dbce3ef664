"""Staff writes to meetings, events, documents, reported figures, organizations, sources."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

CITE = {"source": "mvd-ksopn-15-years-2020", "locator": "¶4"}

LIFECYCLES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (
        "meetings",
        {
            **CITE,
            "body": "ksopn",
            "number": 40,
            "held": {"date": "2021-05-01", "precision": "month"},
            "place": "Moscow",
            "country": "RUS",
        },
        {"summary": "Adopted the plan of joint operations."},
        "summary",
    ),
    (
        "events",
        {
            **CITE,
            "slug": "expo-2021",
            "kind": "exhibition",
            "name_en": "Anti-drug expo",
            "start_on": "2021-03-01",
            "end_on": "2021-03-03",
            "organizers": ["mvd-russia"],
            "participants": ["member-states", {"party": "KAZ"}],
        },
        {"place": "Vienna", "country": "AUT"},
        "place",
    ),
    (
        "documents",
        {
            **CITE,
            "slug": "anti-drug-strategy-2021-2025",
            "kind": "strategy",
            "title_en": "Anti-Drug Strategy 2021-2025",
            "period_start_year": 2021,
            "period_end_year": 2025,
            "status": "in_preparation",
        },
        {"status": "in_force"},
        "status",
    ),
    (
        "reported-figures",
        {
            **CITE,
            "slug": "channel-stages-2021",
            "metric": "stages_carried_out",
            "operation": "channel",
            "value": 31,
            "unit": "stages",
            "as_reported": "31",
            "as_of": {"date": "2021-01-01", "precision": "year"},
        },
        {"value": 32, "as_reported": "32"},
        "value",
    ),
    (
        "organizations",
        {
            "slug": "fatf",
            "kind": "international_organization",
            "name_en": "Financial Action Task Force",
            "name_ru": "Группа разработки финансовых мер",
            "acronym_en": "FATF",
            "acronym_ru": "ФАТФ",
        },
        {"aliases_en": ["GAFI"]},
        "aliases_en",
    ),
]


@pytest.mark.parametrize(
    ("collection", "create", "patch", "changed"), LIFECYCLES, ids=[c[0] for c in LIFECYCLES]
)
def test_create_correct_delete(
    client: TestClient,
    editor: dict[str, str],
    admin: dict[str, str],
    collection: str,
    create: dict[str, Any],
    patch: dict[str, Any],
    changed: str,
) -> None:
    url = f"/api/v1/{collection}"
    made = client.post(url, json=create, headers=editor)
    assert made.status_code == 201, made.text
    location = made.headers["location"]
    assert client.get(location).json() == made.json()

    assert client.patch(location, json=patch, headers=editor).status_code == 428
    etag = client.get(location).headers["etag"]
    corrected = client.patch(location, json=patch, headers={**editor, "If-Match": etag})
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()[changed] == patch[changed]

    stale = client.delete(location, headers={**editor, "If-Match": etag})
    assert stale.status_code == 412
    gone = client.delete(location, headers={**editor, "If-Match": corrected.headers["etag"]})
    assert gone.status_code == 204
    assert client.get(location).status_code == 404

    entity_id = made.json()["id"]
    table = collection.replace("-", "_")
    log = client.get(f"/api/v1/audit?entity={table}&entity_id={entity_id}", headers=admin).json()
    assert [e["action"] for e in log["items"]] == ["delete", "update", "create"]


def test_event_parties_are_created_with_it(client: TestClient, editor: dict[str, str]) -> None:
    _, create, _, _ = LIFECYCLES[1]
    event = client.post("/api/v1/events", json=create, headers=editor).json()
    roles = sorted((p["role"], p["party"]["kind"]) for p in event["participations"])
    assert roles == [
        ("organizer", "organization"),
        ("participant", "country"),
        ("participant", "member_states"),
    ]


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/meetings", {**CITE, "body": "no-such-body"}, "body"),
        ("/api/v1/meetings", {**CITE, "body": "ksopn", "country": "XXX"}, "country"),
        (
            "/api/v1/documents",
            {
                **CITE,
                "slug": "d",
                "kind": "strategy",
                "title_en": "T",
                "status": "in_force",
                "issuer": "nobody",
            },
            "issuer",
        ),
        (
            "/api/v1/documents",
            {
                **CITE,
                "slug": "d",
                "kind": "strategy",
                "title_en": "T",
                "status": "in_force",
                "period_start_year": 2025,
                "period_end_year": 2020,
            },
            "period_end_year",
        ),
        (
            "/api/v1/reported-figures",
            {
                **CITE,
                "slug": "f",
                "metric": "m",
                "value": 1,
                "unit": "u",
                "as_reported": "1",
                "as_of": {"date": "2020-01-01", "precision": "year"},
            },
            "body",
        ),
        (
            "/api/v1/events",
            {
                **CITE,
                "slug": "e",
                "kind": "k",
                "name_en": "E",
                "start_on": "2021-01-01",
                "organizers": ["nobody-at-all"],
            },
            "organizers[0]",
        ),
        (
            "/api/v1/organizations",
            {"slug": "x", "kind": "guild", "name_en": "X", "name_ru": "Х"},
            "kind",
        ),
        (
            "/api/v1/sources",
            {
                "slug": "s",
                "title": "T",
                "publisher": "P",
                "language": "english",
                "locator_scheme": "page",
            },
            "language",
        ),
    ],
)
def test_bad_records_are_named(
    client: TestClient,
    editor: dict[str, str],
    admin: dict[str, str],
    url: str,
    body: dict[str, Any],
    field: str,
) -> None:
    audit_before = len(client.get("/api/v1/audit?limit=1000", headers=admin).json()["items"])
    response = client.post(url, json=body, headers=editor)
    assert response.status_code == 422, response.text
    assert field in {e["name"] for e in response.json()["errors"]}
    assert (
        len(client.get("/api/v1/audit?limit=1000", headers=admin).json()["items"]) == audit_before
    )


def test_a_duplicate_slug_is_a_conflict(client: TestClient, editor: dict[str, str]) -> None:
    body = {
        "slug": "unodc",
        "kind": "international_organization",
        "name_en": "Again",
        "name_ru": "Снова",
    }
    response = client.post("/api/v1/organizations", json=body, headers=editor)
    assert response.status_code == 409


@pytest.mark.parametrize(
    "location", ["/api/v1/organizations/unodc", "/api/v1/documents/csc-decision-2008-09-channel"]
)
def test_records_still_referenced_cannot_be_deleted(
    client: TestClient, editor: dict[str, str], location: str
) -> None:
    etag = client.get(location).headers["etag"]
    response = client.delete(location, headers={**editor, "If-Match": etag})
    assert response.status_code == 409
    assert "referenced" in response.json()["detail"]
    assert client.get(location).status_code == 200


def test_a_new_source_can_be_cited_at_once(client: TestClient, editor: dict[str, str]) -> None:
    source = {
        "slug": "csto-press-2021",
        "title": "CSTO press release",
        "publisher": "CSTO Secretariat",
        "published": {"date": "2021-06-01", "precision": "day"},
        "language": "ru",
        "locator_scheme": "¶N, counting paragraphs",
    }
    made = client.post("/api/v1/sources", json=source, headers=editor)
    assert made.status_code == 201, made.text
    assert made.json()["published"] == {"date": "2021-06-01", "precision": "day"}
    meeting = {"source": "csto-press-2021", "locator": "¶2", "body": "ksopn", "number": 23}
    assert client.post("/api/v1/meetings", json=meeting, headers=editor).status_code == 201
