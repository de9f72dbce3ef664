"""Languages of the pages: the choice per request, and the message catalogs.

Every `.po` file in `locale/<lang>/LC_MESSAGES/` is read and merged (the pages' own
`messages.po` and any other domain, such as the staff form's `staff.po`), compiled in
memory with Babel: there is no `.mo` build step. The catalogs are read once per process.
"""

from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Annotated, Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import Depends, Query, Request

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
    if not header:
        return None
    choices: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, index, primary))
    return min(choices)[2] if choices else None


async def page_language(
    request: Request,
    lang: Annotated[Lang | None, Query(description="`ru` or `en`; else Accept-Language")] = None,
) -> str:
    """The language of a page: `?lang=` first, then Accept-Language, then English."""
    return lang or from_accept_language(request.headers.get("accept-language")) or DEFAULT_LANGUAGE


LangDep = Annotated[str, Depends(page_language)]
