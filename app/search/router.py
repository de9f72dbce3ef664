"""`GET /api/v1/search`: one query over every kind of thing the registry names."""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.deps import SessionDep
from app.error_words import wants_russian
from app.http import contract, examples
from app.http.links import public_link
from app.http.representation import represent
from app.http.schemas import PROBLEMS
from app.search import service
from app.search.index import MIN_QUERY, Hit
from app.search.schemas import SearchResults

TAG = "search"
examples.add_examples_file(Path(__file__).with_name("examples.json"))
contract.describe_tag(
    TAG,
    "One query over the Council and its bodies, organizations, operations, stages, exercises, "
    "meetings, documents, sources, countries and substances.",
    place=45,
)
router = APIRouter(responses=PROBLEMS, tags=[TAG])

TOO_SHORT = {
    "en": f"Type at least {MIN_QUERY} characters to search.",
    "ru": f"Для поиска введите не меньше {MIN_QUERY} символов.",
}

Q = Annotated[
    str,
    Query(
        max_length=200,
        description="A name, an acronym, an alias, a place, a publisher or a number, in "
        "English or Russian, in any word form (`героина`), with a small misspelling forgiven "
        f"(`herion`). Absent, empty or shorter than {MIN_QUERY} characters, nothing is "
        "searched and `message` says so.",
    ),
]


@router.get(
    "/search",
    response_model=SearchResults,
    summary="Search everything by name",
    operation_id="search",
)
def search(request: Request, session: SessionDep, q: Q = "") -> Response:
    """Matches, grouped by kind: the whole name first, then a part of a name, then every
    word in some form, then every word within a small misspelling (one edit in a word of 5-8
    letters, two from 9). `q=KSOPN` and `q=КСОПН` find the Council; `q=героина` and
    `q=herion` find heroin; `q=Брест` finds the stage coordinated from Brest."""
    found = service.search(session, request.app.state.search, q)
    language = "ru" if wants_russian(request.headers.get("accept-language")) else "en"
    body = {
        "q": found.query,
        "total": found.total,
        "groups": [
            {"kind": kind, "hits": [hit_body(request, hit) for hit in hits]}
            for kind, hits in found.groups
        ],
        "message": TOO_SHORT[language] if found.too_short else None,
    }
    return represent(request, SearchResults, body, exclude_unset=True)


def hit_body(request: Request, hit: Hit) -> dict[str, Any]:
    item = dict(hit.entry.item)
    path = item.pop("path")
    return {
        **item,
        "url": public_link(request, path),
        "matched": hit.term.text,
        "match": hit.tier.name,
    }
