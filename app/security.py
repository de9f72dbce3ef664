"""Security basics: safe production settings, CORS, security headers, the request body limit
and the limit on failed key checks per client (counted in the database).

The middleware here is plain ASGI, not BaseHTTPMiddleware, so streamed exports stay streamed.
"""

import hashlib
import ipaddress
import math
import tempfile
import time
from collections import deque
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import Select, bindparam, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import ContentTooLargeError, DomainError, domain_problem
from app.models.staff import AuthFailure
from app.settings import Settings

# --- configuration refused in production ------------------------------------------------


class UnsafeConfigurationError(RuntimeError):
    """The settings are not fit for KSOPN_ENV=production."""


TEMPORARY_DIRS = (Path(tempfile.gettempdir()), Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))


def production_problems(settings: Settings) -> list[str]:
    """What in `settings` would be unsafe in production, each as a sentence naming the setting."""
    problems = []
    if any(origin in ("*", "null") for origin in settings.cors_origins):
        problems.append(
            "KSOPN_CORS_ORIGINS lets any page call the API ('*' or 'null'); name the origins"
        )
    if settings.sql_echo:
        problems.append("KSOPN_SQL_ECHO logs every statement and its parameters; turn it off")
    if settings.log_level == "debug":
        problems.append("KSOPN_LOG_LEVEL=debug logs internals meant for development; use info")
    if reason := _sqlite_loses_data(settings.database_url):
        problems.append(f"KSOPN_DATABASE_URL {reason}; keep the database on lasting storage")
    return problems


def _sqlite_loses_data(database_url: str) -> str | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return "is an in-memory SQLite database, gone when the server stops"
    path = Path(database.removeprefix("file:")).resolve()
    if any(path.is_relative_to(folder.resolve()) for folder in TEMPORARY_DIRS):
        return f"is a SQLite file in a temporary folder ({path}), which is cleared"
    return None


def check_production_settings(settings: Settings) -> None:
    """Raises UnsafeConfigurationError in production when any setting is unsafe."""
    if settings.env != "production":
        return
    if problems := production_problems(settings):
        listed = "".join(f"\n  - {problem}" for problem in problems)
        raise UnsafeConfigurationError(
            f"refusing to start with KSOPN_ENV=production:{listed}\n"
            "fix these, or set KSOPN_ENV=development for a machine of your own"
        )


# --- failed key checks per client --------------------------------------------------------


# What a key check reads of a client's row, in the order `FailedAuthLimiter.wait` takes it.
FAILURE_ROW = (AuthFailure.failures, AuthFailure.window_started_at)


@cache
def _failures_of() -> Select[int, float]:
    """A client's failures and when their window began; built once, as every keyed request
    reads it (building it took as long as running it on SQLite)."""
    return select(*FAILURE_ROW).where(AuthFailure.client == bindparam("client"))


class FailedAuthLimiter:
    """Counts failed key checks per client in the database (`auth_failures`), so that every
    server process, on every machine behind a proxy, counts the same ones: a client has
    `limit` failures in a window of `window_seconds` from its first, wherever it sends them.

    The clock is the wall clock (the machines' clocks must agree, as NTP keeps them). Rows
    whose window has passed are deleted as failures are recorded, and at most `max_clients`
    are kept: beyond that the clients whose windows started first are forgotten, so a flood
    of addresses costs a bounded table. The caller gives the session and ends its
    transaction: a short one of its own (app/staff/auth.py), never the request's.
    """

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        max_clients: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_clients = max_clients
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> "FailedAuthLimiter":
        return cls(
            settings.auth_failure_limit,
            settings.auth_failure_window_seconds,
            settings.auth_failure_max_clients,
        )

    def retry_after(self, session: Session, client: str) -> int | None:
        """Whole seconds until `client` may present a key again; None when it may now."""
        # On the connection: a Core statement needs none of the ORM's execution.
        row = session.connection().execute(_failures_of(), {"client": client}).first()
        return None if row is None else self.wait(row.failures, row.window_started_at)

    def wait(self, failures: int | None, window_started_at: float | None) -> int | None:
        """`retry_after` of a client's row in `auth_failures` (None, None: it has none)."""
        if failures is None or window_started_at is None or failures < self.limit:
            return None
        remaining = window_started_at + self.window_seconds - self.clock()
        return max(1, math.ceil(remaining)) if remaining > 0 else None

    def record_failure(self, session: Session, client: str) -> None:
        """Counts one failure, in one statement that concurrent processes cannot interleave
        (an upsert), then forgets windows that have passed and clients beyond the cap."""
        now = self.clock()
        horizon = now - self.window_seconds
        in_window = AuthFailure.window_started_at > horizon
        values = {"client": client, "failures": 1, "window_started_at": now}
        upsert = _insert_for(session)(AuthFailure).values(values)
        session.execute(
            upsert.on_conflict_do_update(
                index_elements=[AuthFailure.client],
                set_={
                    "failures": case((in_window, AuthFailure.failures + 1), else_=1),
                    "window_started_at": case(
                        (in_window, AuthFailure.window_started_at), else_=now
                    ),
                },
            )
        )
        self._forget(
            session, select(AuthFailure.client).where(AuthFailure.window_started_at <= horizon)
        )
        tracked = self.tracked_clients(session)
        if tracked > self.max_clients:
            first_started = (
                select(AuthFailure.client)
                .order_by(AuthFailure.window_started_at)
                .limit(tracked - self.max_clients)
            )
            self._forget(session, first_started)

    def tracked_clients(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(AuthFailure)) or 0

    @staticmethod
    def _forget(session: Session, clients: Select[str]) -> None:
        """Deletes the clients' rows, but those another transaction is writing: waiting for
        them could deadlock two of these transactions (PostgreSQL; SQLite writes one at a
        time), and they are forgotten by the next failure anyway."""
        chosen = clients.with_for_update(skip_locked=True).scalar_subquery()
        session.execute(
            delete(AuthFailure)
            .where(AuthFailure.client.in_(chosen))
            .execution_options(synchronize_session=False)
        )


