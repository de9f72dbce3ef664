"""Request dependencies, defined once and used through their `Annotated` aliases."""

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from anyio import CancelScope, Semaphore, to_thread
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.errors import InvalidParameterError
from app.models.versions import VERSIONS_READ, VersionsRead, note_changed_at, note_versions_read

# Dependencies that do no I/O are `async def`: FastAPI runs every plain `def` dependency in
# a worker thread, and each such hop costs about a millisecond and, under load, far more in
# the tail (threads queue for the GIL). A read request makes two hops: its handler, and the
# end of its session.


class _Slot:
    """A slot of a lane, given back once: when the request ends, or earlier when the
    request says its session is done (`session_done`)."""

    def __init__(self, lane: Semaphore) -> None:
        self.lane = lane
        self.held = False

    async def __aenter__(self) -> "_Slot":
        await self.lane.acquire()
        self.held = True
        return self

    async def __aexit__(self, *_exception: object) -> None:
        self.give_back()

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.lane.release()


async def get_session(request: Request) -> AsyncGenerator[Session, None]:
    """One session per request: committed when the handler succeeds, rolled back otherwise;
    on the record as it stood when the request asks (`as_of`, app/http/as_of.py).
    Its slot is taken first, in the event loop (`app.db.ConnectionBudget`): a request that
    waits, waits here, never in a worker thread."""
    slot = request.state.session_slot = _Slot(request.app.state.lanes.sessions)
    sessions = as_of_sessions(request) or request.app.state.sessionmaker
    session = read_session(request, sessions())
    async with slot, session_scope(session) as session:
        yield session


# Set on a read that asks for the record as it stood (`as_of`, app/http/as_of.py): the
# sessions of the request and of its exports then read that record.
AS_OF_SESSIONS = "as_of_sessions"


def as_of_sessions(request: Request) -> Callable[[], Session] | None:
    """Sessions on the record as it stood, when the request asked for it."""
    found: Callable[[], Session] | None = getattr(request.state, AS_OF_SESSIONS, None)
    return found


# Set on a read of the registry's facts (app/http/caching.py `dated_read`): its session
# notes the time of their last change as it begins, for `Last-Modified`.
DATED_READ = "dated_read"


def read_session(request: Request, session: Session) -> Session:
    """The request's read session, noting the time of the facts' last change when the
    request reads facts (app/http/modified.py finds it in `request.state.read_session`),
    and the data versions it reads facts at when the kept answers ask for them
    (app/http/kept_answers.py: a list in the request's state)."""
    if getattr(request.state, DATED_READ, False):
        note_changed_at(session)
        request.state.read_session = session
    versions: VersionsRead | None = getattr(request.state, VERSIONS_READ, None)
    if versions is not None:
        note_versions_read(session, versions)
    return session


def note_version_answered(request: Request, version: int) -> None:
    """Notes, for the kept answers, that the request is answered with what was made at the
    data version `version` and no other (a page kept at that version)."""
    versions: VersionsRead | None = getattr(request.state, VERSIONS_READ, None)
    if versions is not None:
        versions.append((version, True))


# Where the crowd's gate (app/http/admission.py) leaves the request a way out before its end.
LEAVE_ADMISSION = "leave_admission"


def session_done(request: Request) -> None:
    """The request closed its session before its end (a chart's figures are read, and it
    waits for the drawing): its slot goes back now, for a read that waits for one."""
    slot: _Slot | None = getattr(request.state, "session_slot", None)
    if slot is not None:
        slot.give_back()
    # It leaves the crowd's gate too (app/http/admission.py): waiting for a drawing, it
    # should not keep a read that waits there from its turn.
    if (leave_admission := getattr(request.state, LEAVE_ADMISSION, None)) is not None:
        leave_admission()


async def get_write_session(request: Request) -> AsyncGenerator[Session, None]:
    """Like get_session; on SQLite its transaction takes the write lock from the start.
    The process's writes take turns for its few slots (`app.state.write_slots`, see
    app/main.py)."""
    async with (
        request.app.state.write_slots,
        request.app.state.lanes.sessions,
        session_scope(request.app.state.write_sessionmaker()) as session,
    ):
        yield session


@asynccontextmanager
async def session_scope(session: Session) -> AsyncIterator[Session]:
    """Commits when the request succeeds, rolls back otherwise, closes in any case. A new
    session touches no database, so only its end runs in a worker thread.

    A context manager, not a generator to iterate: `async for` over a generator does not
    pass the handler's exception into it, and the rollback would wait for the garbage
    collector, holding the connection and racing the next request's transaction."""
    # Both ends are shielded: a request cancelled there (the client went away, the server
    # stops) still ends its transaction. Unshielded, the wait for a worker thread could be
    # cancelled, and the session, with SQLite's write lock, would stay open.
    try:
        yield session
    except BaseException:
        with CancelScope(shield=True):
            await to_thread.run_sync(_discard, session)
        raise
    with CancelScope(shield=True):
        await to_thread.run_sync(_commit, session)


def _commit(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _discard(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


# scope="function": the commit happens before the response is sent, so a client is never
# told of a write that then fails to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]


async def refuse_nul_characters(request: Request) -> None:
    """No text the API takes may hold NUL: PostgreSQL cannot store or compare it."""
    for location, params in (("query", request.query_params.multi_items()),
                             ("path", request.path_params.items())):  # fmt: skip
        for name, value in params:
            if isinstance(value, str) and "\x00" in value:
                raise InvalidParameterError(name, "contains a NUL character", location=location)
