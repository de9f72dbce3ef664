"""How requests arrive and answers leave, whatever the route: the outermost middleware.

- HEAD is answered wherever GET is (RFC 9110 9.3.2): as GET, with GET's headers, no body.
- A path with a trailing slash is the path without it (no 307 round trip).
- With KSOPN_ALLOWED_HOSTS set, a request naming another Host is refused (400).
- Answers are compressed when the client accepts it (zstd, br, gzip: starlette-compress),
  streamed exports included. A body that repeats (a popular page, the same until the data
  version moves) is compressed once (`CompressedBodies`). A compressed representation is
  another representation, so it has its own strong ETag: `"<tag>-<coding>"` (RFC 9110
  8.8.3). A client sends that tag back in If-None-Match or If-Match; the app compares the
  tag it made, without the suffix.

All of it is plain ASGI (no BaseHTTPMiddleware), so streamed exports stay streamed.
"""

import re
from collections import OrderedDict
from collections.abc import Callable, Sequence

import anyio
from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette_compress import CompressMiddleware, add_compress_type

from app.errors import DomainError, domain_problem
from app.http.admission import Admission
from app.http.kept_answers import KeptAnswers, gzip_made_now

CODINGS = ("zstd", "br", "gzip")
# The registry's own types, besides the common ones starlette-compress compresses already.
for _media_type in (
    "application/problem+json",
    "application/x-ndjson",
    "application/x-bibtex",
    "application/vnd.citationstyles.csl+json",
    "text/csv",
):
    add_compress_type(_media_type)

# Small bodies gain little and cost a compressor's set-up; a page of 10 reports is ~5 KB.
MINIMUM_COMPRESSED_BYTES = 1024
_CODED_TAG = re.compile(r'"([^"]*)-(?:' + "|".join(CODINGS) + r')"')


class UnknownHostError(DomainError):
    status = 400
    title = "Unknown host"


def install(app: FastAPI, allowed_hosts: Sequence[str]) -> None:
    """Wraps the app's whole middleware stack, security headers and server errors included,
    so that every answer is compressed and every HEAD answered."""
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: wrap(build(), allowed_hosts)  # type: ignore[method-assign]


def wrap(app: ASGIApp, allowed_hosts: Sequence[str]) -> ASGIApp:
    """`app` inside the transport middleware, outermost first as listed here: the gate
    (app/http/admission.py) before anything else works on a request; answers kept whole
    (app/http/kept_answers.py) as the coding and its ETag left them."""
    compressed = CompressMiddleware(app, minimum_size=MINIMUM_COMPRESSED_BYTES)
    CompressedBodies(REMEMBERED_BYTES).install(compressed)
    inner = TrailingSlashes(KeptAnswers(TagPerCoding(compressed)))
    return Admission(HeadAsGet(HostCheck(inner, allowed_hosts)))


# What the compressed bodies kept take at most, and the largest body kept (an export's
# chunks are compressed as a stream, never here).
REMEMBERED_BYTES = 16 * 1024 * 1024
LARGEST_REMEMBERED = 1024 * 1024
Compress = Callable[[bytes], bytes]
RESPONDERS = {"zstd": "_zstd", "br": "_brotli", "gzip": "_gzip"}  # starlette-compress's


