"""Bearer-key authentication and the role dependencies (`EditorDep`, `AdminDep`)."""

from collections.abc import Callable
from typing import Annotated, ClassVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.errors import DomainError, TooManyRequestsError
from app.models.enums import KeyRole
from app.security import FailedAuthLimiter, client_address
from app.staff.keys import Caller, authenticate

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


KeyLookup = Callable[[str], Caller | None]


async def get_key_lookup(request: Request) -> KeyLookup:
    """Checks a key in a short transaction of its own.

    Not the request's session: a write request would then hold two pooled connections
    at once, and enough concurrent writers exhaust the pool waiting on each other.
    """

    def lookup(presented: str) -> Caller | None:
        with request.app.state.sessionmaker() as session:
            return authenticate(session, presented)

    return lookup


def _caller(
    request: Request,
    lookup: Annotated[KeyLookup, Depends(get_key_lookup)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    # Checked once a request: a write's key is asked for by the reads' check too.
    known: Caller | None = getattr(request.state, "caller", None)
    if known is not None:
        return known
    # A client that failed too often is not even checked, so guessing keys gains nothing.
    limiter: FailedAuthLimiter = request.app.state.failed_auth
    client = client_address(request)
    if (wait := limiter.retry_after(client)) is not None:
        raise TooManyRequestsError(
            f"too many failed API key checks from this address; retry in {wait} s",
            retry_after=wait,
        )
    if credentials is None:
        raise UnauthorizedError("this needs an API key: send `Authorization: Bearer <key>`")
    caller = lookup(credentials.credentials)
    if caller is None:
        limiter.record_failure(client)
        raise UnauthorizedError("the API key is unknown or revoked")
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(_caller)]


async def _editor(caller: CallerDep) -> Caller:
    if caller.role not in (KeyRole.EDITOR, KeyRole.ADMIN):
        raise ForbiddenError(f"key {caller.name!r} may not write")
    return caller


async def _admin(caller: CallerDep) -> Caller:
    if caller.role != KeyRole.ADMIN:
        raise ForbiddenError(f"this needs an admin key; {caller.name!r} is {caller.role.value}")
    return caller


EditorDep = Annotated[Caller, Depends(_editor)]
AdminDep = Annotated[Caller, Depends(_admin)]


async def reader_check(
    request: Request,
    lookup: Annotated[KeyLookup, Depends(get_key_lookup)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Reads are public unless KSOPN_REQUIRE_KEY_FOR_READS is set. A key presented anyway is
    checked: a client whose key is unknown or revoked learns it (401) on its next read, not
    on its next write."""
    if credentials is None and "authorization" in request.headers:
        raise UnauthorizedError("the Authorization header must be `Bearer <key>`")
    if credentials is not None or request.app.state.settings.require_key_for_reads:
        await run_in_threadpool(_caller, request, lookup, credentials)


def needs_key(dependant: Dependant) -> bool:
    """Whether a route's handler asks for a caller (a key) among its dependencies."""
    pending = [dependant]
    while pending:
        current = pending.pop()
        if current.call is _caller:
            return True
        pending.extend(current.dependencies)
    return False
