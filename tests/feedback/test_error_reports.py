"""Error reports (app/feedback/, app/pages/feedback.py): anyone reports an error on a page,
without a key and without scripts; staff review; the contact stays with staff; a client
has its share of reports; a report changes no record."""

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEntry, ErrorReport, ErrorReportSender
from app.models.versions import data_version

API = "/api/v1/error-reports"
PAGE = "/operations/channel"
CONTACT = "reader@example.org"
REPORT = {
    "page": PAGE,
    "what_is_wrong": "The heroin total of the 2018 stage is ten times the source's.",
    "source_says": "4.2 kg of heroin",
    "source_url": "https://example.org/press/2018",
    "contact": CONTACT,
}
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ErrorReport)) or 0


@pytest.fixture
def limit_of_three(client: TestClient) -> None:
    """Three reports a client (the fixture puts the app's state back afterwards)."""
    app: Any = client.app
    app.state.settings = app.state.settings.model_copy(update={"error_report_limit": 3})


@pytest.fixture
def other_client(client: TestClient) -> Iterator[TestClient]:
    """Another address, on the same app and the same test transaction."""
    other = TestClient(client.app, raise_server_exceptions=False, client=("203.0.113.9", 4000))
    other.headers["Accept-Encoding"] = "identity"
    yield other
    other.close()


# -- the form, without scripts --------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "title", "thanks"),
    [("en", "Report an error", "Thank you"), ("ru", "Сообщить об ошибке", "Спасибо")],
)
def test_the_form_posts_and_redirects_to_thanks_in_both_languages(
    client: TestClient, session: Session, lang: str, title: str, thanks: str
) -> None:
    form = client.get(f"/report-error?page={PAGE}&lang={lang}")
    assert form.status_code == 200
    assert title in form.text
    assert f'value="{PAGE}"' in form.text
    assert "<script" not in form.text
    sent = client.post(
        f"/report-error?lang={lang}",
        content=f"page=%2Foperations%2Fchannel&what_is_wrong=Wrong+total+here&source_says="
        f"&source_url=&contact={CONTACT}&website=",
        headers=FORM_HEADERS,
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].startswith("/report-error/thanks?")
    page = client.get(sent.headers["location"])
    assert page.status_code == 200
    assert thanks in page.text
    assert f'href="{PAGE}?lang={lang}"' in page.text
    assert CONTACT not in page.text
    row = session.scalars(select(ErrorReport)).one()
    assert (row.page, row.status, row.language, row.contact) == (PAGE, "pending", lang, CONTACT)
    assert row.source_says is None  # an empty field is one not filled in


