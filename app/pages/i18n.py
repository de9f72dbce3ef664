"""Languages of the pages: the choice per request, and the message catalogs.

Every `.po` file in `locale/<lang>/LC_MESSAGES/` is read and merged (the pages' own
`messages.po` and any other domain, such as the staff form's `staff.po`), compiled in
memory with Babel: there is no `.mo` build step. The catalogs are read once per process.
"""

import difflib
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Annotated, Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import Depends, Query, Request

from app.error_words import preferred_language
from app.errors import InvalidParameterError

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"
Lang = Literal["en", "ru"]


@cache
def translations(lang: str) -> NullTranslations:
    """The merged catalogs of `lang` (every .po file of it; fuzzy entries are left out by
    the compilation), compiled in memory."""
    merged: Translations | None = None
    for po_file in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=lang, domain=po_file.stem)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        part = Translations(fp=compiled, domain="messages")
        if merged is None:
            merged = part  # its plural rule (Russian has three forms) serves them all
        else:
            merged.merge(part)
    return merged if merged is not None else NullTranslations()


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages the header asks for, by its quality values."""
    return preferred_language(header, LANGUAGES)


LANGUAGE_NAMES = {"en": "English", "ru": "Russian"}
# What people type for a language besides its code: `lang=rus` and `lang=english` are meant.
LANGUAGE_SPELLINGS = {
    **{code: code for code in LANGUAGES},
    "eng": "en", "english": "en", "rus": "ru", "russian": "ru", "русский": "ru", "ру": "ru",
}  # fmt: skip


def language_problem(asked: str) -> str:
    """Why `lang=asked` is refused, naming the languages there are, with the likeliest."""
    folded = asked.strip().casefold()
    close = LANGUAGE_SPELLINGS.get(folded) or LANGUAGE_SPELLINGS.get(
        next(iter(difflib.get_close_matches(folded, LANGUAGE_SPELLINGS, n=1)), ""),
        DEFAULT_LANGUAGE,
    )
    accepted = " and ".join(f"`{code}` ({LANGUAGE_NAMES[code]})" for code in LANGUAGES)
    return f"{asked!r} is not a language of these pages: they are in {accepted}; try `lang={close}`"


async def page_language(
    request: Request,
    lang: Annotated[
        str | None, Query(max_length=40, description="`ru` or `en`; else Accept-Language")
    ] = None,
) -> str:
    """The language of a page: `?lang=` first, then Accept-Language, then English. Another
    language is a 422 that names the two (a page in English instead would hide the typo)."""
    if lang is None:
        return from_accept_language(request.headers.get("accept-language")) or DEFAULT_LANGUAGE
    if lang not in LANGUAGES:
        raise InvalidParameterError("lang", language_problem(lang))
    return lang


LangDep = Annotated[str, Depends(page_language)]
