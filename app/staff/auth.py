"""Bearer-key authentication and the role dependencies (`EditorDep`, `AdminDep`)."""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import String, bindparam, literal, select
from sqlalchemy.orm import Session

from app.db import DriverStatement, LoopReads
from app.error_words import said
from app.errors import DomainError, TooManyRequestsError
from app.http.negotiation import key_check
from app.models import ApiKey, AuthFailure
from app.models.enums import KeyRole
from app.security import FAILURE_ROW, FailedAuthLimiter, client_address
from app.staff.keys import KEY_ROW, Caller, authenticate, caller_of, prefix_of

bearer = HTTPBearer(
    auto_error=False,
    description="An API key made with `ksopn keys create`: `Authorization: Bearer ksopn_...`",
)


class UnauthorizedError(DomainError):
    status = 401
    title = "Unauthorized"
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": 'Bearer realm="ksopn"'}


class ForbiddenError(DomainError):
    status = 403
    title = "Forbidden"


SessionFactory = Callable[[], Session]


@dataclass(frozen=True)
class KeySessions:
    """Where a key check reads and writes: short sessions of its own, never the request's.

    With the request's session a write request would hold two pooled connections at once,
    and enough concurrent writers exhaust the pool waiting on each other; and a failure must
    be counted (committed) whatever becomes of the request."""

    reads: SessionFactory
    writes: SessionFactory
    # The event loop's own connections (`app.db.LoopReads`), where a check is one statement
    # and no worker thread; None where they would not see the keys (a test's transaction).
    loop: LoopReads | None = None


async def get_key_sessions(request: Request) -> KeySessions:
    # A key check reads in autocommit: no transaction to begin and end on PostgreSQL.
    state = request.app.state
    loop = getattr(state, "loop_reads", None)
    return KeySessions(state.key_sessionmaker, state.write_sessionmaker, loop)


# Failures are written in a thread of their own, one at a time per process: not in the
# request threads, where a failure waiting for SQLite's write lock could hold the thread that
# the lock's holder needs to commit in (on SQLite there is one, app/main.py).
_FAILURE_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ksopn-auth-failures")


class _Unread(Enum):
    UNREAD = "unread"  # the loop read nothing: the check is made in a worker thread


Checked = Caller | int | None  # `_check_key`'s answer


def _check_key(
    limiter: FailedAuthLimiter, sessions: KeySessions, client: str, presented: str
) -> Checked:
    """The key's caller; or seconds to wait when the client failed too often (its key is
    then not even looked at, so guessing gains nothing); or None for a bad key."""
    with sessions.reads() as session:
        if (wait := limiter.retry_after(session, client)) is not None:
            return wait
        return authenticate(session, presented)


async def _checked(
    limiter: FailedAuthLimiter, sessions: KeySessions, client: str, presented: str
) -> Checked:
    """`_check_key`'s answer: read in the event loop where it can be, else in a thread."""
    if sessions.loop is not None:
        checked = await _check_key_in_loop(sessions.loop, limiter, client, presented)
        if checked is not _Unread.UNREAD:
            return checked
    return await run_in_threadpool(_check_key, limiter, sessions, client, presented)


async def _check_key_in_loop(
    reads: LoopReads, limiter: FailedAuthLimiter, client: str, presented: str
) -> Checked | Literal[_Unread.UNREAD]:
    """`_check_key` in the event loop, its two reads in one statement: in a worker thread
    it cost a post of ten reports (SQLite, in process) the thread's round trip, a pooled
    connection, BEGIN, two statements through the session and ROLLBACK."""
    statement = _key_check_statement(reads.engine.dialect)
    prefix = prefix_of(presented)
    values = {"client": client, "prefix": prefix or ""}  # "" is no key's prefix
    rows = await reads.fetch(statement.sql, statement.params(values))
    if not rows:
        return _Unread.UNREAD
    failures, window_started_at, *key = rows[0]  # FAILURE_ROW, KEY_ROW
    if (wait := limiter.wait(failures, window_started_at)) is not None:
        return wait
    if prefix is None:
        return None
    return caller_of(presented, None if key[0] is None else tuple(key))


