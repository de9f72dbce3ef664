"""The template environment of the pages: one per language, each with the merged message
catalogs (`_`, `gettext`, `ngettext`) and number and date filters in that language's way
(`67 600 кг`, `67,600 kg`). Any page, the staff form's too, renders with `render_page`."""

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from app.http.as_of import PARAMETER as AS_OF
from app.http.as_of import as_of
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


# How a day is written: `May 10, 2021` in English; day first, `10.05.2021`, in Russian.
DAY_FORMATS = {"en": "medium", "ru": "dd.MM.y"}
# A month as a phrase takes it: `September 2008`; `сентября 2008 г.` (genitive, as in
# «с сентября 2008 г.»). A year: `2008`; `2008 г.`.
MONTH_FORMATS = {"en": "MMMM y", "ru": "MMMM y 'г.'"}
YEAR_FORMATS = {"en": "{year}", "ru": "{year} г."}
# A span of whole years: `2017–2019`; `2017–2019 гг.`.
YEARS_FORMATS = {"en": "{first}–{last}", "ru": "{first}–{last} гг."}
QUOTES = {"en": ("\u201c", "\u201d"), "ru": ("\u00ab", "\u00bb")}


def format_day(value: date | datetime | str | None, lang: str, style: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return format_date(value, format=style or DAY_FORMATS.get(lang, "medium"), locale=lang)


def format_fuzzy(value: Any, lang: str) -> str:
    """A date known to its precision: `2008` / `2008 г.`, `September 2008` /
    `сентября 2008 г.`, a day."""
    if not value:
        return ""
    if not isinstance(value, Mapping):  # a FuzzyDate and the like
        value = {"date": value.date, "precision": value.precision}
    day = value["date"]
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    precision = str(value.get("precision") or "day")
    if precision == "year":
        return YEAR_FORMATS.get(lang, "{year}").format(year=day.year)
    if precision == "month":
        return format_date(day, format=MONTH_FORMATS.get(lang, "MMMM y"), locale=lang)
    return format_day(day, lang)


def format_moment(value: datetime, lang: str) -> str:
    """A moment in UTC, to the second: `6 дек. 2026 г., 10:41:07 UTC`."""
    return f"{format_datetime(value, 'medium', tzinfo=UTC, locale=lang)} UTC"


def format_period(start: date | str, end: date | str, lang: str) -> str:
    """A report's period: its year (`2019`), its whole years (`2017–2019`, `2017–2019 гг.`),
    else its first and last days in the page's way."""
    first, last = str(start)[:10], str(end)[:10]
    if first[5:] == "01-01" and last[5:] == "12-31":
        if first[:4] == last[:4]:
            return first[:4]
        return YEARS_FORMATS.get(lang, "{first}–{last}").format(first=first[:4], last=last[:4])
    return f"{format_day(first, lang)} – {format_day(last, lang)}"


def quoted(text: str, lang: str) -> str:
    """Words quoted in the page's way: “...” in English, «...» in Russian."""
    opening, closing = QUOTES.get(lang, QUOTES["en"])
    return f"{opening}{text}{closing}"


@cache
def environment(lang: str) -> Environment:
    """The environment of `lang`; built once per process and language."""
    unseen_title = translations(lang).gettext("(headline not shown in the stored excerpt)")
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "svg", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # A source whose stored copy lacks its headline has the registry's words for that
        # as its title (seeds/sources/): the registry's words, so in the page's language.
        finalize=lambda value: unseen_title if value == UNSEEN_TITLE else value,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = env.globals["gettext"]
    env.globals["lang"] = lang
    env.globals["languages"] = LANGUAGES
    env.filters["number"] = lambda value, digits=3: format_number(value, lang, digits)
    env.filters["kg"] = lambda grams: kilograms(grams, lang)
    env.filters["day"] = lambda value, style=None: format_day(value, lang, style)
    env.filters["quoted"] = lambda text: quoted(str(text), lang)
    env.filters["fuzzy"] = lambda value: format_fuzzy(value, lang)
    env.filters["moment"] = lambda value: format_moment(value, lang)
    return env


def url_with(request: Request, **changes: str | None) -> str:
    """The request's URL with some query parameters set (None removes one)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, v) for k, v in changes.items() if v is not None]
    return request.url.path + (f"?{urlencode(params)}" if params else "")


UNSEEN_TITLE = "(headline not shown in the stored excerpt)"


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
    past = as_of(request)
    page = render(
        name,
        lang,
        {
            "request": request,
            "as_of": past,
            "lang_url": lambda code: url_with(request, lang=code),
            "url_with": lambda **changes: url_with(request, **changes),
            "public_link": lambda path: public_link(request, path),
            **(context or {}),
        },
    )
    if past is not None:
        page = carry_as_of(page, past.asked.text)
    return page_response(page, lang, status_code=status_code, headers=headers)


def page_response(
    page: str | bytes,
    lang: str,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A page written by `render_page` (or kept from it) with its headers."""
    response = HTMLResponse(page, status_code=status_code, headers=dict(headers or {}))
    response.headers.setdefault("Content-Security-Policy", PAGES_CSP)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"
    return response


# The links of a page of the record as it stood lead to the same past record: every link to
# a page or a read of the record (not the assets, the docs, the staff form, the releases and
# the error report form, which answer only as things stand now, nor a link marked
# `data-live`: the way back to the present), and every form that asks by GET.
_RECORD_LINK = re.compile(
    r'(?<!data-live )href="(/(?!/|assets/|docs|staff|report-error|releases)[^"#]*)(#[^"]*)?"'
)
_GET_FORM = re.compile(r'<form\b[^>]*method="get"[^>]*>')


def carry_as_of(page: str, asked: str) -> str:
    value = quote(asked, safe="")

    def link(found: re.Match[str]) -> str:
        url, fragment = found.group(1), found.group(2) or ""
        if f"{AS_OF}=" in url:
            return found.group(0)
        joiner = "&amp;" if "?" in url else "?"
        return f'href="{url}{joiner}{AS_OF}={value}{fragment}"'

    hidden = f'<input type="hidden" name="{AS_OF}" value="{Markup.escape(asked)}">'
    page = _RECORD_LINK.sub(link, page)
    return _GET_FORM.sub(lambda found: found.group(0) + hidden, page)


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
