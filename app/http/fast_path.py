"""A narrow way past FastAPI's routing for the hottest reads (issue 25).

FastAPI stays the one documented, validated path: it answers every request, error and
variant. A fast path answers only the requests it can answer exactly as the route would,
with the same code (`app.http.pagination.page_of`, `app.http.representation.respond`):
a GET (or HEAD, which `transport.HeadAsGet` makes a GET) of one path, whose query holds
only parameters the path names, each in the one spelling the route would also read the
same way, no `Authorization`, and an `Accept` that asks for JSON (a page's: any). Anything
else, and any request that fails on the way or whose answer is not kept yet (the totals,
the front page: the route computes and keeps it), goes on to FastAPI untouched.

It sits inside every middleware (compression, caching and security headers, the crowd's
gate), so those treat its answers as the route's: it marks the request with the route
(`scope["route"]`), as routing would. What it saves is routing, the solving of some twenty
dependencies, and on SQLite the worker thread (`read_on_loop`). `tests/http/
test_fast_paths.py` compares its answers with FastAPI's, header for header, over thousands
of URLs. KSOPN_FAST_PATHS=0 turns it off.

A domain defines its fast paths (a `FastPath`), and the app factory installs them; the
kit imports no domain.
"""

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from app.db import Lanes
from app.deps import read_session
from app.http.caching import dated_read

logger = logging.getLogger(__name__)

# A query value's spelling, checked on the raw query string: what matches needs no
# percent-decoding, so the value is the same text FastAPI reads.
Parse = Callable[[str], Any]
# The answer from the request's session and the parsed parameters; None: FastAPI answers.
Answer = Callable[[Request, Session, Mapping[str, Any]], Response | None]
# The answer read in the event loop (`app.db.LoopReads`, PostgreSQL); None: read as `Answer`.
LoopAnswer = Callable[[Request, Session, Mapping[str, Any]], Awaitable[Response | None]]
# An answer the app keeps, found without a session (by the data version committed now,
# `app.state.data_version_now`), in the event loop; None: FastAPI answers.
KeptAnswer = Callable[[Request, Mapping[str, Any]], Response | None]

JSON_ACCEPTS = frozenset({"application/json", "*/*"})
# Reads of at most this many rows (a page of 100 and the row that tells a next page exists)
# run in the event loop on SQLite (see `read_on_loop`).
LOOP_ROWS = 101


@dataclass(frozen=True)
class FastPath:
    # The route's path, as it declares it (`/api/v1/seizures/{report_id}`): at most its last
    # segment a parameter, read by `segment` and given to `answer` with the query's.
    path: str
    # Each parameter it takes, by name: a function from its raw text to its value, or
    # None when that text is not one the fast path answers for.
    params: Mapping[str, Parse]
    # The answer read in a session, or else (`answer` None) the answer kept.
    answer: Answer | None = None
    kept: KeptAnswer | None = None
    # The answer read in the event loop where the app reads there (`loop_reads`), tried
    # before `answer`.
    loop_answer: LoopAnswer | None = None
    # How many rows the answer reads at most, given the parameters (`read_on_loop`).
    rows: Callable[[Mapping[str, Any]], int] = lambda params: 1
    segment: Parse | None = None
    # The `Accept` headers it answers (and a request without one); None: any, as a page's
    # route answers any.
    accepts: frozenset[str] | None = JSON_ACCEPTS

    @property
    def prefix(self) -> str:
        """The path up to its parameter segment (with its slash), or the whole path."""
        return self.path.rpartition("{")[0] if self.segment else self.path

    @property
    def segment_name(self) -> str:
        return self.path.rpartition("{")[2].rstrip("}") if self.segment else ""

    def path_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """What routing would put in the scope's `path_params`."""
        return {self.segment_name: params[self.segment_name]} if self.segment else {}


