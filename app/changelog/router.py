"""`/changelog`: what changed in the record, newest first, as JSON pages, CSV, NDJSON and an
Atom feed (issue 24). Public like every read; it shows the tables of facts only, never the
staff's (keys, who holds them, the audit log)."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from app.changelog import atom, service
from app.changelog.entities import NAMES
from app.changelog.schemas import ChangeOut
from app.deps import SessionDep
from app.http import contract, examples
from app.http.as_of import as_of, get_history_sessions
from app.http.listing import (
    EXPORT_BATCH,
    EXPORTS,
    ListingDep,
    add_exports,
    csv_cell,
    csv_columns,
    write_csv,
)
from app.http.schemas import PROBLEMS, Page

TAG = "changelog"
examples.add_examples_file(Path(__file__).with_name("examples.json"))
contract.describe_tag(
    TAG,
    "What changed in the record, newest first: each record added, corrected or deleted, "
    "with its state before and after and its source; by release and by date; as an Atom "
    "feed too.",
    place=48,
)
router = APIRouter(responses=PROBLEMS, tags=[TAG])
ATOM = "application/atom+xml"
FEED_LIMIT = 200
HISTORY_NOTE = (
    "\n\nHistory begins when the registry began to keep it: the record as it stood then is "
    "its starting state, not a change, and is not listed (the changelog page says when that "
    "was). Derived columns (`search_text`) are left out of `before` and `after`."
)


async def past_sessions(
    request: Request, live: Annotated[Callable[[], Session], Depends(get_history_sessions)]
) -> Callable[[], Session] | None:
    """On a read of the record as it stood (`as_of`), sessions on the present record: the
    changes up to then are in its history (the past record's own file holds none)."""
    return live if as_of(request) is not None else None


PastDep = Annotated[Callable[[], Session] | None, Depends(past_sessions)]


def change_filters(
    request: Request,
    session: SessionDep,
    past: PastDep,
    release: Annotated[
        str | None,
        Query(
            max_length=64,
            description="A release's version (`1.0.0`): the changes it brings, those after "
            "the previous release up to its own data version.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Changes at or after this ISO date (`2026-12-01`, from its start) or "
            "date-time (`2026-12-01T10:00:00Z`; without a zone, UTC).",
        ),
    ] = None,
    until: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Changes at or before this ISO date (to its end) or date-time.",
        ),
    ] = None,
    entity: Annotated[
        str | None,
        Query(
            max_length=60,
            description="The kind of record: " + ", ".join(f"`{name}`" for name in NAMES) + ".",
        ),
    ] = None,
) -> service.ChangeFilters:
    if past is None:
        return service.change_filters(session, release, since, until, entity)
    with past() as live:
        found = service.change_filters(live, release, since, until, entity)
    return found.up_to(as_of(request))


FiltersDep = Annotated[service.ChangeFilters, Depends(change_filters)]


def _public_url(request: Request) -> str | None:
    return request.app.state.settings.public_url  # type: ignore[no-any-return]


@router.get(
    "/changelog",
    response_model=Page[ChangeOut],
    summary="List the changes to the record",
    operation_id="listChanges",
    responses=EXPORTS,
)
def list_changes(
    request: Request, listing: ListingDep, filters: FiltersDep, past: PastDep
) -> Response:
    """Every change to the record, newest first: the kind of record and its id, whether it
    was added, corrected or deleted, the fields a correction changed, the record before and
    after, the source it cites, and where it is read now (null once deleted). A release's
    changes are those after the previous release's data version up to its own."""
    public_url = _public_url(request)

    def fetch(session: Session, after: int, limit: int) -> list[dict[str, Any]]:
        if past is None:
            return service.list_changes(session, filters, after, limit, public_url)
        with past() as live:
            return service.list_changes(live, filters, after, limit, public_url)

    # The entries are in the answer's shape already: the downloads write them as they are,
    # without the generic writers' validation pass (a third of an export's time).
    faster = {name: _written(fetch, write) for name, write in WRITERS.items()}
    return listing.respond(ChangeOut, fetch, shaped=True, faster=faster)


def _ndjson(rows: list[dict[str, Any]]) -> str:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows).decode()


def _csv(rows: list[dict[str, Any]]) -> str:
    columns = csv_columns(ChangeOut)
    return write_csv([csv_cell(row, path) for path in columns] for row in rows).decode()


WRITERS: dict[str, Callable[[list[dict[str, Any]]], str]] = {"ndjson": _ndjson, "csv": _csv}


def _written(
    fetch: Callable[[Session, int, int], list[dict[str, Any]]],
    write: Callable[[list[dict[str, Any]]], str],
) -> Callable[[Session, int], Iterator[str]]:
    def lines(session: Session, after: int) -> Iterator[str]:
        while True:
            rows = fetch(session, after, EXPORT_BATCH)
            if rows:
                yield write(rows)
            if len(rows) < EXPORT_BATCH:
                return
            after = rows[-1]["id"]

    return lines


add_exports(router, list_changes, "Changes to the record", note=HISTORY_NOTE)


class AtomResponse(Response):
    media_type = ATOM


@router.get(
    "/changelog.atom",
    summary="The changes to the record as an Atom feed",
    operation_id="getChangesFeed",
    response_class=AtomResponse,
    responses={
        200: {
            "description": "An Atom 1.0 feed (RFC 4287) of the newest changes.",
            "content": {ATOM: {"schema": {"type": "string"}}},
        }
    },
)
def changes_feed(
    request: Request,
    session: SessionDep,
    filters: FiltersDep,
    past: PastDep,
    limit: Annotated[
        int, Query(ge=1, le=FEED_LIMIT, description="Entries in the feed, newest first.")
    ] = 50,
) -> Response:
    """The changes `GET /changelog` lists, with the same filters, as an Atom 1.0 feed a feed
    reader can follow: the newest `limit` changes, one entry each (its id stable), linked to
    the record's page, with what changed in words. Older changes are in the list (a feed
    reader keeps the entries it has read)."""
    if past is None:
        rows = service.list_changes(session, filters, 0, limit, _public_url(request))
        return atom.feed_response(request, session, filters, rows)
    with past() as live:
        rows = service.list_changes(live, filters, 0, limit, _public_url(request))
        return atom.feed_response(request, live, filters, rows)
