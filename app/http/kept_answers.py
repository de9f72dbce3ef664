"""Whole answers kept per data version, and given again without running the app (issue 25).

The record's reads are functions of the facts, the URL and a few request headers. The
facts are named by the data version (app/models/versions.py), so an answer given at one
version can be given again, byte for byte, to the same request while the version stands:
a repeated read (the front page, the totals, a record that is linked from everywhere)
then costs a look-up instead of routing, dependency solving, SQL, rendering and
compression. A new version empties the kept answers (`VersionedCache`).

- Kept: a GET answered 200 with a public `Cache-Control` (a read of the facts), no
  `Set-Cookie`, of at most MAX_ANSWER_BYTES, on a path of the record (KEPT_PATHS), whose
  facts are known to be one data version's: its read sessions note the version they read
  facts at (`app.models.versions.VERSIONS_READ`), each the same, and it is still the
  version after the app answered (nothing committed while it read), unless each was read
  in one statement with the facts. An answer that noted no version is kept only when
  the version was read before it too (an answer was kept for the request at an older one).
- Given again: to a request with the same path, query and headers (but those that no
  answer depends on, IGNORED_HEADERS), on the same day, at the version it was kept under,
  read again for each such request (`app.state.data_version_now`, a query of one row); a
  request for which nothing is kept reads no version here.
- Never kept nor given: a read `as_of` (its record is a past one, kept elsewhere:
  app/releases/snapshots.py), a request with a key (reads that need one are checked
  every time), and conditional requests (the app answers those: 304 or 412).

It sits inside the transport (app/http/transport.py): after the host check, the
trailing-slash rule and HEAD as GET, and outside compression and the coding's ETag, so
a compressed answer is kept compressed. `KSOPN_FAST_PATHS=0` switches it off.
"""

import contextlib
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import detached_connection, driver_rows
from app.http.answers import VersionedCache
from app.models.versions import VERSIONS_READ, VersionsRead

# The URLs whose answers depend only on the facts and the request: the record's API reads
# and its pages. Releases, the changelog, the staff's reads and the health check also
# depend on what the data version does not count (releases made, time, keys), and
# `/charts` keeps its own images (app/pages/chart_images.py).
KEPT_PATHS = (
    "/api/v1/seizures",
    "/api/v1/operations",
    "/api/v1/stages",
    "/api/v1/participations",
    "/api/v1/sources",
    "/api/v1/countries",
    "/api/v1/organizations",
    "/api/v1/substances",
    "/api/v1/member-states",
    "/api/v1/bodies",
    "/api/v1/meetings",
    "/api/v1/documents",
    "/api/v1/events",
    "/api/v1/activities",
    "/api/v1/reported-figures",
    "/api/v1/coverage",
    "/api/v1/search",
    "/operations",
    "/stages/",
    "/countries/",
    "/sources",
    "/meetings",
    "/exercises",
    "/substances",
    "/coverage",
    "/search",
    "/methods",
)
FRONT_PAGE = "/"
# Request headers no answer depends on; every other header is part of what is asked.
IGNORED_HEADERS = frozenset(
    {
        b"user-agent",
        b"connection",
        b"keep-alive",
        b"referer",
        b"dnt",
        b"upgrade-insecure-requests",
        b"priority",
        b"pragma",
        b"cache-control",
        b"x-request-id",
    }
)
# Requests the app must answer itself each time.
ASKED_EACH_TIME = frozenset(
    {
        b"authorization",
        b"if-none-match",
        b"if-match",
        b"if-modified-since",
        b"if-unmodified-since",
        b"if-range",
        b"range",
    }
)
# A page of 100 reports is ~90 KB; the totals by year and substance of 200,000 reports
# ~550 KB. An export of every report streams past this and is never kept.
MAX_ANSWER_BYTES = 2 * 1024 * 1024
MAX_KEPT_BYTES = 64 * 1024 * 1024

Key = tuple[tuple[date, date], str, str, bytes, tuple[tuple[bytes, bytes], ...]]


@dataclass(frozen=True)
class KeptAnswer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def weight(self) -> int:
        return len(self.body) + sum(len(name) + len(value) for name, value in self.headers)


def new_kept_answers() -> VersionedCache:
    """One per running app (`app.state.kept_answers`), shared by its requests."""
    return VersionedCache(max_weight=MAX_KEPT_BYTES, weigh=KeptAnswer.weight)


