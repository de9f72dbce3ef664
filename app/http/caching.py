"""What caches may do with an answer: `Cache-Control` and `Vary`, set in one place.

- A public read (GET or HEAD, 200 or 304) may be kept for KSOPN_CACHE_MAX_AGE seconds and
  must then be revalidated (its ETag makes that a 304 when nothing changed).
- Anything that needs a key (the audit log; every read when KSOPN_REQUIRE_KEY_FOR_READS is
  set), every error, every write's answer and /healthz: `no-store`.
- `Vary: Accept` where the route picks its format by `Accept`; `Vary: Authorization` where
  reads need a key (starlette-compress adds `Vary: Accept-Encoding`).

A response that sets `Cache-Control` itself keeps it.

A public read of the registry's facts is also dated (`dated_read`): `Last-Modified`, and a
304 to an `If-Modified-Since` not before it (app/http/modified.py).
"""

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.deps import DATED_READ
from app.http.as_of import reads_the_record
from app.http.negotiation import traits

NO_STORE = "no-store"
UNCACHED_PATHS = frozenset({"/healthz"})


class CacheHeaders:
    def __init__(self, app: ASGIApp, *, max_age: int, reads_need_key: bool) -> None:
        self.app = app
        self.public = f"public, max-age={max_age}, must-revalidate"
        self.reads_need_key = reads_need_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_cache_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._set(scope, message)
            await send(message)

        await self.app(scope, receive, with_cache_headers)

    def _set(self, scope: Scope, start: Message) -> None:
        route = scope.get("route")
        if not isinstance(route, APIRoute):  # the docs pages, an unknown path
            return
        headers = MutableHeaders(scope=start)
        route_traits = traits(route)
        is_read = scope["method"] in ("GET", "HEAD")
        if route_traits.negotiates:
            headers.add_vary_header("Accept")
        if is_read and self.reads_need_key:
            headers.add_vary_header("Authorization")
        if "cache-control" in headers:
            return
        cacheable = (
            is_read
            and start["status"] in (200, 304)
            and not route_traits.needs_key
            and not self.reads_need_key
            and scope["path"] not in UNCACHED_PATHS
        )
        headers["Cache-Control"] = self.public if cacheable else NO_STORE


async def dated_read(request: Request) -> None:
    """Marks a GET or HEAD of the registry's facts, before its session opens
    (`app.deps.read_session`), so that the session notes the time of their last change.
    Not a read that needs a key of its own: those show the staff's tables (the audit log,
    the error reports), which the data version does not follow; nor one whose route is
    marked `UNDATED` (app/http/modified.py)."""
    if reads_the_record(request):
        setattr(request.state, DATED_READ, True)
