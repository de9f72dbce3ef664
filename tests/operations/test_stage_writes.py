"""The staff write path: keys and roles, atomic stage posting, retries, concurrency control."""

import copy
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import models as m
from app.operations.schemas import STAGE_EXAMPLE
from app.settings import Settings

PROBLEM = "application/problem+json"
EXAMPLE: dict[str, Any] = STAGE_EXAMPLE
POST_STAGE = "/api/v1/operations/channel/stages"


def _count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _counts(session: Session) -> tuple[int, int, int, int]:
    return (
        _count(session, m.Stage),
        _count(session, m.SeizureReport),
        _count(session, m.Participation),
        _count(session, m.AuditEntry),
    )


def _stage(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE)
    body.update(changes)
    return body


def _problem_names(response: Any) -> set[str]:
    assert response.headers["content-type"] == PROBLEM, response.text
    return {error["name"] for error in response.json().get("errors", [])}


# -- keys and roles --------------------------------------------------------------------


def test_writes_need_a_key(client: TestClient, session: Session) -> None:
    response = client.post(POST_STAGE, json=_stage())
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == PROBLEM
    bad = client.post(POST_STAGE, json=_stage(), headers={"Authorization": "Bearer ksopn_x_y"})
    assert bad.status_code == 401
    assert _count(session, m.Stage) == 0


def test_a_revoked_key_is_refused(
    client: TestClient, session: Session, editor: dict[str, str]
) -> None:
    key = session.scalars(select(m.ApiKey)).one()
    key.revoked_at = key.created_at
    session.flush()
    assert client.post(POST_STAGE, json=_stage(), headers=editor).status_code == 401


def test_the_audit_log_needs_an_admin(
    client: TestClient, editor: dict[str, str], admin: dict[str, str]
) -> None:
    assert client.get("/api/v1/audit").status_code == 401
    forbidden = client.get("/api/v1/audit", headers=editor)
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"] == PROBLEM
    assert client.get("/api/v1/audit", headers=admin).status_code == 200


def test_keys_are_stored_only_as_hashes(session: Session, editor: dict[str, str]) -> None:
    key = editor["Authorization"].removeprefix("Bearer ")
    row = session.scalars(select(m.ApiKey)).one()
    assert key not in (row.key_hash, row.prefix, row.name)
    assert len(key) > 40


# -- posting a stage -------------------------------------------------------------------


def test_post_the_documented_example(client: TestClient, editor: dict[str, str]) -> None:
    response = client.post(POST_STAGE, json=_stage(), headers=editor)
    assert response.status_code == 201, response.text
    stage = response.json()
    assert response.headers["location"] == f"/api/v1/stages/{stage['id']}"
    assert client.get(response.headers["location"]).json() == stage
    assert (stage["number"], stage["operation"], stage["lead_country"]) == (90, "channel", "KAZ")
    roles = sorted(
        (p["role"], p["party"].get("iso3") or p["party"].get("slug"))
        for p in stage["participants"] + stage["observers"]
    )
    assert {p["role"] for p in stage["observers"]} == {"observer"}
    assert ("observer", "unodc") in roles
    assert ("participant", "TJK") in roles
    total, hashish, heroin = stage["seizures"]
    assert (total["quantity_grams"], total["qualifier"]) == (2_500_000, "at_least")
    assert total["as_reported"] == "more than 2 t 500 kg"
    assert (total["period_start"], total["period_end"]) == ("2021-05-10", "2021-05-21")
    assert hashish["parent_id"] == heroin["parent_id"] == total["id"]
    assert heroin["quantity_grams"] == 85_500
    assert hashish["country"]["iso3"] == "KAZ", "parts take the parent's country"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"participants": ["KAZ", "ZZZ"]}, "participants[1]"),
        ({"observers": [{"party": "no-such-org"}]}, "observers[0]"),
        ({"lead_country": "QQQ"}, "lead_country"),
        ({"source": "nowhere"}, "source"),
        (
            {"seizures": [{"substance": "khat", "quantity": "1 kg"}]},
            "seizures[0].substance",
        ),
        (
            {"seizures": [{"substance": "heroin", "quantity": "1 furlong"}]},
            "seizures[0].quantity",
        ),
        (
            {
                "seizures": [
                    {
                        "substance": "opioids",
                        "quantity": "1 t",
                        "parts": [{"substance": "heroin", "quantity": "1 t 1 kg"}],
                    }
                ]
            },
            "seizures[0]",
        ),
        (
            {
                "seizures": [
                    {
                        "substance": "opioids",
                        "quantity": "1 t",
                        "parts": [{"substance": "hashish", "quantity": "1 kg"}],
                    }
                ]
            },
            "seizures[0]",
        ),
        (
            {
                "seizures": [
                    {"substance": "heroin", "quantity": "1 kg", "period_start": "2021-01-01"}
                ]
            },
            "seizures[0].period_start",
        ),
        # NUL cannot be stored in PostgreSQL text
        ({"name": "Almaty\x00"}, "name"),
        ({"participants": ["KAZ\x00"]}, "participants"),
        ({"seizures": [{"substance": "heroin", "quantity": "1\x00 kg"}]}, "seizures"),
    ],
)
def test_a_bad_stage_is_refused_whole_and_the_field_named(
    client: TestClient,
    session: Session,
    editor: dict[str, str],
    changes: dict[str, Any],
    field: str,
) -> None:
    before = _counts(session)
    response = client.post(POST_STAGE, json=_stage(**changes), headers=editor)
    assert response.status_code == 422, response.text
    assert field in _problem_names(response)
    assert _counts(session) == before