def test_pages_with_figures_link_to_the_form_with_their_path(client: TestClient) -> None:
    for url in ("/operations/channel?lang=ru", "/?year=2018", "/countries/KGZ"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "/report-error?page=" in page.text, url
    russian = client.get("/operations/channel?lang=ru").text
    assert "page=%2Foperations%2Fchannel&amp;lang=ru" in russian
    assert "page=%2F%3Fyear%3D2018&amp;lang=en" in client.get("/?year=2018").text


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_form_says_what_to_correct_in_the_pages_language(
    client: TestClient, session: Session, lang: str
) -> None:
    sent = client.post(
        f"/report-error?lang={lang}",
        content="page=https%3A%2F%2Fevil.example%2F&what_is_wrong=x&source_url=ftp%3A%2F%2Fa",
        headers=FORM_HEADERS,
        follow_redirects=False,
    )
    assert sent.status_code == 422
    words = {
        "en": ("a path of this site", "at least 5 characters", "http:// or https://"),
        "ru": ("путь на этом сайте", "5", "http:// или https://"),
    }[lang]
    for word in words:
        assert word in sent.text, word
    assert 'value="https://evil.example/"' in sent.text  # what was typed stays
    assert _count(session) == 0


def test_a_filled_in_trap_field_is_thanked_and_not_kept(
    client: TestClient, session: Session
) -> None:
    sent = client.post(
        "/report-error",
        content="page=%2F&what_is_wrong=Buy+cheap+things&website=http%3A%2F%2Fspam.example",
        headers=FORM_HEADERS,
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert _count(session) == 0
    assert session.scalar(select(ErrorReportSender.reports)) == 1  # but counted


def test_the_form_refuses_fields_it_does_not_have(client: TestClient, session: Session) -> None:
    sent = client.post(
        "/report-error",
        content="page=%2F&what_is_wrong=Wrong+total&status=accepted",
        headers=FORM_HEADERS,
    )
    assert sent.status_code == 422
    assert "status" in sent.text
    assert _count(session) == 0


# -- the API -------------------------------------------------------------------------


def test_anyone_reports_by_json_and_is_not_shown_the_contact(
    client: TestClient, session: Session
) -> None:
    version = data_version(session)
    sent = client.post(API, json=REPORT, headers={"Accept-Language": "ru"})
    assert sent.status_code == 202, sent.text
    body = sent.json()
    assert set(body) == {"id", "status", "page", "created_at"}
    assert body["status"] == "pending"
    assert CONTACT not in sent.text
    row = session.get(ErrorReport, body["id"])
    assert row is not None
    assert row.language == "ru"
    assert data_version(session) == version  # a report is no fact: no record changed


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"what_is_wrong": "x" * 2001}, "what_is_wrong", "at most 2000 characters"),
        ({"what_is_wrong": "bad"}, "what_is_wrong", "at least 5 characters"),
        ({"source_says": "y" * 2001}, "source_says", "at most 2000 characters"),
        ({"contact": "z" * 201}, "contact", "at most 200 characters"),
        ({"page": "x" * 501}, "page", "at most 500 characters"),
        ({"page": "//evil.example/x"}, "page", "a path of this site"),
        ({"page": "/no/such/page"}, "page", "this site has no page"),
        ({"source_url": "javascript:alert(1)"}, "source_url", "http:// or https://"),
        ({"status": "accepted"}, "status", "Extra inputs are not permitted"),
    ],
)
def test_limits_and_forms_are_422_naming_the_field(
    client: TestClient, session: Session, change: dict[str, str], field: str, words: str
) -> None:
    sent = client.post(API, json={**REPORT, **change})
    assert sent.status_code == 422, sent.text
    errors = sent.json()["errors"]
    assert [e["name"] for e in errors] == [field]
    assert words in errors[0]["message"]
    assert _count(session) == 0


def test_what_is_wrong_is_required(client: TestClient) -> None:
    sent = client.post(API, json={"page": PAGE})
    assert sent.status_code == 422
    assert [e["name"] for e in sent.json()["errors"]] == ["what_is_wrong"]


def test_a_client_has_its_share_and_another_is_not_held_back(
    client: TestClient, other_client: TestClient, session: Session, limit_of_three: None
) -> None:
    for _ in range(3):
        assert client.post(API, json=REPORT).status_code == 202
    refused = client.post(API, json=REPORT)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert refused.json()["retry_after"] == int(refused.headers["retry-after"])
    form = client.post(
        "/report-error?lang=ru",
        content="page=%2F&what_is_wrong=Wrong+total",
        headers=FORM_HEADERS,
        follow_redirects=False,
    )
    assert form.status_code == 429
    assert "retry-after" in form.headers
    assert "отправьте ещё через" in form.text
    assert _count(session) == 3
    assert other_client.post(API, json=REPORT).status_code == 202
    assert _count(session) == 4


def test_the_count_is_in_the_database_for_every_process(
    client: TestClient, session: Session, limit_of_three: None
) -> None:
    """Another process's reports are counted: rows of error_report_senders, not memory."""
    session.add(ErrorReportSender(client="testclient", reports=3, window_started_at=time.time()))
    session.flush()
    assert client.post(API, json=REPORT).status_code == 429


# -- staff ---------------------------------------------------------------------------


def _report(client: TestClient) -> int:
    sent = client.post(API, json=REPORT)
    assert sent.status_code == 202
    return int(sent.json()["id"])


