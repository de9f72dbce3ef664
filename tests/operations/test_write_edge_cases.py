"""Edge cases of the write path found in review, each pinned down."""

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.db import ConnectionBudget, Lanes
from app.deps import get_session, get_write_session, session_scope
from app.operations.schemas import STAGE_EXAMPLE

POST_STAGE = "/api/v1/operations/channel/stages"
CITE = {"source": "mvd-ksopn-15-years-2020", "locator": "¶8"}


def _names(response: Any) -> set[str]:
    return {error["name"] for error in response.json().get("errors", [])}


def _edit(client: TestClient, url: str, body: Any, editor: dict[str, str]) -> Any:
    etag = client.get(url).headers["etag"]
    return client.patch(url, json=body, headers={**editor, "If-Match": etag})


@pytest.fixture
def stage(client: TestClient, editor: dict[str, str]) -> dict[str, Any]:
    response = client.post(POST_STAGE, json=STAGE_EXAMPLE, headers=editor)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class _RecordingSession:
    """Stands in for a Session and records how the request's session dependency ends it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def commit(self) -> None:
        self.calls.append("commit")

    def rollback(self) -> None:
        self.calls.append("rollback")

    def close(self) -> None:
        self.calls.append("close")


def _request_with(session: _RecordingSession) -> Any:
    lanes = Lanes(ConnectionBudget.for_threads(1))
    state = type("State", (), {"sessionmaker": lambda self: session, "lanes": lanes})()
    app = type("App", (), {"state": state})()
    return type("Request", (), {"app": app, "state": type("RequestState", (), {})()})()


def test_a_failed_request_rolls_back_before_its_error_leaves_the_dependency() -> None:
    """The handler's error reaches the session scope at once: its rollback is not left to the
    garbage collector, which would hold the connection and run the rollback during a later
    request (on a shared test connection it broke that request's savepoint)."""
    session = _RecordingSession()

    async def fail_a_request() -> None:
        dependency = get_session(_request_with(session))
        await dependency.__anext__()
        with pytest.raises(LookupError):
            await dependency.athrow(LookupError("the handler failed"))

    anyio.run(fail_a_request)
    assert session.calls == ["rollback", "close"]


def test_a_successful_request_commits_and_closes() -> None:
    session = _RecordingSession()

    async def succeed() -> None:
        dependency = get_session(_request_with(session))
        await dependency.__anext__()
        with pytest.raises(StopAsyncIteration):
            await dependency.__anext__()

    anyio.run(succeed)
    assert session.calls == ["commit", "close"]


def test_a_request_cancelled_at_its_end_still_ends_its_session() -> None:
    """A cancellation (the client gone, the server stopping) as the handler returns must not
    leave the transaction open: on SQLite a write session holds the write lock."""
    session = _RecordingSession()

    async def cancelled_as_it_ends() -> None:
        with anyio.CancelScope() as scope:
            async with session_scope(session):  # type: ignore[arg-type]
                scope.cancel()

    anyio.run(cancelled_as_it_ends)
    assert session.calls == ["commit", "close"]


def test_a_failed_commit_is_never_acknowledged(
    client: TestClient, connection: Any, editor: dict[str, str]
) -> None:
    """The session commits before the response is sent: a commit that fails is an error."""

    async def failing_commit() -> AsyncIterator[Session]:
        session = Session(bind=connection, join_transaction_mode="create_savepoint")

        def commit() -> None:
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

        session.commit = commit  # type: ignore[method-assign]
        async with session_scope(session) as scoped:
            yield scoped

    app: Any = client.app
    app.dependency_overrides[get_write_session] = failing_commit
    source = {
        "slug": "lost-source",
        "title": "T",
        "publisher": "P",
        "language": "en",
        "locator_scheme": "¶N",
    }
    response = client.post("/api/v1/sources", json=source, headers=editor)
    assert response.status_code == 503
    assert response.headers["retry-after"]


@pytest.mark.parametrize(
    "url", ["/api/v1/operations/²", "/api/v1/organizations/¹", "/api/v1/seizures?operation=³"]
)
def test_non_ascii_digits_are_not_ids(client: TestClient, url: str) -> None:
    assert client.get(url).status_code in (404, 422)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("stage", {"locator": None}, "locator"),
        ("seizure", {"period_start": None}, "period_start"),
        ("seizure", {"quantity": None}, "quantity"),
        ("participation", {"role": None}, "role"),
        ("organization", {"aliases_en": None}, "aliases_en"),
        ("organization", {"name_en": None}, "name_en"),
    ],
)
def test_explicit_null_for_a_required_field_is_named(
    client: TestClient,
    editor: dict[str, str],
    stage: dict[str, Any],
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    urls = {
        "stage": f"/api/v1/stages/{stage['id']}",
        "seizure": f"/api/v1/seizures/{stage['seizures'][1]['id']}",
        "participation": f"/api/v1/participations/{stage['participants'][0]['id']}",
        "organization": "/api/v1/organizations/unodc",
    }
    response = _edit(client, urls[path], body, editor)
    assert response.status_code == 422, response.text
    assert field in _names(response)


def test_an_absurd_quantity_is_refused(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any]
) -> None:
    response = client.post(
        f"/api/v1/stages/{stage['id']}/seizures",
        json={**CITE, "substance": "heroin", "quantity": "99999999999999999999999999 t"},
        headers=editor,
    )
    assert response.status_code == 422
    assert "quantity" in _names(response), "named without a leading dot"


