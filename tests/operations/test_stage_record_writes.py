"""Staff writes of the public record's fields (issue 23): a stage's names, headquarters and
place corrected by PATCH, a source added by the sources API and named by a stage, another
source's version of a stored seizure figure (`alternative_to`); each refused with a 422
naming the field, in the request's language, and each audited."""

from typing import Any

from fastapi.testclient import TestClient

POST_STAGE = "/api/v1/operations/channel/stages"
RUSSIAN = {"Accept-Language": "ru"}

PRESS = {
    "slug": "press-page-2032",
    "url": "https://press.example/2032/channel",
    "title": "Итоги этапа (пример)",
    "publisher": "Example Press",
    "published": {"date": "2032-06-02", "precision": "day"},
    "language": "ru",
    "kind": "press",
    "locator_scheme": "¶N is the N-th paragraph.",
}
REPOST = {
    **PRESS,
    "slug": "repost-2032",
    "url": "https://forum.example/2032/repost",
    "title": "Repost of the stage's results (example)",
    "language": "en",
    "kind": "weak",
    "reliability_note": "A forum's repost of the press page.",
}


def _stage() -> dict[str, Any]:
    return {
        "name_ru": "Канал – Проба",
        "start_on": "2032-05-20",
        "end_on": "2032-05-25",
        "new_source": PRESS,
        "source": PRESS["slug"],
        "locator": "¶1",
        "seizures": [{"substance": "heroin", "quantity": "более 2 т"}],
    }


def _posted(client: TestClient, editor: dict[str, str]) -> dict[str, Any]:
    made = client.post(POST_STAGE, json=_stage(), headers=editor)
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def _audit(client: TestClient, admin: dict[str, str], entity: str, entity_id: int) -> list[Any]:
    url = f"/api/v1/audit?entity={entity}&entity_id={entity_id}"
    answer = client.get(url, headers=admin)
    assert answer.status_code == 200, answer.text
    items: list[Any] = answer.json()["items"]
    return items


