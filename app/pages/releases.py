"""The releases as pages for people: `/releases` and `/releases/{version}` (issue 24): what
each froze, its files with their sizes and checksums, and how to cite it."""

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from app.deps import SessionDep
from app.pages.i18n import LangDep
from app.pages.routing import PageRoute
from app.pages.templating import render_page
from app.releases import package
from app.releases import service as releases
from app.releases.versions import MAX_LENGTH

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
PAGE_SIZE = 1000  # every release on one page: a registry makes a few a year


def _public_url(request: Request) -> str | None:
    return request.app.state.settings.public_url  # type: ignore[no-any-return]


@router.get("/releases")
def releases_index(request: Request, session: SessionDep, lang: LangDep) -> Response:
    """Every release, newest first, each linked to its page."""
    found = releases.list_releases(session, 0, PAGE_SIZE, _public_url(request))
    for release in found:
        release["note_lang"] = note_language(release["note"])
    context = {"releases": list(reversed(found))}
    return render_page(request, "releases.html", lang, context)


@router.get("/releases/{version}")
def release_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    version: Annotated[str, Path(max_length=MAX_LENGTH)],
) -> Response:
    release = releases.get_release(session, version, _public_url(request))
    release["note_lang"] = note_language(release["note"])
    for entry in release["files"]:
        entry["what"] = _what(entry["name"], release["version"], lang)
    csl = json.dumps([release["citation"]["csl_json"]], ensure_ascii=False, indent=2)
    context = {"release": release, "csl_json": csl}
    return render_page(request, "release.html", lang, context)


def note_language(note: str) -> str:
    """A note is in the language its maker wrote it in, one only: Russian if it has
    Cyrillic letters, else English; marked so on the page (and for screen readers)."""
    return "ru" if CYRILLIC.search(note) else "en"


def _what(name: str, version: str, lang: str) -> dict[str, Any]:
    """What a file is, in the page's language: a table's title, or the file's kind."""
    table = name.removesuffix(".csv")
    if name.endswith(".csv") and table in package.DESCRIPTIONS:
        title, _, title_ru, _ = package.DESCRIPTIONS[table]
        return {"kind": "table", "title": title_ru if lang == "ru" else title}
    kinds = {
        "datapackage.json": "datapackage",
        "SHA256SUMS": "checksums",
        package.sqlite_name(version): "sqlite",
        package.zip_name(version): "zip",
    }
    return {"kind": kinds.get(name, "other"), "title": None}