def test_a_period_outside_the_stage_can_be_stated(
    client: TestClient, editor: dict[str, str]
) -> None:
    seizure = {
        "substance": "heroin",
        "quantity": "1 kg",
        "period_start": "2021-01-01",
        "outside_stage": True,
    }
    response = client.post(POST_STAGE, json=_stage(seizures=[seizure]), headers=editor)
    assert response.status_code == 201, response.text
    assert response.json()["seizures"][0]["period_start"] == "2021-01-01"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"number": 31,', "body"),
        ('{"number": "thirty-one", "source": "mvd-ksopn-15-years-2020", "locator": "x"}', "number"),
        (
            '{"number": 99999999999999999999, "source": "mvd-ksopn-15-years-2020", "locator": "x"}',
            "number",
        ),
        (
            '{"number": 32, "source": "mvd-ksopn-15-years-2020", "locator": "x", "colour": "red"}',
            "colour",
        ),
        (
            '{"number": 32, "source": "mvd-ksopn-15-years-2020", "locator": "x", "start_on": "2019-02-30"}',
            "start_on",
        ),
        (
            '{"number": 32, "source": "mvd-ksopn-15-years-2020", "locator": "x", "start_on": "2021-05-10", "end_on": "2021-05-01"}',
            "end_on",  # named as a PATCH names it (one rule, app/rules.py)
        ),
        (
            '{"number": 32, "source": "mvd-ksopn-15-years-2020", "locator": "x", "seizures": [{"substance": "heroin", "quantity": {"amount": NaN, "unit": "kg"}}]}',
            "seizures[0].quantity",
        ),
        (
            '{"number": 32, "source": "mvd-ksopn-15-years-2020", "locator": "x", "seizures": [{"substance": "heroin", "quantity": {"amount": -1, "unit": "kg"}}]}',
            "seizures[0].quantity",
        ),
        (
            '{"number": 32, "source": "mvd-ksopn-15-years-2020", "locator": "x", "seizures": [{"substance": "heroin", "quantity": {"amount": 1e300, "unit": "kg"}}]}',
            "seizures[0].quantity",
        ),
    ],
)
def test_malformed_bodies_are_named(
    client: TestClient, session: Session, editor: dict[str, str], raw: str, field: str
) -> None:
    before = _counts(session)
    response = client.post(
        POST_STAGE, content=raw, headers={**editor, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    names = _problem_names(response)
    assert any(name == field or name.startswith(field) for name in names), names
    assert _counts(session) == before


def test_a_taken_stage_number_is_a_conflict_pointing_at_the_stage(
    client: TestClient, editor: dict[str, str]
) -> None:
    first = client.post(POST_STAGE, json=_stage(), headers=editor)
    second = client.post(POST_STAGE, json=_stage(name="another"), headers=editor)
    assert second.status_code == 409
    assert second.json()["existing"] == first.headers["location"]


def test_an_unknown_operation_is_404(client: TestClient, editor: dict[str, str]) -> None:
    response = client.post("/api/v1/operations/nope/stages", json=_stage(), headers=editor)
    assert response.status_code == 404


# -- idempotent retries ----------------------------------------------------------------


def test_a_retry_with_the_same_key_replays_and_creates_nothing(
    client: TestClient, session: Session, editor: dict[str, str]
) -> None:
    headers = {**editor, "Idempotency-Key": "stage-31-attempt"}
    first = client.post(POST_STAGE, json=_stage(), headers=headers)
    counts = _counts(session)
    retry = client.post(POST_STAGE, json=_stage(), headers=headers)
    assert (retry.status_code, retry.content) == (first.status_code, first.content)
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert _counts(session) == counts

    different = client.post(POST_STAGE, json=_stage(name="changed"), headers=headers)
    assert different.status_code == 422
    assert "Idempotency-Key" in _problem_names(different)
    assert _counts(session) == counts


def test_idempotency_keys_belong_to_their_api_key(
    client: TestClient, editor: dict[str, str], admin: dict[str, str]
) -> None:
    client.post(POST_STAGE, json=_stage(), headers={**editor, "Idempotency-Key": "k"})
    other = client.post(POST_STAGE, json=_stage(), headers={**admin, "Idempotency-Key": "k"})
    assert other.status_code == 409, "a different key's retry is a new request"


# -- corrections, deletions, audit -----------------------------------------------------


def test_corrections_need_the_current_etag(
    client: TestClient, editor: dict[str, str], admin: dict[str, str]
) -> None:
    location = client.post(POST_STAGE, json=_stage(), headers=editor).headers["location"]
    etag = client.get(location).headers["etag"]

    missing = client.patch(location, json={"name": "renamed"}, headers=editor)
    assert missing.status_code == 428
    changed = client.patch(location, json={"name": "renamed"}, headers={**editor, "If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "renamed"
    assert changed.headers["etag"] != etag
    stale = client.patch(location, json={"name": "again"}, headers={**editor, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["current_etag"] == changed.headers["etag"]

    stage_id = int(location.rsplit("/", 1)[1])
    entries = client.get(f"/api/v1/audit?entity=stages&entity_id={stage_id}", headers=admin).json()[
        "items"
    ]
    assert [e["action"] for e in entries] == ["update", "create"]
    assert entries[0]["actor"] == "secretariat-editor"
    assert (entries[0]["before"]["name_en"], entries[0]["after"]["name_en"]) == (
        STAGE_EXAMPLE["name"],
        "renamed",
    )


def test_a_deleted_stage_id_never_names_another_stage(
    client: TestClient, editor: dict[str, str]
) -> None:
    """The newest stage and its reports are deleted; the next post must not get their ids
    (SQLite would hand them out again without AUTOINCREMENT, migration 0005)."""
    first = client.post(POST_STAGE, json=_stage(), headers=editor)
    assert first.status_code == 201, first.text
    location = first.headers["location"]
    gone = client.delete(
        location, headers={**editor, "If-Match": client.get(location).headers["etag"]}
    )
    assert gone.status_code == 204
    second = client.post(POST_STAGE, json=_stage(), headers=editor)
    assert second.status_code == 201, second.text
    assert second.json()["id"] > first.json()["id"]
    assert client.get(location).status_code == 404
    reused = {r["id"] for r in first.json()["seizures"]} & {
        r["id"] for r in second.json()["seizures"]
    }
    assert not reused


def test_deleting_a_stage_keeps_it_in_the_audit_log(
    client: TestClient, session: Session, editor: dict[str, str], admin: dict[str, str]
) -> None:
    before = _count(session, m.SeizureReport)
    location = client.post(POST_STAGE, json=_stage(), headers=editor).headers["location"]
    etag = client.get(location).headers["etag"]
    assert client.delete(location, headers=editor).status_code == 428
    deleted = client.delete(location, headers={**editor, "If-Match": etag})
    assert deleted.status_code == 204
    assert client.get(location).status_code == 404
    assert _count(session, m.SeizureReport) == before
    log = client.get("/api/v1/audit?limit=1000", headers=admin).json()["items"]
    deletions = [e for e in log if e["action"] == "delete"]
    assert {e["entity"] for e in deletions} == {"stages", "seizure_reports", "participations"}
    stage_entry = next(e for e in deletions if e["entity"] == "stages")
    assert stage_entry["before"]["number"] == EXAMPLE["number"]
    assert stage_entry["after"] is None


def test_seizure_corrections_recheck_the_breakdown(
    client: TestClient, editor: dict[str, str]
) -> None:
    stage = client.post(POST_STAGE, json=_stage(), headers=editor).json()
    total, hashish, _ = stage["seizures"]
    url = f"/api/v1/seizures/{hashish['id']}"
    etag = client.get(url).headers["etag"]
    too_much = client.patch(
        url, json={"quantity": "2 t 500 kg"}, headers={**editor, "If-Match": etag}
    )
    assert too_much.status_code == 422
    assert "quantity" in _problem_names(too_much)
    fixed = client.patch(
        url, json={"quantity": "1 t 250 kg", "cases": 7}, headers={**editor, "If-Match": etag}
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["quantity_grams"], fixed.json()["cases"]) == (1_250_000, 7)

    parent = f"/api/v1/seizures/{total['id']}"
    parent_etag = client.get(parent).headers["etag"]
    refused = client.delete(parent, headers={**editor, "If-Match": parent_etag})
    assert refused.status_code == 409
    assert url in refused.json()["parts"]


def test_adding_a_part_to_an_existing_report(client: TestClient, editor: dict[str, str]) -> None:
    stage = client.post(POST_STAGE, json=_stage(), headers=editor).json()
    total = stage["seizures"][0]
    base = {"source": "mvd-ksopn-15-years-2020", "locator": "¶8", "parent_id": total["id"]}
    url = f"/api/v1/stages/{stage['id']}/seizures"
    ok = client.post(url, json={**base, "substance": "opium", "quantity": "1 t"}, headers=editor)
    assert ok.status_code == 201, ok.text
    assert ok.json()["parent_id"] == total["id"]
    over = client.post(url, json={**base, "substance": "opium", "quantity": "1 t"}, headers=editor)
    assert over.status_code == 422, "1200 + 85.5 + 1000 + 1000 kg exceed 2500 kg"


def test_participations_are_added_corrected_and_removed(
    client: TestClient, editor: dict[str, str]
) -> None:
    stage = client.post(POST_STAGE, json=_stage(), headers=editor).json()
    added = client.post(
        f"/api/v1/stages/{stage['id']}/participations",
        json={
            "party": "interpol",
            "role": "observer",
            "source": "mvd-ksopn-15-years-2020",
            "locator": "¶6",
        },
        headers=editor,
    )
    assert added.status_code == 201, added.text
    url = added.headers["location"]
    etag = client.get(url).headers["etag"]
    patched = client.patch(
        url, json={"detail": "liaison officer"}, headers={**editor, "If-Match": etag}
    )
    assert patched.json()["party_detail"] == "liaison officer"
    gone = client.delete(url, headers={**editor, "If-Match": patched.headers["etag"]})
    assert gone.status_code == 204
    assert client.get(url).status_code == 404


def test_reads_can_be_closed_to_anonymous_callers(
    client: TestClient, database_url: str, editor: dict[str, str]
) -> None:
    app: Any = client.app
    app.state.settings = Settings(database_url=database_url, require_key_for_reads=True)
    assert client.get("/api/v1/operations").status_code == 401
    assert client.get("/api/v1/operations", headers=editor).status_code == 200
    assert client.get("/healthz").status_code == 200, "the health check stays open"


def test_the_docs_let_a_user_authorize(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    post = spec["paths"]["/api/v1/operations/{operation}/stages"]["post"]
    assert post["security"] == [{"HTTPBearer": []}]
    examples = post["requestBody"]["content"]["application/json"]["examples"]
    assert examples["stage"]["value"] == STAGE_EXAMPLE


def test_the_audit_log_pages_newest_first_and_filters_by_time(
    client: TestClient, editor: dict[str, str], admin: dict[str, str]
) -> None:
    client.post(POST_STAGE, json=_stage(), headers=editor)
    everything = client.get("/api/v1/audit?limit=1000", headers=admin).json()["items"]
    ids = [entry["id"] for entry in everything]
    assert ids == sorted(ids, reverse=True)
    assert all(entry["at"].endswith(("Z", "+00:00")) for entry in everything)

    paged: list[int] = []
    url: str | None = "/api/v1/audit?limit=3"
    while url:
        body = client.get(url, headers=admin).json()
        paged += [entry["id"] for entry in body["items"]]
        url = body["next"]
    assert paged == ids

    newest = everything[0]["at"]
    assert client.get("/api/v1/audit", params={"since": newest}, headers=admin).json()["items"]
    in_moscow = newest.replace("+00:00", "").replace("Z", "")
    later = client.get("/api/v1/audit", params={"since": in_moscow + "+03:00"}, headers=admin)
    assert later.json()["items"] == everything, "the same wall time in Moscow is 3 h earlier"
    old = client.get("/api/v1/audit", params={"until": "2000-01-01T00:00:00Z"}, headers=admin)
    assert old.json()["items"] == []


ODD = ["0", "-5", "99999999999999999999", "%00", "' OR 1=1 --", "x" * 300]


def test_no_write_endpoint_answers_500_to_odd_input(
    client: TestClient, editor: dict[str, str]
) -> None:
    """Every documented write, with odd path values and odd bodies, answers 4xx, never 5xx."""
    paths = client.get("/openapi.json").json()["paths"]
    bodies: list[Any] = [
        None,
        {},
        [],
        "text",
        {"number": -1},
        {"name": "\x00"},
        {"quantity": "1e999 kg"},
    ]
    checked = 0
    for template, methods in paths.items():
        for method in set(methods) & {"post", "patch", "delete"}:
            for value in ODD:
                url = re.sub(r"\{[^}]+\}", value, template)
                for body in bodies:
                    headers = {**editor, "If-Match": '"stale"'}
                    response = client.request(method, url, json=body, headers=headers)
                    assert response.status_code < 500, (method, url, body, response.text)
                    checked += 1
    assert checked > 300


def test_idempotency_keys_expire_after_their_time(
    client: TestClient, session: Session, editor: dict[str, str]
) -> None:
    headers = {**editor, "Idempotency-Key": "old-key"}
    client.post(POST_STAGE, json=_stage(), headers=headers)
    record = session.scalars(select(m.IdempotencyRecord)).one()
    record.created_at = record.created_at - timedelta(hours=49)
    session.flush()

    reused = client.post(POST_STAGE, json=_stage(number=32), headers=headers)
    assert reused.status_code == 201, "an expired key is free for a new request"
    old_hash = record.request_hash
    session.expire_all()
    assert session.scalars(select(m.IdempotencyRecord)).one().request_hash != old_hash


# -- a stage from a news page (issue 23) --------------------------------------------------

NEWS_SOURCE = {
    "slug": "news-page-2031",
    "url": "https://news.example/2031/channel",
    "title": "Итоги операции «Канал»",
    "publisher": "Example News",
    "published": {"date": "2031-06-02", "precision": "day"},
    "language": "ru",
    "kind": "press",
    "locator_scheme": "¶N is the N-th paragraph.",
}


def _news_stage() -> dict[str, Any]:
    return {
        "name_ru": "Канал – Пример",
        "start_on": "2031-05-20",
        "end_on": "2031-05-25",
        "headquarters": {"city_ru": "Бишкек", "country": "KGZ"},
        "new_source": NEWS_SOURCE,
        "source": "news-page-2031",
        "locator": "¶2",
        "results": [
            {
                "metric": "officers_involved",
                "unit": "officers",
                "as_reported": "свыше 22 тысяч сотрудников",
            },
            {"metric": "firearms", "as_reported": "115 единиц огнестрельного оружия"},
            {
                "metric": "firearms",
                "as_reported": "more than 120 firearms",
                "source": "mvd-ksopn-15-years-2020",
                "locator": "¶8",
                "version_of": 1,
            },
        ],
        "seizures": [{"substance": "controlled-substances", "quantity": "более 2 т"}],
        "seizure_versions": [
            {"of": 0, "quantity": "около 1,9 т", "source": "news-page-2031", "locator": "¶5"}
        ],
    }


def test_a_stage_from_a_news_page_is_posted_whole(
    client: TestClient, editor: dict[str, str]
) -> None:
    made = client.post(POST_STAGE, json=_news_stage(), headers=editor)
    assert made.status_code == 201, made.text
    stage = made.json()
    assert (stage["number"], stage["name_ru"], stage["name"]) == (
        None,
        "Канал – Пример",
        "Канал – Пример",
    )
    assert stage["headquarters"] == {"city_en": None, "city_ru": "Бишкек", "country": "KGZ"}
    officers, firearms = stage["results"]
    assert (officers["value"], officers["qualifier"]) == (22_000, "at_least")
    # The ministry's version ranks before the press's: it is used, the other shown.
    assert (firearms["value"], firearms["qualifier"]) == (120, "at_least")
    assert [v["value"] for v in firearms["alternatives"]] == [115]
    counted, version = stage["seizures"]
    assert (version["alternative_to"], version["amount"], version["qualifier"]) == (
        counted["id"],
        1_900_000,
        "about",
    )
    assert stage["sources_disagree"]
    source = client.get("/api/v1/sources/news-page-2031").json()
    assert (source["kind"], source["url"]) == ("press", NEWS_SOURCE["url"])


def test_a_version_from_a_higher_ranked_source_is_posted_as_the_figure(
    client: TestClient, editor: dict[str, str]
) -> None:
    body = _news_stage()
    body["seizure_versions"][0]["source"] = "mvd-ksopn-15-years-2020"
    refused = client.post(POST_STAGE, json=body, headers=editor)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["name"] == "seizure_versions[0].source"
    assert client.get("/api/v1/sources/news-page-2031").status_code == 404  # nothing kept