def install(app: FastAPI, paths: Sequence[FastPath]) -> None:
    """Puts the fast paths inside every middleware the app adds afterwards: call it before
    them (Starlette wraps the middleware added first innermost). Not when reads need a key:
    then every read checks one (`reader_check`)."""
    if app.state.settings.fast_paths and not app.state.settings.require_key_for_reads:
        app.add_middleware(FastPaths, paths={path.prefix: path for path in paths})


def canonical_int(low: int, high: int) -> Parse:
    """An integer within [low, high] written as `str(int)` writes it (no sign, no leading
    zero, no spaces): the spellings FastAPI reads as that same integer are many, this is one."""
    digits = re.compile(r"0|[1-9][0-9]{0,17}")

    def parse(text: str) -> int | None:
        if not digits.fullmatch(text):
            return None
        value = int(text)
        return value if low <= value <= high else None

    return parse


class FastPaths:
    def __init__(self, app: ASGIApp, paths: Mapping[str, FastPath]) -> None:
        self.app = app
        self.paths = paths  # by `FastPath.prefix`
        self.hits = 0  # answers it gave (tests/http/test_fast_paths.py checks it answered)
        self._routes: dict[str, APIRoute | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        taken = self._taken(scope)
        response = None
        if taken is not None:
            found, params, route = taken
            # What routing would tell the middleware outside (`Cache-Control`, `Vary`).
            path_params = found.path_params(params)
            scope.update({"route": route, "endpoint": route.endpoint, "path_params": path_params})
            response = await _answer(Request(scope, receive), found, params)
        if response is None:  # not one of its requests, or it failed: FastAPI answers
            await self.app(scope, receive, send)
            return
        self.hits += 1
        await response(scope, receive, send)

    def _taken(self, scope: Scope) -> tuple[FastPath, dict[str, Any], APIRoute] | None:
        """The fast path, parameters and route of a request it answers; None for others."""
        found = _fast_path(scope, self.paths)
        params = None if found is None else _params(found, scope)
        if found is None or params is None:
            return None
        route = self._route(scope, found.path)
        return None if route is None else (found, params, route)

    def _route(self, scope: Scope, path: str) -> APIRoute | None:
        """The route FastAPI would give the request, found once."""
        if path not in self._routes:
            self._routes[path] = next(
                (
                    context.original_route
                    for context in iter_route_contexts(scope["app"].routes)
                    if context.path_format == path
                    and isinstance(context.original_route, APIRoute)
                    and "GET" in (context.original_route.methods or ())
                ),
                None,
            )
        return self._routes[path]


def _fast_path(scope: Scope, paths: Mapping[str, FastPath]) -> FastPath | None:
    if scope["type"] != "http" or scope["method"] != "GET" or scope.get("root_path"):
        return None
    found = _by_path(scope["path"], paths)
    if found is None:
        return None
    for name, value in scope["headers"]:
        if name == b"authorization":
            return None  # a key sent is checked (`reader_check`): FastAPI does that
        if name == b"accept" and not _accepted(found, value):
            return None
    return found


def _accepted(found: FastPath, accept: bytes) -> bool:
    return found.accepts is None or accept.decode("latin-1").strip() in found.accepts


def _by_path(path: str, paths: Mapping[str, FastPath]) -> FastPath | None:
    """The fast path of the path itself, or of the path up to its last segment when that
    one is a parameter: `/api/v1/seizures/totals` is not `/api/v1/seizures/{report_id}`."""
    found = paths.get(path)
    if found is not None and found.segment is None:
        return found
    found = paths.get(path.rpartition("/")[0] + "/")
    return found if found is not None and found.segment is not None else None


def _params(found: FastPath, scope: Scope) -> dict[str, Any] | None:
    """The parameters of the path's segment and of the query the fast path answers for,
    or None."""
    params: dict[str, Any] = {}
    if found.segment is not None:
        value = found.segment(scope["path"].rpartition("/")[2])
        if value is None:
            return None
        params[found.segment_name] = value
    query: bytes = scope["query_string"]
    if not query:
        return params
    for pair in query.decode("latin-1").split("&"):
        name, equals, text = pair.partition("=")
        parse = found.params.get(name)
        if not equals or parse is None or name in params:
            return None
        value = parse(text)
        if value is None:
            return None
        params[name] = value
    return params


async def _answer(request: Request, found: FastPath, params: dict[str, Any]) -> Response | None:
    """The answer, read as the route reads it: a slot of the sessions' lane taken in the
    event loop (`app.deps.get_session`), a session dated as a read of the record. Or the
    answer kept: no session, no slot, no thread."""
    if found.answer is None:
        return _kept(request, found, params)
    state = request.app.state
    await dated_read(request)
    async with state.lanes.sessions:
        session = read_session(request, state.sessionmaker())
        rows = found.rows(params)
        if (loop_answer := found.loop_answer) is not None and loop_reads(state, rows):
            response = await _read_in_loop(request, session, found.path, loop_answer, params)
            if response is not None:
                return response
        if read_on_loop(session, rows, state.lanes):
            return _read(request, session, found, params)
        return await to_thread.run_sync(_read, request, session, found, params)


def read_on_loop(session: Session, rows: int, lanes: Lanes) -> bool:
    """Whether a read runs in the event loop rather than a worker thread. On SQLite, a
    page of up to a hundred reports takes a millisecond or two, and the thread's round trip
    and the wait for the GIL after it cost more; in WAL mode a reader does not wait for a
    writer's lock. But not in a crowd (`_uncrowded`). Longer pages, and PostgreSQL's
    sessions (a network round trip), go to a thread; the statements the loop reads on
    connections of its own are `loop_reads`'."""
    return rows <= LOOP_ROWS and session.get_bind().dialect.name == "sqlite" and _uncrowded(lanes)


def loop_reads(state: Any, rows: int) -> bool:
    """Whether a fast path's `loop_answer` is tried (`app.db.LoopReads`): for a page of up
    to LOOP_ROWS rows, which the loop then makes, not in a crowd."""
    return (
        getattr(state, "loop_reads", None) is not None
        and rows <= LOOP_ROWS
        and _uncrowded(state.lanes)
    )


def _uncrowded(lanes: Lanes) -> bool:
    """The gate is at most half full. In a crowd (issue 20), reads in the loop, one after
    another, kept /healthz waiting 70-130 ms under 400 readers (in threads, which leave the
    loop the GIL every switch interval, 5-20 ms)."""
    return bool(lanes.admission.value >= lanes.budget.admitted // 2)


async def _read_in_loop(
    request: Request,
    session: Session,
    path: str,
    loop_answer: LoopAnswer,
    params: Mapping[str, Any],
) -> Response | None:
    """The answer read in the event loop; None when it is not (nothing failed the request:
    it is read as `answer` reads it)."""
    try:
        response = await loop_answer(request, session, params)
    except Exception:
        logger.warning("fast path of %s failed in the loop", path, exc_info=True)
        return None
    if response is not None:
        session.close()
    return response


def _kept(request: Request, found: FastPath, params: Mapping[str, Any]) -> Response | None:
    """The answer kept; None when there is none, or anything failed."""
    try:
        return None if found.kept is None else found.kept(request, params)
    except Exception:
        logger.warning("fast path of %s failed; FastAPI answers", found.path, exc_info=True)
        return None


def _read(
    request: Request, session: Session, found: FastPath, params: Mapping[str, Any]
) -> Response | None:
    """The answer, the session committed and closed; None when anything failed."""
    answer = found.answer
    if answer is None:
        return None
    try:
        with session:
            response = answer(request, session, params)
            if session.in_transaction():  # a read of one statement alone began none
                session.commit()
            return response
    except Exception:
        logger.warning("fast path of %s failed; FastAPI answers", found.path, exc_info=True)
        return None
