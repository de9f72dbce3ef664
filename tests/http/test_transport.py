"""The HTTP layer every route shares: HEAD, compression and its ETags, conditional exports,
content negotiation (406, 415), caching headers, keys on reads, links and hosts."""

import gzip
import logging
import time
from collections.abc import Callable, Iterator

import brotli
import httpx
import pytest
import zstandard
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette_compress import CompressMiddleware

from app.http.transport import (
    MINIMUM_COMPRESSED_BYTES,
    REMEMBERED_BYTES,
    RESPONDERS,
    CompressedBodies,
)
from app.main import create_app
from app.models.versions import data_version
from app.operations.schemas import STAGE_EXAMPLE
from app.settings import Settings
from tests.helpers import PROBLEM

LIST = "/api/v1/seizures?limit=20"
IDENTITY = {"Accept-Encoding": "identity"}


def plain(client: TestClient, url: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """A GET, and its body as the server sent it (httpx would decode it)."""
    with client.stream("GET", url, headers=headers) as response:
        return response, b"".join(response.iter_raw())


@pytest.fixture
def stage_url(client: TestClient, editor: dict[str, str]) -> str:
    """A stage to correct (the seed has none): the documented example, posted."""
    posted = client.post("/api/v1/operations/channel/stages", json=STAGE_EXAMPLE, headers=editor)
    assert posted.status_code == 201, posted.text
    location: str = posted.headers["location"]
    return location


# --- HEAD -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [LIST, "/api/v1/seizures/totals?group_by=year", "/api/v1/operations/channel", "/healthz"],
)
def test_head_is_answered_wherever_get_is_with_gets_headers(client: TestClient, url: str) -> None:
    got = client.get(url, headers=IDENTITY)
    head = client.head(url, headers=IDENTITY)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-length", "etag", "cache-control", "vary"):
        assert head.headers.get(name) == got.headers.get(name), name


def test_head_of_an_export_sends_headers_and_stops(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    head = client.head("/api/v1/seizures?format=csv")
    assert not caplog.records  # stopped as a client that went away, not by an error
    assert head.status_code == 200
    assert head.headers["content-type"] == "text/csv; charset=utf-8"
    assert head.headers["content-disposition"].startswith("attachment")
    assert head.content == b""


def test_head_of_a_missing_entity_is_404_without_body(client: TestClient) -> None:
    head = client.head("/api/v1/seizures/999999")
    assert head.status_code == 404
    assert head.content == b""


# --- compression ----------------------------------------------------------------------


DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "zstd": zstandard.decompress,
    "br": brotli.decompress,
}


@pytest.mark.parametrize("coding", DECODERS)
def test_a_page_is_compressed_when_the_client_accepts_it(client: TestClient, coding: str) -> None:
    _, identity = plain(client, LIST, **IDENTITY)
    coded, raw = plain(client, LIST, **{"Accept-Encoding": coding})
    assert coded.headers["content-encoding"] == coding
    assert "Accept-Encoding" in coded.headers["vary"]
    assert len(raw) * 3 < len(identity)
    assert DECODERS[coding](raw) == identity


def test_no_compression_without_accept_encoding(client: TestClient) -> None:
    response, _ = plain(client, LIST, **IDENTITY)
    assert "content-encoding" not in response.headers
    assert "Accept-Encoding" in response.headers["vary"]


def test_a_compressed_representation_has_its_own_strong_etag(client: TestClient) -> None:
    identity = client.get(LIST, headers=IDENTITY).headers["etag"]
    gzipped = client.get(LIST, headers={"Accept-Encoding": "gzip"}).headers["etag"]
    zstd = client.get(LIST, headers={"Accept-Encoding": "zstd"}).headers["etag"]
    assert len({identity, gzipped, zstd}) == 3
    assert gzipped == identity[:-1] + '-gzip"'
    assert not gzipped.startswith("W/")


