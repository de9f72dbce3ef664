"""JSON bodies serialized through their declared response model, with an ETag.

Hot read paths whose services already build the response model's exact shape (the same
keys in the model's order, JSON-ready values) pass `shaped=True`: orjson writes them
without a validation pass, which on a page of a hundred nested items is most of the
request's cost. `tests/seizures/test_shaped_bodies.py` holds those bodies byte-equal to the model's.

The ETag is a hash of the exact bytes sent, so a read's `If-None-Match` gets a 304 when
nothing changed, and a write's `If-Match` can be checked against the same value the
client last read (`current_etag`). A read of the registry's facts also carries
`Last-Modified` and answers `If-Modified-Since` (app/http/modified.py).
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
import xxhash
from fastapi import Request, Response
from pydantic import BaseModel, TypeAdapter

from app.http.modified import date_headers, not_modified_since


@lru_cache(maxsize=256)
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def render(model: Any, data: Any, *, exclude_unset: bool = False) -> bytes:
    adapter = _adapter(model)
    return adapter.dump_json(adapter.validate_python(data), exclude_unset=exclude_unset)


def render_with_items(model: Any, data: dict[str, Any], key: str, items: list[Any]) -> bytes:
    """`render(model, data)` whose list `data[key]` is given apart as `items` that orjson
    writes as they are, each as the model writes it (`orjson.Fragment`s, or shaped dicts):
    the rest is validated and written by the model, the items written into their place.
    The key is the object's own, not a nested one's: `"key":[]` appears once in a body
    written with the list empty, as a key (a string's quotes are escaped)."""
    body = render(model, {**data, key: []})
    head, found, tail = body.partition(b'"%s":[]' % key.encode())
    if not found:  # the model writes the key otherwise (an alias): the items validated too
        return render(model, {**data, key: orjson.loads(orjson.dumps(items))})
    # Joined, not formatted: `%b` of a stage's thousand reports (900 KB) took 0.6 ms, a
    # twentieth of its read; a join copies each part once.
    return b"".join((head, b'"%b":' % key.encode(), orjson.dumps(items), tail))


def etag_of(body: bytes) -> str:
    """A strong validator of the body: 128 bits of XXH3, a hash made for telling contents
    apart, not for secrets (nothing is signed with it). SHA-256 took 17 us of a 35 KB page
    (a sixteenth of a year page's first read); XXH3 takes 0.3."""
    return '"' + xxhash.xxh3_128_hexdigest(body) + '"'


def current_etag(model: type[BaseModel] | Any, data: Any) -> str:
    return etag_of(render(model, data))


def etag_matches(header: str | None, etag: str, *, weak: bool = True) -> bool:
    """True when a comma-separated If-Match / If-None-Match list names `etag` (or is `*`).

    If-None-Match compares weakly (W/"x" matches "x"); If-Match strongly (RFC 9110).
    """
    if header is None:
        return False
    tags = [tag.strip() for tag in header.split(",")]
    if weak:
        tags = [tag.removeprefix("W/") for tag in tags]
    return "*" in tags or etag in tags


def not_modified(request: Request, etag: str) -> bool:
    """A GET whose If-None-Match names `etag`, or which sends none and whose
    If-Modified-Since is not before the last change: the client holds this representation."""
    if request.method not in ("GET", "HEAD"):
        return False
    return etag_matches(request.headers.get("if-none-match"), etag) or not_modified_since(request)


def validators(request: Request, etag: str) -> dict[str, str]:
    """The headers a client revalidates with: the ETag, and Last-Modified on a dated read."""
    return {"ETag": etag, **date_headers(request)}


@dataclass(frozen=True)
class Rendered:
    """A JSON body as sent, with its ETag."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> "Rendered":
        return cls(body, etag_of(body))


def respond(
    request: Request,
    rendered: Rendered,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The body, or a 304 when the request's If-None-Match names its ETag."""
    all_headers = {**validators(request, rendered.etag), **(headers or {})}
    if not_modified(request, rendered.etag):
        return Response(status_code=304, headers=all_headers)
    return Response(rendered.body, status_code, all_headers, media_type="application/json")


def represent(
    request: Request,
    model: Any,
    data: Any,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    exclude_unset: bool = False,
    shaped: bool = False,
) -> Response:
    # A shaped body is written as it is: `exclude_unset` then says which of the model's dumps
    # its shape equals (tests/seizures/test_shaped_bodies.py renders it so to compare).
    body = orjson.dumps(data) if shaped else render(model, data, exclude_unset=exclude_unset)
    return respond(request, Rendered.of(body), status_code=status_code, headers=headers)


def created(request: Request, model: Any, data: Any, location: str) -> Response:
    """201 with `data` as `model` writes it; or, given a `Rendered`, that body as written
    (a stage post writes its reports apart, as its read does: `render_with_items`)."""
    rendered = data if isinstance(data, Rendered) else Rendered.of(render(model, data))
    return respond(request, rendered, status_code=201, headers={"Location": location})