def test_no_key_no_list(client: TestClient) -> None:
    report = _report(client)
    for url in (API, f"{API}?status=pending", f"{API}/{report}"):
        refused = client.get(url)
        assert refused.status_code == 401, url
        assert CONTACT not in refused.text
    assert client.post(f"{API}/{report}/reject", json={"note": "no"}).status_code == 401


def test_staff_list_read_and_filter_with_the_contact(
    client: TestClient, editor: dict[str, str]
) -> None:
    first, second = _report(client), _report(client)
    listed = client.get(f"{API}?status=pending&limit=1", headers=editor)
    assert listed.status_code == 200
    page = listed.json()
    assert [item["id"] for item in page["items"]] == [first]
    assert page["items"][0]["contact"] == CONTACT
    assert page["next"] is not None
    assert client.get(page["next"], headers=editor).json()["items"][0]["id"] == second
    assert "last-modified" not in listed.headers  # not the registry's facts
    assert listed.headers["cache-control"] == "no-store"
    one = client.get(f"{API}/{first}", headers=editor)
    assert one.json()["what_is_wrong"] == REPORT["what_is_wrong"]
    assert client.get(f"{API}?status=accepted", headers=editor).json()["items"] == []
    assert client.get(f"{API}?status=done", headers=editor).status_code == 422
    unknown = client.get(f"{API}?state=pending", headers=editor)
    assert unknown.status_code == 422
    assert "state" in unknown.text


def test_accepting_links_the_correction_and_is_audited_without_the_contact(
    client: TestClient, session: Session, editor: dict[str, str], admin: dict[str, str]
) -> None:
    report = _report(client)
    changed = client.patch(
        "/api/v1/countries/KGZ", json={"name_en": "Kyrgyzstan"}, headers={**editor, "If-Match": "*"}
    )
    correction = session.scalar(select(func.max(AuditEntry.id)))
    version = data_version(session)
    accepted = client.post(
        f"{API}/{report}/accept",
        json={
            "note": "Corrected from the source.",
            "correction_audit_id": correction,
            "correction_path": "/api/v1/countries/KGZ",
        },
        headers=editor,
    )
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["status"] == "accepted"
    assert body["reviewed_by"] == "secretariat-editor"
    assert body["correction_audit_id"] == correction
    assert data_version(session) == version  # accepting changes no record
    entry = client.get("/api/v1/audit?entity=error_reports", headers=admin).json()["items"][0]
    assert entry["entity_id"] == report
    assert entry["action"] == "update"
    assert entry["before"]["status"] == "pending"
    assert entry["after"]["status"] == "accepted"
    assert "contact" not in entry["before"]
    assert "contact" not in entry["after"]
    again = client.post(f"{API}/{report}/reject", json={"note": "no"}, headers=editor)
    assert again.status_code == 409
    assert again.json()["status"] == 409  # a problem, whose status is the HTTP one
    assert "accepted already" in again.json()["detail"]
    del changed


def test_rejecting_needs_a_note_and_a_real_report(
    client: TestClient, editor: dict[str, str]
) -> None:
    report = _report(client)
    assert client.post(f"{API}/{report}/reject", json={}, headers=editor).status_code == 422
    assert (
        client.post(f"{API}/999999/reject", json={"note": "x"}, headers=editor).status_code == 404
    )
    bad = client.post(
        f"{API}/{report}/accept", json={"note": "x", "correction_audit_id": 999999}, headers=editor
    )
    assert bad.status_code == 422
    rejected = client.post(
        f"{API}/{report}/reject", json={"note": "The source says so."}, headers=editor
    )
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"


@pytest.mark.parametrize(
    ("lang", "heading"),
    [("en", "Error reports from readers"), ("ru", "Сообщения читателей об ошибках")],
)
def test_the_staff_form_offers_the_pending_reports(
    client: TestClient, lang: str, heading: str
) -> None:
    """The staff form lists them with the key typed into it (its script calls the API)."""
    page = client.get(f"/staff?lang={lang}").text
    assert heading in page
    assert 'id="reports-load"' in page
    messages = json.loads(page.split('id="staff-messages">')[1].split("</script>")[0])
    assert messages["reportAccept"] == {"en": "Accept", "ru": "Принять"}[lang]