@lru_cache(maxsize=4)
def _key_check_statement(dialect: Any) -> DriverStatement:
    """The client's failures (`FailedAuthLimiter.retry_after`) and the key's row by its
    prefix (`authenticate`), each joined to one row: the statement always gives one, its
    columns null where there is no such client or key."""
    one = select(literal(1).label("one")).subquery()
    by_client = AuthFailure.client == bindparam("client", type_=String())
    by_prefix = ApiKey.prefix == bindparam("prefix", type_=String())
    both = one.outerjoin(AuthFailure, by_client).outerjoin(ApiKey, by_prefix)
    stmt = select(*FAILURE_ROW, *KEY_ROW).select_from(both)
    return DriverStatement.of(stmt, dialect)


def _record_failure(limiter: FailedAuthLimiter, sessions: KeySessions, client: str) -> None:
    with sessions.writes() as session, session.begin():
        limiter.record_failure(session, client)


@key_check
async def _caller(
    request: Request,
    sessions: Annotated[KeySessions, Depends(get_key_sessions)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    # Checked once a request: a write's key is asked for by the reads' check too.
    known: Caller | None = getattr(request.state, "caller", None)
    if known is not None:
        return known
    if credentials is None:
        raise UnauthorizedError(
            said(
                "this needs an API key: send `Authorization: Bearer <key>`",
                "нужен ключ API: отправьте `Authorization: Bearer <key>`",
            )
        )
    limiter: FailedAuthLimiter = request.app.state.failed_auth
    client = client_address(request)
    checked = await _checked(limiter, sessions, client, credentials.credentials)
    if isinstance(checked, Caller):
        request.state.caller = checked
        return checked
    if checked is not None:
        raise TooManyRequestsError(
            said(
                f"too many failed API key checks from this address; retry in {checked} s",
                f"слишком много неудачных проверок ключа с этого адреса; повторите через "
                f"{checked} с",
            ),
            retry_after=checked,
        )
    # Shielded: a client that hangs up at once still has its failure counted.
    counted = asyncio.get_running_loop().run_in_executor(
        _FAILURE_WRITER, _record_failure, limiter, sessions, client
    )
    await asyncio.shield(counted)
    raise UnauthorizedError(
        said("the API key is unknown or revoked", "ключ API неизвестен или отозван")
    )


CallerDep = Annotated[Caller, Depends(_caller)]


async def _editor(caller: CallerDep) -> Caller:
    if caller.role not in (KeyRole.EDITOR, KeyRole.ADMIN):
        raise ForbiddenError(
            said(f"key {caller.name!r} may not write", f"ключу {caller.name!r} запись не разрешена")
        )
    return caller


async def _admin(caller: CallerDep) -> Caller:
    if caller.role != KeyRole.ADMIN:
        raise ForbiddenError(
            said(
                f"this needs an admin key; {caller.name!r} is {caller.role.value}",
                f"нужен ключ администратора; роль {caller.name!r}: {caller.role.value}",
            )
        )
    return caller


EditorDep = Annotated[Caller, Depends(_editor)]
AdminDep = Annotated[Caller, Depends(_admin)]


async def reader_check(
    request: Request,
    sessions: Annotated[KeySessions, Depends(get_key_sessions)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Reads are public unless KSOPN_REQUIRE_KEY_FOR_READS is set. A key presented anyway is
    checked: a client whose key is unknown or revoked learns it (401) on its next read, not
    on its next write."""
    if credentials is None and "authorization" in request.headers:
        raise UnauthorizedError(
            said(
                "the Authorization header must be `Bearer <key>`",
                "заголовок Authorization должен иметь вид `Bearer <key>`",
            )
        )
    if credentials is not None or request.app.state.settings.require_key_for_reads:
        await _caller(request, sessions, credentials)
