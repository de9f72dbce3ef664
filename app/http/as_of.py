"""`as_of`: every read of the record answers as the record stood at a release or a time
(issue 24).

A read of the facts (the API's dated reads, app/http/caching.py, and the pages) takes
`as_of`, either a release's version (`1.0.0`) or a date or date-time in ISO 8601
(`2026-12-06`, `2026-12-06T12:00:00Z`; a date alone is the end of that day, a time without
an offset is UTC). The parameter is read here, before the request's session opens; the
record as it stood then is a read-only database of its own (app/releases/snapshots.py
builds it from the record's history), whose sessions the request's session and its export
sessions then come from (`as_of_sessions`). Every read stays what it is: the same code
answers from the past record as from the present one, with that version's ETag and
Last-Modified.

A time later than now is refused: the record then is not yet known, and an answer that
changed later would not be the same answer again next year. Any other endpoint (a write, a
staff read, the releases) refuses `as_of` with a 422 that says why, rather than ignoring it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Annotated, Protocol

from fastapi import Depends, Query, Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session, sessionmaker

from app.deps import AS_OF_SESSIONS
from app.error_words import Said
from app.errors import InvalidParameterError
from app.http.modified import UNDATED_KEY
from app.http.negotiation import traits

PARAMETER = "as_of"
DESCRIPTION = (
    "Answer as the record stood then: a release's version (`1.0.0`, see `/api/v1/releases`) "
    "or a date or date-time in ISO 8601 (`2026-12-06`, `2026-12-06T12:00:00Z`; a date alone "
    "is the end of that day in UTC, a time without an offset is UTC). Not later than now. "
    "Deleted and corrected records are answered as they were."
)
LONGEST = 64
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_VERSION_LIKE = re.compile(r"^\d+\.\d+\.\d+")  # semantic versions (app/releases/versions.py)


@dataclass(frozen=True)
class Asked:
    """What `as_of` names: a release's version, or a moment in UTC."""

    text: str
    release: str | None = None
    moment: datetime | None = None


@dataclass(frozen=True)
class AsOf:
    """The record as it stood at what was asked: its data version, the time of its last
    change, and sessions on it."""

    asked: Asked
    data_version: int
    changed_at: datetime
    sessions: sessionmaker[Session]


class PastRecords(Protocol):
    """What opens the record as it stood (app/releases/snapshots.py, on `app.state`)."""

    async def open(self, asked: Asked, live: Callable[[], Session]) -> AsOf: ...


def parse(text: str) -> Asked:
    """A release's version or a moment; raises InvalidParameterError naming `as_of`."""
    if len(text) > LONGEST or not text.strip():
        raise InvalidParameterError(PARAMETER, _NEITHER)
    if _VERSION_LIKE.match(text):
        return Asked(text, release=text)
    if not _DATE_LIKE.match(text):
        raise InvalidParameterError(PARAMETER, _NEITHER)
    moment = _moment(text)
    if moment > datetime.now(UTC):
        raise InvalidParameterError(
            PARAMETER,
            Said(
                "is later than now: the record then is not yet known; leave `as_of` out for "
                "the record as it stands now",
                "позже текущего момента: каким будет реестр, ещё неизвестно; чтобы получить "
                "реестр в нынешнем виде, уберите `as_of`",
            ),
        )
    return Asked(text, moment=moment)


_NEITHER = Said(
    "is neither a release's version (such as 1.0.0) nor a date or date-time in ISO 8601 "
    "(such as 2026-12-06 or 2026-12-06T12:00:00Z)",
    "не номер выпуска (например, 1.0.0) и не дата или дата и время в формате ISO 8601 "
    "(например, 2026-12-06 или 2026-12-06T12:00:00Z)",
)


def _moment(text: str) -> datetime:
    try:
        if len(text) == 10:  # a date: the record at the end of that day, UTC
            return datetime.combine(datetime.fromisoformat(text).date(), time.max, UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidParameterError(PARAMETER, _NEITHER) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # an offset that leaves the calendar: its first or last moment
        return (datetime.max if moment.year > 1 else datetime.min).replace(tzinfo=UTC)


async def get_history_sessions(request: Request) -> Callable[[], Session]:
    """Sessions on the present record, whose history the past one is built from (the
    tests give theirs, in the test's transaction)."""
    factory: Callable[[], Session] = request.app.state.history_sessions
    return factory


AS_OF = "as_of"  # the key in `request.state`


async def read_as_of(
    request: Request,
    live: Annotated[Callable[[], Session], Depends(get_history_sessions)],
    as_of: Annotated[str | None, Query(description=DESCRIPTION, max_length=LONGEST)] = None,
) -> None:
    """A router dependency of the reads: opens the record as it stood, for the request's
    sessions (`as_of_sessions`)."""
    if as_of is None:
        return
    if not reads_the_record(request):
        raise InvalidParameterError(
            PARAMETER,
            Said(
                "this endpoint answers only as things stand now: `as_of` is for the reads "
                "of the record",
                "этот адрес отвечает только о том, что есть сейчас: `as_of` — для чтения реестра",
            ),
        )
    records: PastRecords = request.app.state.past_records
    opened = await records.open(parse(as_of), live)
    setattr(request.state, AS_OF, opened)
    setattr(request.state, AS_OF_SESSIONS, opened.sessions)


def reads_the_record(request: Request) -> bool:
    """A GET or HEAD of the registry's facts: what is dated (app/http/caching.py)."""
    route = request.scope.get("route")
    return (
        request.method in ("GET", "HEAD") and isinstance(route, APIRoute) and of_the_record(route)
    )


def of_the_record(route: APIRoute) -> bool:
    """A route whose reads are of the registry's facts: not one that needs a key of its own
    (the staff's tables), nor one marked `UNDATED` (app/http/modified.py)."""
    return not traits(route).needs_key and not (route.openapi_extra or {}).get(UNDATED_KEY)


def takes_as_of(route: APIRoute) -> bool:
    """Whether the route takes `as_of` (app/http/strict_query.py refuses it elsewhere)."""
    return bool((route.methods or set()) & {"GET", "HEAD"}) and of_the_record(route)


NOT_HERE = Said(
    "this endpoint answers only as things stand now: `as_of` is for the reads of the record",
    "этот адрес отвечает только о том, что есть сейчас: `as_of` — для чтения реестра",
)


def as_of(request: Request) -> AsOf | None:
    """The record as it stood, when the request asked for it."""
    found = getattr(request.state, AS_OF, None)
    return found if isinstance(found, AsOf) else None
