"""Whole answers kept per data version (app/http/kept_answers.py): given again byte for
byte while the facts stand, never across a change, and never where the app must answer."""

import asyncio
import gzip
import struct
import time
from collections.abc import Callable
from datetime import date

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.orm import Session
from starlette.types import Message, Receive, Scope, Send

from app.db import make_engine
from app.http import kept_answers
from app.http.kept_answers import (
    MAX_ANSWER_BYTES,
    DataVersionNow,
    KeptAnswers,
    new_kept_answers,
)
from app.models import SeizureReport
from app.models.reference import Source
from app.models.versions import VERSIONS_READ

# The hot reads of issue 25 and a page of each kind, in both languages and codings.
READS = [
    "/",
    "/?lang=ru",
    "/api/v1/seizures?limit=5",
    "/api/v1/seizures?year=2018&limit=3",
    "/api/v1/seizures/totals?group_by=year,substance",
    "/api/v1/operations",
    "/api/v1/sources",
    "/operations?lang=ru",
    "/methods",
]


def _answer(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "date"]
    return response.status_code, headers, response.content


@pytest.mark.parametrize("coding", ["identity", "gzip"])
def test_a_kept_answer_is_the_apps_own_byte_for_byte(client: TestClient, coding: str) -> None:
    report = client.get("/api/v1/seizures?limit=1").json()["items"][0]["id"]
    reads = [*READS, f"/api/v1/seizures/{report}"]
    kept = client.app.state.kept_answers  # type: ignore[attr-defined]
    headers = {"Accept-Encoding": coding}
    made = {url: _answer(client.get(url, headers=headers)) for url in reads}
    assert all(status == 200 for status, _, _ in made.values()), made
    assert len(kept) >= len(reads)
    given = {url: _answer(client.get(url, headers=headers)) for url in reads}
    del client.app.state.kept_answers  # type: ignore[attr-defined]
    answered_again = {url: _answer(client.get(url, headers=headers)) for url in reads}
    assert given == made
    assert answered_again == made


def test_a_change_to_the_facts_is_read_at_once(client: TestClient, session: Session) -> None:
    source = session.scalars(select(Source).order_by(Source.id)).first()
    assert source is not None
    url = f"/api/v1/sources/{source.slug}"
    before = client.get(url)
    assert client.get(url).content == before.content  # kept
    session.execute(update(Source).where(Source.id == source.id).values(title="A new title"))
    session.flush()
    after = client.get(url)
    assert after.json()["title"] == "A new title"
    assert after.headers["etag"] != before.headers["etag"]


def test_the_language_asked_for_is_part_of_what_is_kept(client: TestClient) -> None:
    english = client.get("/operations", headers={"Accept-Language": "en"})
    russian = client.get("/operations", headers={"Accept-Language": "ru"})
    assert english.headers["content-language"] == "en"
    assert russian.headers["content-language"] == "ru"
    assert client.get("/operations", headers={"Accept-Language": "ru"}).text == russian.text


def test_a_conditional_read_is_answered_by_the_app(client: TestClient) -> None:
    first = client.get("/api/v1/operations")
    again = client.get("/api/v1/operations", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_a_deleted_record_is_gone_at_once(client: TestClient, session: Session) -> None:
    report = session.scalars(
        select(SeizureReport.id)
        .where(SeizureReport.parent_id.is_(None))
        .order_by(SeizureReport.id.desc())
    ).first()
    url = f"/api/v1/seizures/{report}"
    assert client.get(url).status_code == 200
    session.execute(
        update(SeizureReport).where(SeizureReport.parent_id == report).values(parent_id=None)
    )
    session.delete(session.get(SeizureReport, report))
    session.flush()
    assert client.get(url).status_code == 404


# The layer alone, around a made-up app, with a data version the test sets.


class Versions:
    def __init__(self) -> None:
        self.now: int | None = 1
        self.reads = 0

    def __call__(self) -> int | None:
        self.reads += 1
        return self.now


class State:
    def __init__(self, versions: Versions) -> None:
        self.kept_answers = new_kept_answers()
        self.data_version_now = versions


class Owner:
    def __init__(self, versions: Versions) -> None:
        self.state = State(versions)


def _app(
    status: int = 200,
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"the answer",
    during: Callable[[], None] = lambda: None,
    reads: Callable[[int], list[tuple[int, bool]]] = lambda version: [(version, False)],
) -> tuple[list[Scope], Callable[[Scope, Receive, Send], object]]:
    """An app that notes the versions its reads saw (`reads` of the version now: by
    default one session's transaction, which reads it first thing), as a session does."""
    calls: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope)
        version = scope["app"].state.data_version_now.now
        if version is not None and VERSIONS_READ in scope.get("state", {}):
            scope["state"][VERSIONS_READ].extend(reads(version))
        during()
        await send({"type": "http.response.start", "status": status,
                    "headers": headers if headers is not None else PUBLIC})  # fmt: skip
        await send({"type": "http.response.body", "body": body + str(len(calls)).encode()})

    return calls, app