def test_deeply_nested_json_is_a_client_error(client: TestClient, editor: dict[str, str]) -> None:
    body = '{"slug": ' + "[" * 300 + "]" * 300 + "}"
    response = client.post(
        "/api/v1/sources",
        content=body,
        headers={**editor, "Content-Type": "application/json", "Idempotency-Key": "deep"},
    )
    assert 400 <= response.status_code < 500


def test_audit_times_out_of_range_are_named(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get(
        "/api/v1/audit", params={"since": "9999-12-31T23:59:59-23:59"}, headers=admin
    )
    assert response.status_code == 422
    assert "since" in _names(response)


def test_outside_stage_is_remembered(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any]
) -> None:
    made = client.post(
        f"/api/v1/stages/{stage['id']}/seizures",
        json={
            **CITE,
            "substance": "heroin",
            "quantity": "3 kg",
            "period_start": "2021-01-01",
            "outside_stage": True,
        },
        headers=editor,
    )
    assert made.status_code == 201, made.text
    assert made.json()["outside_stage"] is True
    assert _edit(client, made.headers["location"], {"cases": 3}, editor).status_code == 200


def test_stage_dates_cannot_leave_its_reports_outside(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any]
) -> None:
    response = _edit(client, f"/api/v1/stages/{stage['id']}", {"end_on": "2021-05-15"}, editor)
    assert response.status_code == 422
    assert "end_on" in _names(response)
    wider = _edit(client, f"/api/v1/stages/{stage['id']}", {"end_on": "2021-05-31"}, editor)
    assert wider.status_code == 200


def test_a_new_quantity_keeps_the_qualifier(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any]
) -> None:
    total_url = f"/api/v1/seizures/{stage['seizures'][0]['id']}"
    assert client.get(total_url).json()["qualifier"] == "at_least"
    changed = _edit(client, total_url, {"quantity": "2 t 600 kg"}, editor)
    assert changed.status_code == 200, changed.text
    assert changed.json()["qualifier"] == "at_least"
    contradiction = _edit(
        client, total_url, {"qualifier": "about", "quantity": "more than 3 t"}, editor
    )
    assert "quantity" in _names(contradiction)
    only_qualifier = _edit(
        client, f"/api/v1/seizures/{stage['seizures'][1]['id']}", {"qualifier": "about"}, editor
    )
    assert only_qualifier.json()["qualifier"] == "about"


@pytest.mark.parametrize("slug", ["1", "2021", "5-7"])
def test_slugs_need_a_letter(client: TestClient, editor: dict[str, str], slug: str) -> None:
    body = {"slug": slug, "kind": "international_organization", "name_en": "N", "name_ru": "Н"}
    response = client.post("/api/v1/organizations", json=body, headers=editor)
    assert response.status_code == 422
    assert "slug" in _names(response)


def test_a_taken_slug_is_named(client: TestClient, editor: dict[str, str]) -> None:
    body = {"slug": "unodc", "kind": "international_organization", "name_en": "N", "name_ru": "Н"}
    response = client.post("/api/v1/organizations", json=body, headers=editor)
    assert response.status_code == 409
    assert _names(response) == {"slug"}


def test_if_match_compares_strongly(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any]
) -> None:
    url = f"/api/v1/stages/{stage['id']}"
    etag = client.get(url).headers["etag"]
    weak = client.patch(url, json={"name": "x"}, headers={**editor, "If-Match": f"W/{etag}"})
    assert weak.status_code == 412
    assert client.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304


def test_organizations_cannot_become_their_own_ancestors(
    client: TestClient, editor: dict[str, str]
) -> None:
    # csto-secretariat's parent is csto; making csto a child of the secretariat closes a loop
    response = _edit(client, "/api/v1/organizations/csto", {"parent": "csto-secretariat"}, editor)
    assert response.status_code == 422
    assert "parent" in _names(response)


def test_a_stage_end_can_be_opened_while_it_holds_reports(
    client: TestClient, editor: dict[str, str]
) -> None:
    posted = client.post("/api/v1/operations/channel/stages", json=STAGE_EXAMPLE, headers=editor)
    assert posted.status_code == 201, posted.text
    stage = posted.json()
    opened = client.patch(
        f"/api/v1/stages/{stage['id']}",
        json={"end_on": None},
        headers={**editor, "If-Match": "*"},
    )
    assert opened.status_code == 200, opened.text
    assert opened.json()["end_on"] is None
