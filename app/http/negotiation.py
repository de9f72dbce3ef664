"""What a route offers and takes, and the requests it cannot serve: 406 when `Accept` names
none of the media types the route can answer with, 415 when a body is not JSON.

A route's traits are read from the route itself, once: the media types of its answers (its
response model's JSON, the types its documented responses declare, and, for a route that
picks a format by `Accept` or `format=`, each renderer it offers), whether it needs a key,
and whether it takes a body. app/http/caching.py reads them too (`Vary`, `Cache-Control`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, get_args

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute

from app.errors import DomainError
from app.http.listing import RENDERERS, media_ranges

JSON = "application/json"


class NotAcceptableError(DomainError):
    status = 406
    title = "Not acceptable"


class UnsupportedMediaTypeError(DomainError):
    status = 415
    title = "Unsupported media type"

    def __init__(self, detail: str, *, method: str) -> None:
        super().__init__(detail, extra={"accepted_media_types": [JSON]})
        # RFC 9110 15.5.16: say which types are taken (Accept-Patch: RFC 5789).
        self._accept_header = {"POST": "Accept-Post", "PATCH": "Accept-Patch"}.get(method)

    def response_headers(self) -> dict[str, str]:
        if self._accept_header is None:
            return dict(self.headers)
        return {**self.headers, self._accept_header: JSON}


# The dependencies that check an API key, as the domain that owns keys marks them
# (`key_check`): the kit learns which routes need a key without importing that domain.
_KEY_CHECKS: set[Callable[..., Any]] = set()
KeyCheck = TypeVar("KeyCheck", bound=Callable[..., Any])


def key_check(dependency: KeyCheck) -> KeyCheck:
    """Marks a dependency as the check of an API key: a route that depends on it, however
    deeply, needs a key."""
    _KEY_CHECKS.add(dependency)
    return dependency


def needs_key(dependant: Dependant) -> bool:
    """Whether a route's handler asks for a key among its dependencies."""
    pending = [dependant]
    while pending:
        current = pending.pop()
        if current.call in _KEY_CHECKS:
            return True
        pending.extend(current.dependencies)
    return False


@dataclass(frozen=True, slots=True)
class RouteTraits:
    offered: tuple[str, ...]  # the media types of its successful answers, preferred first
    needs_key: bool
    takes_body: bool

    @property
    def negotiates(self) -> bool:
        """True when the answer depends on `Accept` (and a cache must vary on it)."""
        return len(self.offered) > 1


_traits: dict[int, RouteTraits] = {}


def traits(route: APIRoute) -> RouteTraits:
    found = _traits.get(id(route))
    if found is None:
        found = _traits[id(route)] = _read_traits(route)
    return found


def _read_traits(route: APIRoute) -> RouteTraits:
    offered: dict[str, None] = {}
    if route.response_model is not None:
        offered[JSON] = None
    for status in (200, 201, "200", "201"):
        offered.update(dict.fromkeys(route.responses.get(status, {}).get("content", {})))
    offered.update(dict.fromkeys(_renderer_types(route.dependant)))
    if not offered:
        media_type = getattr(route.response_class, "media_type", None)
        offered[media_type or JSON] = None
    return RouteTraits(
        offered=tuple(offered),
        needs_key=needs_key(route.dependant),
        takes_body=route.body_field is not None,
    )


def _renderer_types(dependant: Dependant) -> list[str]:
    """The media types a `format=` parameter selects among the renderers."""
    for field in get_flat_params(dependant):
        if field.alias == "format":
            values = _literal_values(field.field_info.annotation)
            return [RENDERERS[value].media_type for value in values if value in RENDERERS]
    return []


def _literal_values(annotation: Any) -> list[Any]:
    values = []
    for arg in get_args(annotation) or ():
        values.extend(_literal_values(arg) if get_args(arg) else [arg])
    return [value for value in values if isinstance(value, str)]


def accepts(accept: str | None, media_type: str) -> bool:
    """Whether `Accept` lets `media_type` through; the most specific matching range rules."""
    if accept is None or not accept.strip():
        return True
    kind = media_type.split("/", 1)[0]
    best: tuple[int, float] | None = None
    for media, weight in media_ranges(accept):
        specificity = 2 if media == media_type else 1 if media == f"{kind}/*" else 0
        if specificity == 0 and media != "*/*":
            continue
        if best is None or specificity > best[0]:
            best = (specificity, weight)
    return best is not None and best[1] > 0


async def check_media_types(request: Request) -> None:
    """A router dependency: 406 and 415 before the handler runs (and before the body is
    read into a model, so a form post is 415, not a 422 about its fields)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    route_traits = traits(route)
    accept = request.headers.get("accept")
    if accept is not None and not any(accepts(accept, t) for t in route_traits.offered):
        offered = ", ".join(route_traits.offered)
        raise NotAcceptableError(
            f"this resource is available as {offered}; the Accept header ({accept!r}) "
            "allows none of them",
            extra={"available_media_types": list(route_traits.offered)},
        )
    content_type = request.headers.get("content-type")
    # Without a Content-Type the body is read as JSON (RFC 9110 8.3 lets a server examine it).
    if route_traits.takes_body and content_type is not None and not _is_json(content_type):
        raise UnsupportedMediaTypeError(
            f"the body must be JSON, sent with `Content-Type: {JSON}`, not `{content_type}`",
            method=request.method,
        )


def _is_json(content_type: str) -> bool:
    media, *params = (piece.strip().lower() for piece in content_type.split(";"))
    kind, _, subtype = media.partition("/")
    if kind != "application" or not (subtype == "json" or subtype.endswith("+json")):
        return False
    charsets = [p.partition("=")[2].strip('"') for p in params if p.startswith("charset")]
    return all(charset in ("utf-8", "utf8") for charset in charsets)