def _insert_for(session: Session) -> Callable[..., Any]:
    """The dialect's INSERT, which has ON CONFLICT DO UPDATE on both databases."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


CLIENT_KEY_CHARS = 64  # AuthFailure.client


def client_address(request: Request) -> str:
    """Whom a failed key check is counted for: the peer's address, or, from a proxy named in
    KSOPN_FORWARDED_ALLOW_IPS, the client's as the proxy forwards it (uvicorn puts it in the
    scope; from anyone else X-Forwarded-For is ignored). An IPv6 client is counted by its
    /64, the block a single subscriber is given, or each try could come from a new address."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # no IP address: a Unix socket, a test client
        host = host or "unknown"
        if len(host) <= CLIENT_KEY_CHARS:
            return host
        return "sha256:" + hashlib.sha256(host.encode()).hexdigest()[: CLIENT_KEY_CHARS - 7]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


# --- security headers ---------------------------------------------------------------------

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# JSON, CSV and the docs' own scripts: nothing in them is to be run or framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# An HTML page (/docs; the pages for people set a stricter policy of their own) runs
# scripts from the server's own files and nothing inline: a fixed policy, never computed from
# the page as sent, which would also allow any script injected into it. The docs start
# Swagger UI from a file for this (app/http/docs.py). Nothing comes from another host.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """Adds the security headers to every response, the page policy to HTML and the API's to
    anything else. Headers a response sets itself are kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = _with_headers(message, PAGE_CSP if _is_html(message) else API_CSP)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_html(start: Message) -> bool:
    content_type = Headers(raw=start.get("headers", [])).get("content-type", "")
    return content_type.startswith("text/html")


def _with_headers(start: Message, csp: str) -> Message:
    message = {**start, "headers": list(start.get("headers", []))}
    headers = MutableHeaders(scope=message)
    for name, value in {**COMMON_HEADERS, "Content-Security-Policy": csp}.items():
        headers.setdefault(name, value)
    return message


# --- request body limit -------------------------------------------------------------------


class BodySizeLimitMiddleware:
    """Answers 413 to a body over the limit before the app sees the request: by its
    Content-Length, or, for a chunked body, by reading it first (never more than the limit)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is None:
            messages = await self._read_within_limit(receive)
            if messages is None:
                await _send_problem(ContentTooLargeError(self.max_body_bytes), scope, receive, send)
                return
            receive = _replay(messages, receive)
        elif declared > self.max_body_bytes:
            await _send_problem(ContentTooLargeError(self.max_body_bytes), scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _read_within_limit(self, receive: Receive) -> list[Message] | None:
        """The body's messages, or None as soon as they pass the limit."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":  # the client went away; let the app see it
                return messages
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                return None
            if not message.get("more_body", False):
                return messages


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    return int(value) if value is not None and value.isdigit() else None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """Hands out the messages read already, then whatever the server sends (a disconnect)."""
    pending = deque(messages)

    async def replayed() -> Message:
        return pending.popleft() if pending else await receive()

    return replayed


async def _send_problem(error: DomainError, scope: Scope, receive: Receive, send: Send) -> None:
    await domain_problem(Request(scope), error)(scope, receive, send)


# --- installing -------------------------------------------------------------------------

API_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "Idempotency-Key",
)
EXPOSED_HEADERS = (
    "ETag",
    "Location",
    "Link",
    "Retry-After",
    "Idempotent-Replayed",
    "Content-Disposition",
)


def install_security(app: FastAPI, settings: Settings) -> None:
    app.state.failed_auth = FailedAuthLimiter.from_settings(settings)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:  # without any, no CORS headers at all: other sites cannot read
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PATCH", "DELETE"],
            allow_headers=API_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
    build = app.build_middleware_stack
    # Outside Starlette's ServerErrorMiddleware, which sends its 500 answers past any middleware
    # added with add_middleware.
    app.build_middleware_stack = lambda: SecurityHeadersMiddleware(build())  # type: ignore[method-assign]
