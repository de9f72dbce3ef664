"""The template environment of the pages: one per language, each with the merged message
catalogs (`_`, `gettext`, `ngettext`) and number and date filters in that language's way
(`67 600 кг`, `67,600 kg`). Any page, the staff form's too, renders with `render_page`."""

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from app.http.links import public_link
from app.pages.i18n import LANGUAGES, translations
from app.wording import format_number

TEMPLATES_DIR = Path(__file__).parent / "templates"
GRAMS_PER_KG = 1000
# Base units of the unit kinds, as seizure quantities are stored.
UNIT_WORDS = {"mass": "kg", "volume": "l", "count": "items"}


def kilograms(grams: int, lang: str) -> str:
    """Exact grams as kilograms, with as many decimals as the grams need (at most three)."""
    return format_number(Decimal(grams) / GRAMS_PER_KG, lang)


def format_day(value: date | datetime | str | None, lang: str, style: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_date(value, format=style, locale=lang)


def format_fuzzy(value: Any, lang: str) -> str:
    """A date known to its precision: `2008`, `September 2008` / `сентябрь 2008 г.`, a day."""
    if not value:
        return ""
    if not isinstance(value, Mapping):  # a FuzzyDate and the like
        value = {"date": value.date, "precision": value.precision}
    day = value["date"]
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    precision = str(value.get("precision") or "day")
    if precision == "year":
        return str(day.year)
    if precision == "month":
        return format_date(day, format="LLLL y", locale=lang)
    return format_date(day, format="medium", locale=lang)


@cache
def environment(lang: str) -> Environment:
    """The environment of `lang`; built once per process and language."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "svg", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = env.globals["gettext"]
    env.globals["lang"] = lang
    env.globals["languages"] = LANGUAGES
    env.filters["number"] = lambda value, digits=3: format_number(value, lang, digits)
    env.filters["kg"] = lambda grams: kilograms(grams, lang)
    env.filters["day"] = lambda value, style="medium": format_day(value, lang, style)
    env.filters["fuzzy"] = lambda value: format_fuzzy(value, lang)
    return env


def url_with(request: Request, **changes: str | None) -> str:
    """The request's URL with some query parameters set (None removes one)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, v) for k, v in changes.items() if v is not None]
    return request.url.path + (f"?{urlencode(params)}" if params else "")


def render(name: str, lang: str, context: Mapping[str, Any]) -> str:
    return environment(lang).get_template(name).render(context)


def render_page(
    request: Request,
    name: str,
    lang: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """An HTML page from template `name` in `lang`. The template sees `request`, `lang`,
    `lang_url(code)` (this URL in another language), `url_with(**params)` and
    `public_link(path)`, the only absolute URLs a page may show."""
    page = render(
        name,
        lang,
        {
            "request": request,
            "lang_url": lambda code: url_with(request, lang=code),
            "url_with": lambda **changes: url_with(request, **changes),
            "public_link": lambda path: public_link(request, path),
            **(context or {}),
        },
    )
    response = HTMLResponse(page, status_code=status_code, headers=dict(headers or {}))
    response.headers.setdefault("Content-Security-Policy", PAGES_CSP)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"
    return response


# Stricter than the docs' policy (app/security.py keeps a header set here): nothing from
# another origin, no inline style, and scripts only from the server's own files. Fixed, not
# computed from the page: a script injected into a page must not run. The pages have no
# inline script (the staff form's texts are a JSON data block, which no browser runs).
PAGES_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def markup(text: str) -> Markup:
    """Text already safe as HTML (an inline SVG drawn here)."""
    return Markup(text)
