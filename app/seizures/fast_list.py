"""The list of seizure reports by year, `GET /api/v1/seizures?year=2018&limit=100` and the
pages its `next` links lead to, on the kit's fast path (app/http/fast_path.py): the same
answer as the route `app.seizures.router.seizures`, without FastAPI's dependency solving.

It takes `year`, `limit` and `cursor`, each as the route reads it and written the one way
`str(int)` and the `next` links write it; the route's other parameters (and any other
spelling) go to the route. The app factory installs it (app/main.py)."""

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from app.common import MAX_ID
from app.errors import InvalidParameterError
from app.http import fast_path
from app.http.links import public_link
from app.http.pagination import MAX_LIMIT, PageRequest, decode_cursor, encode_cursor, page_of
from app.http.schemas import Page
from app.seizures.list_items import year_page, year_page_in_loop
from app.seizures.schemas import SeizureOut

DEFAULT_LIMIT = 50  # as `app.http.pagination.page_request` has it
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,512}")
_PAGE = Page[SeizureOut]


@lru_cache(maxsize=4096)
def _cursor(text: str) -> tuple[int] | None:
    """An id-ordered list's cursor as `next` writes it: one id, encoded as `encode_cursor`
    encodes it (so no other spelling of it comes here). Kept for the cursors asked most:
    the `next` links of a year's pages are followed by every reader of that year."""
    if not _CURSOR.fullmatch(text):
        return None
    try:
        key = decode_cursor(text)
    except InvalidParameterError:
        return None
    last = key[0]
    if len(key) != 1 or type(last) is not int or not 0 <= last <= MAX_ID:
        return None
    return (last,) if encode_cursor(key) == text else None


def _page(request: Request, session: Session, params: Mapping[str, Any]) -> Response:
    """What `seizures` answers through `Listing.respond` for a JSON page."""
    page, after_id = _asked(params)
    ids, items = year_page(session, params.get("year"), after_id, page.limit + 1)
    return _answer(request, page, ids, items)


async def _page_in_loop(
    request: Request, session: Session, params: Mapping[str, Any]
) -> Response | None:
    """`_page`, its statement read in the event loop (PostgreSQL); None: read as `_page`."""
    page, after_id = _asked(params)
    read = await year_page_in_loop(
        request.app.state.loop_reads, session, params.get("year"), after_id, page.limit + 1
    )
    return None if read is None else _answer(request, page, *read)


def _asked(params: Mapping[str, Any]) -> tuple[PageRequest, int]:
    """The page asked for, and the id it starts after."""
    after = params.get("cursor")
    page = PageRequest(limit=params.get("limit", DEFAULT_LIMIT), after=after)
    return page, after[0] if after else 0


def _answer(request: Request, page: PageRequest, ids: list[int], items: list[Any]) -> Response:
    # The items are JSON already (`orjson.Fragment`): the cursor names the last one by its id.
    last_id = ids[page.limit - 1] if len(ids) > page.limit else None
    return page_of(
        request, _PAGE, items, page, lambda _last: [last_id], shaped=True, url_of=_next_page
    )


def _next_page(request: Request, cursor: str) -> str:
    """`pagination.page_url` of a query the fast path took: its pairs are canonical, which
    `urlencode` writes as they are, and Starlette's `include_query_params` puts the new
    cursor last; parsing and encoding the query again took a tenth of a page's time."""
    query = request.scope["query_string"].decode("latin-1")
    kept = [pair for pair in query.split("&") if pair and not pair.startswith("cursor=")]
    return public_link(request, f"{request.scope['path']}?{'&'.join([*kept, f'cursor={cursor}'])}")


YEAR_LIST = fast_path.FastPath(
    path="/api/v1/seizures",
    params={
        "year": fast_path.canonical_int(1900, 2100),
        "limit": fast_path.canonical_int(1, MAX_LIMIT),
        "cursor": _cursor,
    },
    answer=_page,
    loop_answer=_page_in_loop,
    rows=lambda params: params.get("limit", DEFAULT_LIMIT) + 1,
)
