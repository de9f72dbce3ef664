"""`GET /api/v1`: the index of the API's collections, so that a client (or a person with
curl) who starts at the root finds every list without reading the docs."""

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts

from app.http.links import public_link

router = APIRouter()
PREFIX = "/api/v1"


def collections(app: FastAPI) -> list[dict[str, Any]]:
    """Every list of the API: a GET route under the prefix with no path parameter and no
    format suffix (`.csv`, `.ndjson` are named as its formats)."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or "GET" not in (context.methods or ()):
            continue
        path = context.path_format or ""
        if not path.startswith(PREFIX + "/") or "{" in path or "." in path:
            continue
        found.append(
            {
                "name": path.removeprefix(PREFIX + "/"),
                "path": path,
                "title": route.summary or route.name.replace("_", " "),
            }
        )
    return found


@router.get(PREFIX, include_in_schema=False)
async def api_index(request: Request) -> dict[str, Any]:
    """The collections, each with its address and its CSV and NDJSON exports
    (and Atom feed) where it has them."""
    paths = {context.path_format or "" for context in iter_route_contexts(request.app.routes)}
    return {
        "collections": [
            {
                "name": item["name"],
                "title": item["title"],
                "url": public_link(request, item["path"]),
                **{
                    form: public_link(request, f"{item['path']}.{form}")
                    for form in ("csv", "ndjson", "atom")
                    if f"{item['path']}.{form}" in paths
                },
            }
            for item in collections(request.app)
        ],
        "docs": public_link(request, "/docs"),
        "openapi": public_link(request, "/openapi.json"),
    }