def test_a_stage_s_names_headquarters_and_place_are_corrected(
    client: TestClient, editor: dict[str, str], admin: dict[str, str]
) -> None:
    stage = _posted(client, editor)
    url = f"/api/v1/stages/{stage['id']}"
    patch = {
        "name_en": "Channel – Trial",
        "headquarters": {"city_en": "Bishkek", "city_ru": "Бишкек", "country": "KGZ"},
        "place": "Chui region",
    }
    etag = client.get(url).headers["etag"]
    changed = client.patch(url, json=patch, headers={**editor, "If-Match": etag})
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["name_en"], after["name_ru"], after["place"]) == (
        "Channel – Trial",
        "Канал – Проба",
        "Chui region",
    )
    assert after["headquarters"] == patch["headquarters"]
    entry = _audit(client, admin, "stages", stage["id"])[0]
    assert entry["action"] == "update"
    assert (entry["before"]["hq_city_ru"], entry["after"]["hq_city_ru"]) == (None, "Бишкек")

    cleared = client.patch(
        url, json={"headquarters": None}, headers={**editor, "If-Match": changed.headers["etag"]}
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["headquarters"] is None


def test_a_bad_headquarters_is_named_in_the_request_s_language(
    client: TestClient, editor: dict[str, str]
) -> None:
    stage = _posted(client, editor)
    url = f"/api/v1/stages/{stage['id']}"
    etag = client.get(url).headers["etag"]
    body = {"headquarters": {"city_ru": "Бишкек", "country": "XYZ"}}
    english = client.patch(url, json=body, headers={**editor, "If-Match": etag})
    russian = client.patch(url, json=body, headers={**editor, **RUSSIAN, "If-Match": etag})
    assert english.status_code == russian.status_code == 422
    assert [e["name"] for e in english.json()["errors"]] == ["headquarters.country"]
    assert [e["name"] for e in russian.json()["errors"]] == ["headquarters.country"]
    assert english.json()["errors"][0]["message"] == "no country 'XYZ'"
    assert russian.json()["errors"][0]["message"] == "нет страны 'XYZ'"
    assert client.get(url).json()["headquarters"] is None, "nothing changed"


def test_a_source_added_by_the_sources_api_is_named_by_a_stage(
    client: TestClient, editor: dict[str, str], admin: dict[str, str]
) -> None:
    added = client.post("/api/v1/sources", json=PRESS, headers=editor)
    assert added.status_code == 201, added.text
    body = {**_stage(), "number": None}
    del body["new_source"]
    made = client.post(POST_STAGE, json=body, headers=editor)
    assert made.status_code == 201, made.text
    assert made.json()["source"]["slug"] == PRESS["slug"]
    assert _audit(client, admin, "sources", added.json()["id"])[0]["action"] == "create"


def test_an_inline_source_with_a_bad_url_is_named(
    client: TestClient, editor: dict[str, str]
) -> None:
    body = _stage()
    body["new_source"] = {**PRESS, "url": "press.example/no-scheme"}
    refused = client.post(POST_STAGE, json=body, headers={**editor, **RUSSIAN})
    assert refused.status_code == 422, refused.text
    assert [e["name"] for e in refused.json()["errors"]] == ["new_source.url"]
    assert refused.json()["errors"][0]["message"] == "не соответствует образцу ^https?://"


def test_another_source_s_version_of_a_stored_figure(
    client: TestClient, editor: dict[str, str], admin: dict[str, str]
) -> None:
    stage = _posted(client, editor)
    assert client.post("/api/v1/sources", json=REPOST, headers=editor).status_code == 201
    figure = stage["seizures"][0]
    url = f"/api/v1/stages/{stage['id']}/seizures"
    version = {
        "alternative_to": figure["id"],
        "substance": "heroin",
        "quantity": "about 1.9 t",
        "source": REPOST["slug"],
        "locator": "¶3",
    }
    made = client.post(url, json=version, headers=editor)
    assert made.status_code == 201, made.text
    kept = made.json()
    assert (kept["alternative_to"], kept["quantity_grams"], kept["qualifier"]) == (
        figure["id"],
        1_900_000,
        "about",
    )
    assert (kept["period_start"], kept["period_end"]) == (
        figure["period_start"],
        figure["period_end"],
    )
    detail = client.get(f"/api/v1/seizures/{figure['id']}").json()
    assert [a["id"] for a in detail["alternatives"]] == [kept["id"]]
    assert client.get(f"/api/v1/stages/{stage['id']}").json()["sources_disagree"]
    totals = client.get("/api/v1/seizures/totals?from=2032-01-01&to=2032-12-31").json()
    assert [line["amount"] for line in totals["groups"]] == [2_000_000], "counted once"
    assert _audit(client, admin, "seizure_reports", kept["id"])[0]["action"] == "create"


def test_a_version_that_breaks_a_rule_is_refused_naming_the_field(
    client: TestClient, editor: dict[str, str]
) -> None:
    stage = _posted(client, editor)
    client.post("/api/v1/sources", json=REPOST, headers=editor)
    figure = stage["seizures"][0]
    url = f"/api/v1/stages/{stage['id']}/seizures"
    base = {
        "alternative_to": figure["id"],
        "substance": "heroin",
        "quantity": "1.9 t",
        "source": REPOST["slug"],
        "locator": "¶3",
    }
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"alternative_to": 10**6}, "alternative_to", "укажите сводку об изъятии"),
        ({"substance": "opium"}, "substance", "версия относится к тому же веществу"),
        ({"quantity": "5 l"}, "quantity", "версия измеряет то же"),
        ({"source": "mvd-ksopn-15-years-2020"}, "source", "этот источник стоит по правилу выше"),
        ({"parts": [{"substance": "heroin", "quantity": "1 kg"}]}, "parts", "у версии нет"),
    ]
    for change, field, russian in cases:
        refused = client.post(url, json={**base, **change}, headers={**editor, **RUSSIAN})
        assert refused.status_code == 422, (change, refused.text)
        error = refused.json()["errors"][0]
        assert (error["name"], error["message"][: len(russian)]) == (field, russian), change
    assert len(client.get(f"/api/v1/stages/{stage['id']}").json()["seizures"]) == 1