def test_revalidating_a_compressed_page_gives_304_with_the_tag_held(client: TestClient) -> None:
    gzip_only = {"Accept-Encoding": "gzip"}
    etag = client.get(LIST, headers=gzip_only).headers["etag"]
    again = client.get(LIST, headers={**gzip_only, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["etag"] == etag
    assert again.content == b""


def test_a_streamed_export_is_compressed(client: TestClient) -> None:
    _, identity = plain(client, "/api/v1/seizures?format=csv", **IDENTITY)
    coded, raw = plain(client, "/api/v1/seizures?format=csv", **{"Accept-Encoding": "gzip"})
    assert coded.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == identity


def test_if_match_takes_the_tag_of_a_compressed_read(
    client: TestClient, editor: dict[str, str], stage_url: str
) -> None:
    url = stage_url
    etag = client.get(url, headers={"Accept-Encoding": "gzip"}).headers["etag"]
    assert etag.endswith('-gzip"')
    patched = client.patch(
        url, json={"description": "checked"}, headers={**editor, "If-Match": etag}
    )
    assert patched.status_code == 200, patched.text


# --- conditional exports ----------------------------------------------------------------


def test_an_export_has_an_etag_and_answers_304(client: TestClient) -> None:
    url = "/api/v1/seizures?format=csv&year=2018"
    first = client.get(url, headers=IDENTITY)
    etag = first.headers["etag"]
    again = client.get(url, headers={**IDENTITY, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = client.get("/api/v1/seizures?format=csv&year=2019", headers=IDENTITY)
    assert other.headers["etag"] != etag


def test_an_export_tag_changes_when_the_data_does(
    client: TestClient, editor: dict[str, str], stage_url: str
) -> None:
    url = "/api/v1/seizures?format=ndjson"
    etag = client.get(url).headers["etag"]
    stage = client.get(stage_url)
    changed = client.patch(
        stage_url,
        json={"description": "a change"},
        headers={**editor, "If-Match": stage.headers["etag"]},
    )
    assert changed.status_code == 200
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_every_write_bumps_the_data_version_bulk_sql_included(session: Session) -> None:
    before = data_version(session)
    session.execute(text("UPDATE countries SET name_en = name_en WHERE iso3 = 'KGZ'"))
    after_update = data_version(session)
    assert after_update > before
    session.execute(text("UPDATE sources SET title = title"))
    assert data_version(session) > after_update


# --- negotiation ------------------------------------------------------------------------


def test_an_accept_the_route_cannot_meet_is_406_naming_what_it_offers(client: TestClient) -> None:
    response = client.get(LIST, headers={"Accept": "application/xml"})
    assert response.status_code == 406
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["available_media_types"] == ["application/json", "text/csv", "application/x-ndjson"]
    assert "application/xml" in body["detail"]
    single = client.get("/api/v1/operations/channel", headers={"Accept": "text/csv"})
    assert single.status_code == 406
    assert single.json()["available_media_types"] == ["application/json"]


@pytest.mark.parametrize(
    "accept",
    ["*/*", "application/*", "application/json;q=0.5, text/html", "text/html, */*;q=0.1", ""],
)
def test_an_accept_that_allows_json_gets_json(client: TestClient, accept: str) -> None:
    response = client.get("/api/v1/operations/channel", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"


def test_json_refused_with_q0_is_406(client: TestClient) -> None:
    response = client.get(
        "/api/v1/operations/channel", headers={"Accept": "*/*, application/json;q=0"}
    )
    assert response.status_code == 406


def test_a_list_varies_on_accept_a_single_entity_does_not(client: TestClient) -> None:
    assert "Accept" in client.get(LIST).headers["vary"].split(", ")
    single = client.get("/api/v1/operations/channel", headers=IDENTITY)
    assert "Accept" not in single.headers.get("vary", "").split(", ")


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "application/json; charset=latin-1"],
)
def test_a_body_that_is_not_json_is_415(
    client: TestClient, editor: dict[str, str], content_type: str
) -> None:
    response = client.post(
        "/api/v1/operations/channel/stages",
        content=b'{"number": 90}',
        headers={**editor, "Content-Type": content_type},
    )
    assert response.status_code == 415, response.text
    assert response.headers["accept-post"] == "application/json"
    assert content_type in response.json()["detail"]


def test_a_merge_patch_json_body_is_json(
    client: TestClient, editor: dict[str, str], stage_url: str
) -> None:
    stage = client.get(stage_url)
    response = client.patch(
        stage_url,
        content=b'{"description": "via merge-patch"}',
        headers={
            **editor,
            "Content-Type": "application/merge-patch+json",
            "If-Match": stage.headers["etag"],
        },
    )
    assert response.status_code == 200, response.text


# --- caching headers --------------------------------------------------------------------


def test_public_reads_may_be_cached_briefly_and_revalidated(client: TestClient) -> None:
    for url in (LIST, "/api/v1/operations/channel", "/api/v1/seizures?format=csv"):
        assert client.get(url).headers["cache-control"] == "public, max-age=60, must-revalidate"


def test_the_audit_log_errors_writes_and_health_are_not_stored(
    client: TestClient, admin: dict[str, str], editor: dict[str, str]
) -> None:
    assert client.get("/api/v1/audit", headers=admin).headers["cache-control"] == "no-store"
    assert client.get("/api/v1/seizures/999999").headers["cache-control"] == "no-store"
    assert client.get("/healthz").headers["cache-control"] == "no-store"
    posted = client.post("/api/v1/operations/channel/stages", json={}, headers=editor)
    assert posted.headers["cache-control"] == "no-store"


def test_reads_that_need_a_key_are_not_stored_and_vary_on_authorization(
    database_url: str, admin: dict[str, str]
) -> None:
    app = create_app(Settings(database_url=database_url, require_key_for_reads=True))
    with TestClient(app) as keyed:
        response = keyed.get("/api/v1/operations/channel")
    assert response.status_code == 401
    assert response.headers["cache-control"] == "no-store"
    assert "Authorization" in response.headers["vary"]


# --- keys on reads ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization", ["Bearer ksopn_not-a-key", "Basic dXNlcjpwYXNz", "Bearer"]
)
def test_a_read_with_a_bad_key_is_401_not_an_anonymous_200(
    client: TestClient, authorization: str
) -> None:
    response = client.get(LIST, headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_read_with_a_good_key_is_answered(client: TestClient, editor: dict[str, str]) -> None:
    assert client.get(LIST, headers=editor).status_code == 200


# --- links, cursors, hosts, slashes ---------------------------------------------------


def test_next_is_relative_and_ignores_the_host_header(client: TestClient) -> None:
    response = client.get("/api/v1/seizures?limit=2", headers={"Host": "evil.example:9999"})
    body = response.json()
    assert body["next"].startswith("/api/v1/seizures?limit=2&cursor=")
    assert "evil" not in response.headers["link"]
    assert body["next"].endswith("cursor=" + body["cursor"])
    assert client.get(body["next"]).status_code == 200


def test_next_is_built_on_the_public_url_when_set(client: TestClient, client_app: FastAPI) -> None:
    settings = client_app.state.settings
    client_app.state.settings = settings.model_copy(
        update={"public_url": "https://ksopn.example/registry"}
    )
    try:
        body = client.get("/api/v1/seizures?limit=2").json()
    finally:
        client_app.state.settings = settings
    assert body["next"].startswith("https://ksopn.example/registry/api/v1/seizures?limit=2&cursor=")


def test_the_last_page_has_no_cursor(client: TestClient) -> None:
    body = client.get("/api/v1/operations?limit=1000").json()
    assert body["next"] is None
    assert body["cursor"] is None


@pytest.fixture
def host_checked_app(database_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, allowed_hosts=["ksopn.example", "testserver"])
    with TestClient(create_app(settings)) as checked:
        yield checked


def test_an_unknown_host_is_refused_when_hosts_are_listed(host_checked_app: TestClient) -> None:
    refused = host_checked_app.get("/api/v1/operations", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert refused.headers["content-type"] == PROBLEM
    assert "evil.example" in refused.json()["detail"]
    allowed = host_checked_app.get("/api/v1/operations", headers={"Host": "ksopn.example:443"})
    assert allowed.status_code == 200


def test_a_trailing_slash_is_served_without_a_redirect(client: TestClient) -> None:
    response = client.get("/api/v1/operations/", follow_redirects=False)
    assert response.status_code == 200
    assert response.json() == client.get("/api/v1/operations").json()


@pytest.mark.parametrize("coding", ["zstd", "br", "gzip"])
def test_a_body_compressed_again_is_what_the_coding_gives_now(
    coding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept compressed body (app/http/transport.py `CompressedBodies`) is byte for byte
    what starlette-compress would make of the body now: gzip's header names the second."""
    middleware = CompressMiddleware(FastAPI(), minimum_size=MINIMUM_COMPRESSED_BYTES)
    own = getattr(middleware, RESPONDERS[coding]).oneshot
    CompressedBodies(REMEMBERED_BYTES).install(middleware)
    kept = getattr(middleware, RESPONDERS[coding]).oneshot
    assert kept is not own
    body = b'{"items":[' + b",".join(b'{"id":%d}' % n for n in range(500)) + b"]}"
    for second in (1_700_000_000, 1_700_000_000, 1_700_003_601):
        monkeypatch.setattr(time, "time", lambda second=second: second + 0.5)
        assert kept(body) == own(body)
    assert kept(body + b" ") == own(body + b" ")


def test_the_kept_bodies_stay_within_their_bytes() -> None:
    bodies = CompressedBodies(limit_bytes=10_000)
    compress = bodies.remembering("zstd", lambda body: body[:10])
    for n in range(100):
        compress(bytes([n]) * 1000)
    assert bodies.size <= 10_000
    assert len(bodies.kept) == 9