class CompressedBodies:
    """Compressed bodies kept by their coding and the body itself, the least recently used
    dropped first: a body that repeats is compressed once (a page of 100 reports: about
    0.9 ms of CPU with gzip), and a kept one cannot be stale, since a change in the data
    makes another body. What is kept is what the coding's own function gives; for gzip,
    whose header names the second it was made in (MTIME, RFC 1952 2.3.1; `gzip.compress`
    writes the current one), the second is written anew, so the bytes are those
    starlette-compress would make now (tests/http/test_transport.py compares them)."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self.kept: OrderedDict[tuple[str, bytes], bytes] = OrderedDict()
        self.size = 0

    def install(self, middleware: CompressMiddleware) -> None:
        """Wraps the one-shot compression of each coding of `middleware`. starlette-compress
        has no option for it: its responders (`_zstd`, `_brotli`, `_gzip`, a pinned
        version's attributes) each call their `oneshot` on a whole body."""
        for coding, name in RESPONDERS.items():
            responder = getattr(middleware, name, None)
            if responder is not None:
                responder.oneshot = self.remembering(coding, responder.oneshot)

    def remembering(self, coding: str, compress: Compress) -> Compress:
        def compressed(body: bytes) -> bytes:
            if len(body) > LARGEST_REMEMBERED:
                return compress(body)
            key = (coding, body)
            found = self.kept.get(key)
            if found is None:
                found = self._keep(key, compress(body))
            else:
                self.kept.move_to_end(key)
            return gzip_made_now(found) if coding == "gzip" else found

        return compressed

    def _keep(self, key: tuple[str, bytes], compressed: bytes) -> bytes:
        self.kept[key] = compressed
        self.size += len(key[1]) + len(compressed)
        while self.size > self.limit_bytes:
            (_, body), dropped = self.kept.popitem(last=False)
            self.size -= len(body) + len(dropped)
        return compressed


class HeadAsGet:
    """HEAD runs as GET; the body is dropped. A streamed body is stopped once the headers
    are out, as when a client goes away (a HEAD of a million-row export does not write the
    million rows): Starlette stops a stream when `receive` says the client disconnected."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        answered = anyio.Event()

        async def without_body(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
            elif not answered.is_set():
                answered.set()
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def until_answered() -> Message:
            if answered.is_set():
                return DISCONNECT
            received: Message = DISCONNECT
            async with anyio.create_task_group() as racing:

                async def from_client() -> None:
                    nonlocal received
                    received = await receive()
                    racing.cancel_scope.cancel()

                async def after_answer() -> None:
                    await answered.wait()
                    racing.cancel_scope.cancel()

                racing.start_soon(from_client)
                racing.start_soon(after_answer)
            return received

        await self.app({**scope, "method": "GET"}, until_answered, without_body)


DISCONNECT: Message = {"type": "http.disconnect"}


class TrailingSlashes:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            trimmed = path.rstrip("/") or "/"
            scope = {**scope, "path": trimmed, "raw_path": trimmed.encode()}
        await self.app(scope, receive, send)


class HostCheck:
    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.allowed = frozenset(host.lower() for host in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.allowed:
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name.lower() not in self.allowed and host.lower() not in self.allowed:
            error = UnknownHostError(
                f"this server does not answer for host {host!r}; "
                f"use one of {', '.join(sorted(self.allowed))}"
            )
            await domain_problem(Request(scope), error)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class TagPerCoding:
    """Gives a compressed answer the ETag of its coding, and turns the tags a client sends
    back into the app's own (remembering which the client used, for a 304)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent_back = _strip_codings(scope)

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                _tag_coding(message, sent_back)
            await send(message)

        await self.app(scope, receive, tagged)


def _strip_codings(scope: Scope) -> dict[str, str]:
    """Rewrites If-None-Match and If-Match in `scope` without coding suffixes; returns the
    tags the client sent, by the app's tag."""
    sent_back: dict[str, str] = {}
    headers = MutableHeaders(scope=scope)
    for name in ("if-none-match", "if-match"):
        value = headers.get(name)
        if value is None or "-" not in value:
            continue

        def plain(match: re.Match[str]) -> str:
            sent_back['"' + match[1] + '"'] = match[0]
            return '"' + match[1] + '"'

        headers[name] = _CODED_TAG.sub(plain, value)
    return sent_back


def _tag_coding(start: Message, sent_back: dict[str, str]) -> None:
    headers = MutableHeaders(scope=start)
    etag = headers.get("etag")
    if etag is None:
        return
    coding = headers.get("content-encoding")
    if coding in CODINGS:
        headers["ETag"] = _with_coding(etag, coding)
    elif start["status"] == 304 and etag in sent_back:
        # A 304 has no body to compress: it names the representation the client holds.
        headers["ETag"] = sent_back[etag]


def _with_coding(etag: str, coding: str) -> str:
    weak = etag.startswith("W/")
    tag = etag.removeprefix("W/")
    return ("W/" if weak else "") + tag[:-1] + "-" + coding + '"'
