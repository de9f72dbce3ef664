"""The search page's results as a person reads them: each hit named in the page's language
(a stage by its name or "Channel, stage 31", a meeting as "Meeting 25 of the KSOPN", a
source by its title and publisher), linked to its page where it has one and to its API
resource where it has none, grouped under the kind's name. No slug or code is shown."""

import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from app.pages.facts import Gettext, name_in, stage_label
from app.pages.templating import format_day, format_fuzzy
from app.search.index import Hit
from app.search.service import Found

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# The kinds with a page of their own, and its address; the others link to the API.
PAGES = {
    "operation": "/operations/{key}?lang={lang}",
    "stage": "/stages/{key}?lang={lang}",
    "exercise": "/stages/{key}?lang={lang}",
    "country": "/countries/{key}?lang={lang}",
    "source": "/sources/{key}?lang={lang}",
    "substance": "/?substance={key}&lang={lang}",
}


def kind_labels(gettext: Gettext) -> dict[str, str]:
    return {
        "body": gettext("The Council and its bodies"),
        "organization": gettext("Organizations"),
        "operation": gettext("Operations"),
        "stage": gettext("Stages of operations"),
        "exercise": gettext("Exercises"),
        "meeting": gettext("Meetings"),
        "document": gettext("Documents"),
        "source": gettext("Sources"),
        "country": gettext("Countries"),
        "substance": gettext("Substances"),
    }


@dataclass
class Shown:
    """One hit on the page."""

    label: Markup  # its name, marked with its language where that is not the page's
    href: str
    in_api: bool  # the link leads to the API, for want of a page
    other_name: Markup | None = None
    details: list[Markup] = field(default_factory=list)
    close_spelling: bool = False


@dataclass
class Group:
    label: str
    hits: list[Shown]


def in_its_language(text: str | None, lang: str) -> Markup:
    """A name as written, marked with its script's language where that is not the page's:
    an English name on a Russian page is a name, not untranslated prose."""
    if not text:
        return Markup("")
    written = "ru" if CYRILLIC.search(text) else "en"
    if written == lang:
        return Markup("{}").format(text)
    return Markup('<span lang="{}">{}</span>').format(written, text)


def in_field_language(english: str | None, russian: str | None, lang: str) -> Markup:
    """The Russian or English one of a pair, as `name_in` picks it, marked with the
    language of the one picked where that is not the page's. A Russian name in Latin
    letters (a brand: «Forbes Kazakhstan», «RT») is marked as the English one would be."""
    text = name_in((english, russian), lang)
    written = "ru" if text and text == russian and CYRILLIC.search(text) else "en"
    if not text:
        return Markup("")
    if written == lang == "ru":
        return _latin_marked(text)
    if written == lang:
        return Markup("{}").format(text)
    return Markup('<span lang="{}">{}</span>').format(written, text)


# A run of Latin-letter words inside a Russian name, a domain name left as it is.
LATIN_RUN = re.compile(r"(?<![\w.])[A-Za-z][\w+-]*(?: [A-Za-z][\w+-]*)*(?![\w.])")


def _latin_marked(text: str) -> Markup:
    """A Russian name with the brand it holds in Latin letters («Sputnik Казахстан»,
    «Евразэс News») marked as such, so that a reader's tools read each part in its own."""
    return Markup("").join(
        Markup('<span lang="en">{}</span>').format(part) if LATIN_RUN.fullmatch(part) else part
        for part in re.split(f"({LATIN_RUN.pattern})", text)
        if part
    )


def groups(found: Found, lang: str, gettext: Gettext) -> list[Group]:
    labels = kind_labels(gettext)
    return [
        Group(labels[kind], [shown(hit, lang, gettext) for hit in hits])
        for kind, hits in found.groups
    ]


def shown(hit: Hit, lang: str, gettext: Gettext) -> Shown:
    item = hit.entry.item
    kind = item["kind"]
    page = PAGES.get(kind)
    result = Shown(
        label=_label(item, lang, gettext),
        href=page.format(key=item["key"], lang=lang) if page else item["path"],
        in_api=page is None,
        close_spelling=hit.tier.name == "fuzzy",
    )
    other = "en" if lang == "ru" else "ru"
    own, other_name = item.get(f"name_{lang}"), item.get(f"name_{other}")
    if kind not in ("source", "meeting") and own and other_name and other_name != own:
        result.other_name = Markup('<span lang="{}">{}</span>').format(other, other_name)
    result.details = _details(item, lang)
    return result


def _label(item: dict[str, Any], lang: str, gettext: Gettext) -> Markup:
    kind = item["kind"]
    if kind == "source":  # a title in its own language, quoted
        return Markup("<cite>{}</cite>").format(in_its_language(item["title"], lang))
    if kind == "meeting":
        body = in_field_language(item["body_en"], item["body_ru"], lang)
        if item["number"] is None:
            return Markup(gettext("A meeting of %(body)s")) % {"body": body}
        words = Markup(gettext("Meeting %(number)s of %(body)s"))
        return words % {"number": item["number"], "body": body}
    name = in_field_language(item["name_en"], item["name_ru"], lang)
    if kind in ("stage", "exercise") and not name:
        operation = in_field_language(item["operation_en"], item["operation_ru"], lang)
        if item["number"] is None:
            return operation
        return Markup(stage_label("%(operation)s", item["number"], gettext)) % {
            "operation": operation
        }
    acronym = in_field_language(item.get("acronym_en"), item.get("acronym_ru"), lang)
    if acronym and acronym != name:
        return Markup("{} ({})").format(name, acronym)
    return name


def _details(item: dict[str, Any], lang: str) -> list[Markup]:
    """When and where a stage or a meeting was; who published a source."""
    kind = item["kind"]
    if kind == "source":
        return [in_field_language(item["publisher_en"], item["publisher_ru"], lang)]
    found: list[Markup] = []
    if kind == "meeting" and item["date"]:
        when = {"date": item["date"], "precision": item["date_precision"]}
        found.append(Markup("{}").format(format_fuzzy(when, lang)))
    elif kind in ("stage", "exercise") and item["date"]:
        found.append(Markup("{}").format(format_day(item["date"], lang)))
    if item.get("place_en") or item.get("place_ru"):  # a stage's headquarters
        found.append(in_field_language(item.get("place_en"), item.get("place_ru"), lang))
    if item.get("place"):  # as the source names it, in its language
        found.append(in_its_language(item["place"], lang))
    return found
