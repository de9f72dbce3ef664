"""The front page, `GET /` and `/?lang=ru`, on the kit's fast path (app/http/fast_path.py)
when the route has kept it at the data version (`router.new_front_pages`): the kept page,
with the headers the route gives it, without FastAPI's routing and dependency solving.
A page not kept yet, any other query and any other outcome go to the route, which reads
the figures, writes the page and keeps it. The app factory installs it (app/main.py)."""

from collections.abc import Mapping
from typing import Any

from fastapi import Request, Response

from app.deps import note_version_answered
from app.http import fast_path
from app.http.answers import VersionedCache
from app.pages.i18n import LANGUAGES
from app.pages.router import front_page_key
from app.pages.routing import language_of
from app.pages.templating import page_response


def _language(text: str) -> str | None:
    return text if text in LANGUAGES else None


def _kept_page(request: Request, params: Mapping[str, Any]) -> Response | None:
    """The page `front_page` keeps for the request at the data version committed now (as
    the kept answers find theirs: app/http/kept_answers.py), or None: the route writes it.
    No session: on PostgreSQL its worker thread and three round trips took 1.5-2 ms."""
    version = request.app.state.data_version_now()
    if version is None:
        return None
    lang = language_of(request)  # `lang=`, else Accept-Language, as `page_language` reads it
    kept: VersionedCache = request.app.state.front_pages
    page: bytes | None = kept.get(version, front_page_key(request, lang))
    if page is None:
        return None
    note_version_answered(request, version)
    return page_response(page, lang)


FRONT_PAGE = fast_path.FastPath(
    path="/",
    params={"lang": _language},
    kept=_kept_page,
    accepts=None,
)