class DataVersionNow:
    """The data version as committed now, read on a connection of its own, kept open and
    in autocommit: one indexed row, about 10 µs on SQLite. It runs in the event loop (a
    thread hop would cost more than the query); on PostgreSQL that is one round trip.
    A failed read drops the connection and answers None: nothing is kept or given."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Any = None

    def __call__(self) -> int | None:
        try:
            if self._connection is None:
                self._connection = detached_connection(self.engine)
            rows = driver_rows(self._connection, "SELECT version FROM data_version", ())
        except Exception:  # any failure: answer as if nothing were kept
            self.close()
            return None
        return int(rows[0][0]) if rows else None

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self._connection.close()
            self._connection = None


class KeptAnswers:
    """The ASGI layer: gives a kept answer, or runs the app and keeps what it answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.given = 0  # kept answers given: what the tests count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = getattr(scope.get("app"), "state", None)
        kept: VersionedCache | None = getattr(state, "kept_answers", None)
        version_now: Callable[[], int | None] | None = getattr(state, "data_version_now", None)
        if kept is None or version_now is None or (key := _key(scope)) is None:
            await self.app(scope, receive, send)
            return
        version = None
        # The version is read only when an answer is kept for the request: a first read
        # learns it from its own reads (`VERSIONS_READ`), which on PostgreSQL saves two
        # round trips in the event loop.
        if kept.holds(key):
            if (version := version_now()) is None:
                await self.app(scope, receive, send)
                return
            answer: KeptAnswer | None = kept.get(version, key)
            if answer is not None:
                self.given += 1
                await _give(answer, send)
                return
        read: VersionsRead = []
        # The request's own state (a copy: a server may share the dict it gives requests).
        scope["state"] = {**scope.get("state", {}), VERSIONS_READ: read}
        recorded = _Recorder(send)
        await self.app(scope, receive, recorded.send)
        answered = recorded.answer()
        if answered is not None and (made_at := _made_at(read, version, version_now)) is not None:
            kept.keep(made_at, key, answered)


def _made_at(
    read: VersionsRead, before: int | None, version_now: Callable[[], int | None]
) -> int | None:
    """The one data version whose facts an answer holds, or None when that is not known:
    the version its reads noted, each the same, and, unless each was read in one statement
    with the facts, still the version after it was answered; or, when it noted none, the
    version read before it was answered (`before`) and still the version after."""
    noted = {version for version, _whole in read}
    if before is not None:
        noted.add(before)
    if len(noted) != 1:
        return None
    (version,) = noted
    if read and all(whole for _version, whole in read):
        return version
    return version if version_now() == version else None


def _key(scope: Scope) -> Key | None:
    """What a request asks, or None when its answer is the app's to give every time."""
    if scope["type"] != "http" or scope["method"] != "GET":
        return None
    path: str = scope["path"]
    if path != FRONT_PAGE and not path.startswith(KEPT_PATHS):
        return None
    query: bytes = scope.get("query_string", b"")
    if b"as_of" in query:
        return None
    headers = []
    for name, value in scope["headers"]:
        if name in ASKED_EACH_TIME:
            return None
        if name not in IGNORED_HEADERS:
            headers.append((name, value))
    headers.sort()
    return today(), scope.get("scheme", "http"), path, query, tuple(headers)


def today() -> tuple[date, date]:
    """The day, locally and in UTC: a few answers name it (an export's file name, the
    citation's date of access, who is a member today), so an answer is given on its own
    day only."""
    return date.today(), datetime.now(UTC).date()


async def _give(answer: KeptAnswer, send: Send) -> None:
    body = answer.body
    if (b"content-encoding", b"gzip") in answer.headers:
        body = gzip_made_now(body)
    await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def gzip_made_now(gzipped: bytes) -> bytes:
    """A gzip member names the second it was made in (MTIME, RFC 1952 2.3.1; `gzip.compress`
    writes the current one): a kept body gets the current second, as the app would give.
    Kept compressed bodies (app/http/transport.py) are stamped alike."""
    return gzipped[:4] + struct.pack("<L", int(time.time())) + gzipped[8:]


class _Recorder:
    """Passes the app's messages on as they come, and records an answer worth keeping."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._start: Message | None = None
        self._body: list[bytes] = []
        self._size = 0
        self._keepable = True
        self._complete = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start = message
            self._keepable = _keepable_start(message)
        elif message["type"] == "http.response.body" and self._keepable:
            body: bytes = message.get("body", b"")
            self._size += len(body)
            if self._size > MAX_ANSWER_BYTES:
                self._keepable, self._body = False, []
            else:
                self._body.append(body)
                self._complete = not message.get("more_body", False)
        await self._send(message)

    def answer(self) -> KeptAnswer | None:
        if self._start is None or not self._keepable or not self._complete:
            return None
        headers = [
            (name, value)
            if type(name) is bytes and type(value) is bytes
            else (bytes(name), bytes(value))
            for name, value in self._start["headers"]
        ]
        return KeptAnswer(self._start["status"], headers, b"".join(self._body))


def _keepable_start(start: Message) -> bool:
    if start["status"] != 200:
        return False
    public = False
    for name, value in start.get("headers", ()):
        lowered = bytes(name).lower()
        if lowered == b"set-cookie":
            return False
        if lowered == b"cache-control":
            public = bytes(value).startswith(b"public")
    return public
