"""Last-Modified and If-Modified-Since beside the ETags (app/http/modified.py): a read of
the registry's facts is dated by the time of their last change (data_version.changed_at,
migration 0017), and a date not before it is a 304 unless If-None-Match decides."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from app.deps import DATED_READ
from app.http import contract
from app.http.caching import dated_read
from app.http.modified import UNDATED, http_date, parse_http_date
from app.models import DataVersion
from app.models.versions import in_utc
from app.operations.schemas import STAGE_EXAMPLE
from app.settings import Settings

ENTITY = "/api/v1/countries/KGZ"
READS = (
    ENTITY,
    "/api/v1/countries",
    "/api/v1/countries.csv",
    "/api/v1/seizures?year=2018",
    "/api/v1/seizures/totals?group_by=year",
    "/api/v1/search?q=Kyrgyzstan",
    "/api/v1/search",
)
OLD = datetime(2020, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)
OLD_DATE = "Sun, 01 Mar 2020 12:00:00 GMT"


@pytest.fixture
def changed_in_2020(session: Session) -> None:
    """The facts last changed at a known time, long ago (the client's sessions share the
    test's transaction, so they see it)."""
    session.execute(update(DataVersion).values(changed_at=OLD))
    session.flush()


def _changed_at(session: Session) -> datetime:
    session.expire_all()
    return in_utc(session.execute(select(DataVersion.changed_at)).scalar_one())


@pytest.mark.parametrize("url", READS)
def test_a_read_of_the_facts_carries_the_time_of_their_last_change(
    client: TestClient, changed_in_2020: None, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["last-modified"] == OLD_DATE  # the second the change fell in
    assert "etag" in response.headers
    assert client.head(url).headers["last-modified"] == OLD_DATE


@pytest.mark.parametrize("url", READS)
def test_a_date_at_or_after_the_change_is_304_with_no_body(
    client: TestClient, changed_in_2020: None, url: str
) -> None:
    for since in (OLD_DATE, "Mon, 02 Mar 2020 00:00:00 GMT", http_date(datetime.now(UTC))):
        again = client.get(url, headers={"If-Modified-Since": since})
        assert again.status_code == 304, (url, since)
        assert again.content == b""
        assert again.headers["last-modified"] == OLD_DATE
        assert again.headers["etag"] == client.get(url).headers["etag"]


def test_a_date_before_the_change_is_200(client: TestClient, changed_in_2020: None) -> None:
    before = client.get(ENTITY, headers={"If-Modified-Since": "Sun, 01 Mar 2020 11:59:59 GMT"})
    assert before.status_code == 200
    assert before.json()["iso3"] == "KGZ"


def test_after_a_write_the_time_moves_and_the_old_date_is_200(
    client: TestClient, session: Session, changed_in_2020: None, editor: dict[str, str]
) -> None:
    assert client.get(ENTITY, headers={"If-Modified-Since": OLD_DATE}).status_code == 304
    stage = client.post(
        "/api/v1/operations/channel/stages",
        json=STAGE_EXAMPLE,
        headers=editor,
    )
    assert stage.status_code == 201, stage.text
    changed = _changed_at(session)
    assert changed > OLD
    assert changed <= datetime.now(UTC)
    read = client.get(ENTITY, headers={"If-Modified-Since": OLD_DATE})
    assert read.status_code == 200
    assert read.headers["last-modified"] == http_date(changed.replace(microsecond=0))


def test_sql_by_hand_moves_the_time_too(session: Session, changed_in_2020: None) -> None:
    session.execute(text("UPDATE countries SET name_en = name_en WHERE iso3 = 'KGZ'"))
    assert _changed_at(session) > OLD


def test_the_time_never_goes_back(session: Session) -> None:
    """A clock set back must not make a change look older than one a client holds."""
    ahead = datetime.now(UTC) + timedelta(days=1)
    session.execute(update(DataVersion).values(changed_at=ahead))
    session.execute(text("UPDATE countries SET name_en = name_en WHERE iso3 = 'KGZ'"))
    assert _changed_at(session) == ahead


def test_a_time_ahead_of_the_clock_is_sent_as_now(client: TestClient, session: Session) -> None:
    """RFC 9110 8.8.2.1: never a Last-Modified later than the message's date."""
    session.execute(update(DataVersion).values(changed_at=datetime.now(UTC) + timedelta(days=1)))
    sent = parse_http_date(client.get(ENTITY).headers["last-modified"])
    assert sent is not None
    assert sent <= datetime.now(UTC)


def test_if_none_match_wins_over_if_modified_since(
    client: TestClient, changed_in_2020: None
) -> None:
    etag = client.get(ENTITY).headers["etag"]
    stale = client.get(ENTITY, headers={"If-None-Match": '"other"', "If-Modified-Since": OLD_DATE})
    assert stale.status_code == 200
    early = "Sat, 01 Jan 2000 00:00:00 GMT"
    held = client.get(ENTITY, headers={"If-None-Match": etag, "If-Modified-Since": early})
    assert held.status_code == 304


@pytest.mark.parametrize(
    "since",
    [
        "yesterday",
        "2026-12-06T07:00:00Z",
        "Sun, 01 Mar 2020 12:00:00 UTC",
        "Mon, 30 Feb 2026 12:00:00 GMT",
        f"{OLD_DATE}, {OLD_DATE}",
        "",
    ],
)
def test_a_bad_date_is_ignored(client: TestClient, changed_in_2020: None, since: str) -> None:
    response = client.get(ENTITY, headers={"If-Modified-Since": since})
    assert response.status_code == 200
    assert response.headers["last-modified"] == OLD_DATE


def test_only_reads_are_conditional_on_the_date(
    client: TestClient, changed_in_2020: None, editor: dict[str, str]
) -> None:
    posted = client.post(
        "/api/v1/operations/channel/stages",
        json=STAGE_EXAMPLE,
        headers={**editor, "If-Modified-Since": http_date(datetime.now(UTC))},
    )
    assert posted.status_code == 201
    assert "last-modified" not in posted.headers


def test_the_audit_log_is_not_dated(
    client: TestClient, changed_in_2020: None, admin: dict[str, str]
) -> None:
    """It shows the staff's tables, which the data version does not follow."""
    log = client.get("/api/v1/audit", headers=admin)
    assert log.status_code == 200
    assert "last-modified" not in log.headers
    since = http_date(datetime.now(UTC))
    again = client.get("/api/v1/audit", headers={**admin, "If-Modified-Since": since})
    assert again.status_code == 200


def test_the_three_forms_of_http_date() -> None:
    """RFC 9110 5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms."""
    moment = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == moment
    assert parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == moment
    assert parse_http_date("Sun Nov  6 08:49:37 1994") == moment
    assert http_date(moment) == "Sun, 06 Nov 1994 08:49:37 GMT"


def _dated(route: APIRoute) -> bool:
    request = Request({"type": "http", "method": "GET", "route": route, "headers": []})
    asyncio.run(dated_read(request))
    return bool(getattr(request.state, DATED_READ, False))


def test_a_public_read_of_no_fact_says_so_on_its_route() -> None:
    """`UNDATED`: a table the data version does not follow (releases, say) is not dated,
    and its operation documents neither Last-Modified nor If-Modified-Since."""

    def read() -> None:
        """A read."""

    assert _dated(APIRoute("/api/v1/facts", read))
    assert not _dated(APIRoute("/api/v1/other", read, openapi_extra=UNDATED))
    document: dict[str, Any] = {"paths": {}}
    for path, extra in (("/api/v1/facts", {}), ("/api/v1/other", UNDATED)):
        document["paths"][path] = {
            "get": {
                "responses": {"200": {"description": "ok"}},
                "security": [{"HTTPBearer": []}],
                **extra,
            }
        }
    contract.complete(document, Settings())
    for path, dated in (("/api/v1/facts", True), ("/api/v1/other", False)):
        operation = document["paths"][path]["get"]
        assert "x-ksopn-undated" not in operation
        parameters = {parameter["name"] for parameter in operation["parameters"]}
        assert ("If-Modified-Since" in parameters) == dated
        for status in ("200", "304"):
            assert ("Last-Modified" in operation["responses"][status]["headers"]) == dated
