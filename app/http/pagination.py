"""Keyset pagination: `limit` and an opaque `cursor`, with `next` as a ready URL."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request, Response
from pydantic import BaseModel

from app.common import MAX_ID
from app.errors import InvalidParameterError
from app.http.links import public_link
from app.http.representation import represent

MAX_LIMIT = 1000


@dataclass(frozen=True)
class PageRequest:
    limit: int
    after: tuple[Any, ...] | None


def encode_cursor(key: Sequence[Any]) -> str:
    if len(key) == 1 and type(key[0]) is int:  # an id: what `json.dumps` writes, sooner
        raw = b"[%d]" % key[0]
    else:
        raw = json.dumps(list(key), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, ...]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidParameterError(
            "cursor", "malformed cursor; use the `next` URL of the previous page"
        ) from error
    if not isinstance(key, list) or not key:
        raise InvalidParameterError("cursor", "malformed cursor; use the `next` URL")
    return tuple(key)


async def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
    cursor: Annotated[
        str | None,
        Query(max_length=512, description="Opaque; take it from the previous page's `next`."),
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, after=decode_cursor(cursor) if cursor else None)


PageDep = Annotated[PageRequest, Depends(page_request)]
# Routes write an id in their path as `{name:int}`: a path with no number there is not theirs
# (`PATCH /seizures/totals` is 405, not "report_id: not an integer").
EntityId = Annotated[int, Path(ge=1, le=MAX_ID, description="The entity's id.")]
SlugOrId = Annotated[
    str, Path(max_length=100, description="The entity's slug (as in its `slug`) or its id.")
]
Iso3 = Annotated[str, Path(max_length=3, description="ISO 3166-1 alpha-3 code, e.g. `KGZ`.")]


def after_id(page: PageRequest) -> int:
    """The id a page of an id-ordered list starts after (0 for the first page)."""
    if page.after is None:
        return 0
    last = page.after[0]
    if len(page.after) != 1 or not _is_id(last):
        raise InvalidParameterError("cursor", "this cursor belongs to another list")
    return int(last)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID


def page_of(
    request: Request,
    model: type[BaseModel],
    rows: list[dict[str, Any]],
    page: PageRequest,
    key_of: Callable[[dict[str, Any]], Sequence[Any]] = lambda row: [row["id"]],
    *,
    count: int | None = None,
    shaped: bool = False,
    url_of: Callable[[Request, str], str] | None = None,
) -> Response:
    """A page from up to `limit + 1` rows: the extra row only tells that a next page exists.

    The next page's URL is in the body (`next`) and in a `Link: rel="next"` header; its
    `cursor` alone is in the body too, for a client that builds its own URLs.
    """
    headers = {}
    next_url = cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        cursor = encode_cursor(key_of(rows[-1]))
        next_url = (url_of or page_url)(request, cursor)
        headers["Link"] = f'<{next_url}>; rel="next"'
    body = {"items": rows, "next": next_url, "cursor": cursor, "count": count}
    return represent(request, model, body, headers=headers, shaped=shaped)


def page_url(request: Request, cursor: str) -> str:
    """The request's URL with `cursor`, as `public_link` makes every link (a fast path
    with its own parsed query gives `page_of` a quicker way to the same URL, `url_of`)."""
    query = request.url.include_query_params(cursor=cursor).query
    return public_link(request, f"{request.url.path}?{query}")