PUBLIC = [(b"cache-control", b"public, max-age=60"), (b"content-type", b"text/plain")]


def _ask(
    layer: KeptAnswers,
    owner: Owner,
    path: str = "/api/v1/seizures",
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    method: str = "GET",
) -> tuple[int, bytes]:
    messages: list[Message] = []
    scope = {"type": "http", "method": method, "path": path, "query_string": query,
             "headers": headers or [(b"host", b"testserver")], "app": owner, "scheme": "http"}  # fmt: skip

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    asyncio.run(layer(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return messages[0]["status"], body


def test_an_answer_is_given_again_until_the_version_changes() -> None:
    versions = Versions()
    calls, app = _app()
    layer, owner = KeptAnswers(app), Owner(versions)  # type: ignore[arg-type]
    assert _ask(layer, owner) == (200, b"the answer1")
    assert _ask(layer, owner) == (200, b"the answer1")
    assert len(calls) == 1
    versions.now = 2
    assert _ask(layer, owner) == (200, b"the answer2")
    assert _ask(layer, owner, query=b"limit=1") == (200, b"the answer3")
    assert len(calls) == 3


def test_a_first_read_reads_the_version_only_after_its_answer() -> None:
    """Nothing kept for the request: no version to look one up at. A transaction's
    version, read before its facts, is read again after them; a version read in one
    statement with the facts (the year list's page) is not."""
    for reads, after in (([(1, False)], 1), ([(1, True)], 0), ([(1, True), (1, True)], 0)):
        versions = Versions()
        calls, app = _app(reads=lambda version, reads=reads: reads)  # type: ignore[misc]
        layer, owner = KeptAnswers(app), Owner(versions)  # type: ignore[arg-type]
        _ask(layer, owner)
        assert versions.reads == after
        assert _ask(layer, owner) == (200, b"the answer1")  # kept: one read, to find it
        assert (len(calls), versions.reads) == (1, after + 1)


@pytest.mark.parametrize(
    "reads",
    [[], [(1, True), (0, True)], [(0, False), (1, False)]],
    ids=["none", "two-versions-in-statements", "two-transactions"],
)
def test_an_answer_of_no_one_known_version_is_not_kept(reads: list[tuple[int, bool]]) -> None:
    """An answer that read no version, or facts of two, is not kept."""
    versions = Versions()
    calls, app = _app(reads=lambda _version: reads)
    layer, owner = KeptAnswers(app), Owner(versions)  # type: ignore[arg-type]
    _ask(layer, owner)
    _ask(layer, owner)
    assert len(calls) == 2


def test_an_answer_read_while_the_facts_changed_is_not_kept() -> None:
    versions = Versions()

    def a_write_commits() -> None:
        versions.now = (versions.now or 0) + 1

    calls, app = _app(during=a_write_commits)
    layer, owner = KeptAnswers(app), Owner(versions)  # type: ignore[arg-type]
    _ask(layer, owner)
    _ask(layer, owner)
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("answer", "request_"),
    [
        ({"status": 404}, {}),
        ({"headers": [(b"cache-control", b"no-store")]}, {}),
        ({"headers": [*PUBLIC, (b"set-cookie", b"a=b")]}, {}),
        ({"body": b"x" * (MAX_ANSWER_BYTES + 1)}, {}),
        ({}, {"query": b"as_of=1.0.0"}),
        ({}, {"headers": [(b"authorization", b"Bearer k")]}),
        ({}, {"headers": [(b"if-none-match", b'"a"')]}),
        ({}, {"method": "POST"}),
        ({}, {"path": "/api/v1/releases"}),
        ({}, {"path": "/api/v1/changelog"}),
        ({}, {"path": "/healthz"}),
    ],
    ids=[
        "not-200",
        "no-store",
        "cookie",
        "too-big",
        "as_of",
        "key",
        "conditional",
        "post",
        "releases",
        "changelog",
        "health",
    ],
)
def test_what_the_app_answers_every_time(
    answer: dict[str, object], request_: dict[str, object]
) -> None:
    calls, app = _app(**answer)  # type: ignore[arg-type]
    layer, owner = KeptAnswers(app), Owner(Versions())  # type: ignore[arg-type]
    _ask(layer, owner, **request_)  # type: ignore[arg-type]
    _ask(layer, owner, **request_)  # type: ignore[arg-type]
    assert len(calls) == 2


def test_without_a_data_version_nothing_is_kept() -> None:
    versions = Versions()
    versions.now = None  # the version's connection failed
    calls, app = _app()
    layer, owner = KeptAnswers(app), Owner(versions)  # type: ignore[arg-type]
    _ask(layer, owner)
    _ask(layer, owner)
    assert len(calls) == 2


def test_a_header_the_answer_may_depend_on_is_part_of_the_key() -> None:
    calls, app = _app()
    layer, owner = KeptAnswers(app), Owner(Versions())  # type: ignore[arg-type]
    _ask(layer, owner, headers=[(b"accept-language", b"ru")])
    _ask(layer, owner, headers=[(b"accept-language", b"en")])
    _ask(layer, owner, headers=[(b"accept-language", b"en"), (b"user-agent", b"curl")])
    assert len(calls) == 2


def test_a_kept_gzip_body_is_made_now(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "/api/v1/seizures/totals?group_by=year,substance"
    headers = {"Accept-Encoding": "gzip"}
    client.get(url, headers=headers)
    later = time.time() + 1000
    monkeypatch.setattr(time, "time", lambda: later)
    with client.stream("GET", url, headers=headers) as kept:
        raw = b"".join(kept.iter_raw())
        assert kept.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw).startswith(b"{")
    # A gzip header names the second it was made in: the kept body's is the current one, as
    # the app's own would be.
    assert struct.unpack("<L", raw[4:8])[0] == int(later)


def test_the_data_version_is_read_as_committed_now(new_database: Callable[[], str]) -> None:
    """On a database of the kind under test: each read sees the last commit (on PostgreSQL
    the probe's connection is in autocommit, holding no snapshot between reads)."""
    engine = make_engine(new_database())
    writer = create_engine(engine.url)
    try:
        with writer.begin() as connection:
            connection.execute(
                text("CREATE TABLE data_version (id INTEGER PRIMARY KEY, version BIGINT)")
            )
            connection.execute(text("INSERT INTO data_version VALUES (1, 7)"))
        version_now = DataVersionNow(engine)
        assert version_now() == 7
        with writer.begin() as connection:
            connection.execute(text("UPDATE data_version SET version = 8"))
        assert version_now() == 8
        version_now.close()
        assert version_now() == 8  # a closed connection is opened again
        with writer.begin() as connection:
            connection.execute(text("DROP TABLE data_version"))
        assert version_now() is None  # a failed read: nothing kept or given
    finally:
        version_now.close()
        writer.dispose()
        engine.dispose()


def test_an_answer_is_given_on_its_own_day_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """An export's file name, the citation's date of access and who is a member today all
    name the day: the next day the app answers again."""
    calls, app = _app()
    layer, owner = KeptAnswers(app), Owner(Versions())  # type: ignore[arg-type]
    monday, tuesday = date(2026, 12, 7), date(2026, 12, 8)
    monkeypatch.setattr(kept_answers, "today", lambda: (monday, monday))
    _ask(layer, owner)
    _ask(layer, owner)
    monkeypatch.setattr(kept_answers, "today", lambda: (tuesday, tuesday))
    _ask(layer, owner)
    assert len(calls) == 2
