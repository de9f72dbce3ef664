"""The changelog as a page for people: `/changelog` (issue 24), what changed in the record,
newest first, by release and since a date, in the page's language. Its Atom feed is
`/api/v1/changelog.atom` (with the same filters), named in the page's head."""

import re
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import Date, Integer, Table
from sqlalchemy.orm import Session

from app.changelog import service
from app.changelog.entities import BY_NAME
from app.changelog.router import PastDep
from app.deps import SessionDep
from app.http.as_of import as_of
from app.http.pagination import PageRequest, after_id, decode_cursor, encode_cursor
from app.models import Base
from app.pages.i18n import LangDep, translations
from app.pages.routing import PageRoute
from app.pages.templating import format_day, render_page
from app.wording import format_number

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 50
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
LATIN = re.compile("[a-z]", re.IGNORECASE)


def N_(text: str) -> str:  # noqa: N802 (the name Babel extracts marked messages by)
    """Marks a message for the catalogs; it is translated where it is shown."""
    return text


CHANGES = {"added": N_("Added"), "corrected": N_("Corrected"), "deleted": N_("Deleted")}
# Each field of the record a reader may see changed, in words (never the column's name).
FIELDS = {
    "accessed_on": N_("Accessed on"),
    "acronym_en": N_("Acronym in English"),
    "acronym_ru": N_("Acronym in Russian"),
    "activity_id": N_("Activity"),
    "adopted_on": N_("Adopted on"),
    "adopted_precision": N_("Precision of the adoption date"),
    "aliases_en": N_("Other names in English"),
    "aliases_ru": N_("Other names in Russian"),
    "alternative_to_id": N_("Another source's version of"),
    "amount": N_("Quantity, in grams, litres or items"),
    "as_of": N_("As of"),
    "as_of_precision": N_("Precision of the date"),
    "as_reported": N_("As the source words it"),
    "assessor_kind": N_("Who assessed"),
    "body_id": N_("Body"),
    "body_relation": N_("Relation to the body"),
    "cases": N_("Cases"),
    "chair": N_("Chair"),
    "chair_locator": N_("Place of the chair in the source"),
    "chair_source_id": N_("Source of the chair"),
    "channel": N_("Channel of the assessment"),
    "country_id": N_("Country"),
    "date_precision": N_("Precision of the date"),
    "decision_id": N_("Decision"),
    "description": N_("Description"),
    "description_ru": N_("Description in Russian"),
    "end_on": N_("End"),
    "established_on": N_("Established on"),
    "event_id": N_("Event"),
    "field": N_("Fact"),
    "held_on": N_("Held on"),
    "hq_city_en": N_("Headquarters, in English"),
    "hq_city_ru": N_("Headquarters, in Russian"),
    "hq_country_id": N_("Country of the headquarters"),
    "id": N_("Number in the registry"),
    "is_example": N_("Made up for examples"),
    "iso3": N_("Country code"),
    "issuer_id": N_("Issuer"),
    "kind": N_("Kind"),
    "language": N_("Language"),
    "lead_country_id": N_("Lead country"),
    "locator": N_("Place in the source"),
    "locator_scheme": N_("How places in the source are given"),
    "locator_scheme_ru": N_("How places in the source are given, in Russian"),
    "meeting_id": N_("Meeting"),
    "metric": N_("What is counted"),
    "name_en": N_("Name in English"),
    "name_ru": N_("Name in Russian"),
    "note": N_("Note"),
    "note_ru": N_("Note in Russian"),
    "number": N_("Number"),
    "occasion": N_("Occasion"),
    "occasion_organization_id": N_("Organization of the occasion"),
    "operation_id": N_("Operation"),
    "organization_id": N_("Organization"),
    "outside_stage": N_("Outside the stage"),
    "parent_id": N_("Part of"),
    "party_detail": N_("Party, in detail"),
    "party_detail_ru": N_("Party, in detail, in Russian"),
    "party_kind": N_("Kind of party"),
    "per": N_("Per"),
    "period_end": N_("End of the period"),
    "period_end_year": N_("Last year"),
    "period_start": N_("Start of the period"),
    "period_start_year": N_("First year"),
    "place": N_("Place"),
    "position": N_("Position"),
    "published_on": N_("Published on"),
    "published_precision": N_("Precision of the publication date"),
    "publisher": N_("Publisher"),
    "publisher_ru": N_("Publisher in Russian"),
    "purpose": N_("Purpose"),
    "qualifier": N_("How exact"),
    "reference": N_("Reference"),
    "regularity": N_("Regularity"),
    "reliability_note": N_("Note on reliability"),
    "role": N_("Role"),
    "scope": N_("Scope"),
    "slug": N_("Short name in addresses"),
    "source_id": N_("Source"),
    "stage_id": N_("Stage"),
    "start_on": N_("Start"),
    "stated_on": N_("Stated on"),
    "stated_precision": N_("Precision of the statement date"),
    "status": N_("Status"),
    "status_en": N_("Status in English"),
    "status_ru": N_("Status in Russian"),
    "substance_id": N_("Substance"),
    "summary": N_("Summary"),
    "summary_ru": N_("Summary in Russian"),
    "title": N_("Title"),
    "title_en": N_("Title in English"),
    "title_ru": N_("Title in Russian"),
    "unit": N_("Unit"),
    "unit_kind": N_("Kind of unit"),
    "url": N_("Address"),
    "valid_from": N_("Valid from"),
    "valid_from_precision": N_("Precision of the start date"),
    "valid_to": N_("Valid to"),
    "value": N_("Value"),
    "verdict": N_("Verdict"),
    "within_id": N_("Figure within"),
}
# Fields whose values are the registry's codes (`at_least`, `press_release`), or its slugs:
# the page says that they changed, not what to (the API and the feed give the codes).
CODED = frozenset(
    {
        "kind", "qualifier", "unit_kind", "metric", "unit", "scope", "role", "regularity",
        "party_kind", "assessor_kind", "channel", "verdict", "status", "per", "language",
        "field", "body_relation", "slug", "adopted_precision", "as_of_precision",
        "date_precision", "published_precision", "stated_precision", "valid_from_precision",
    }
)  # fmt: skip
# Where a record's name is, in the order tried, by language.
LABELS = {
    "ru": ("name_ru", "title_ru", "status_ru", "summary_ru", "name_en", "title_en", "title",
           "status_en", "summary", "as_reported", "iso3"),
    "en": ("name_en", "title_en", "title", "status_en", "summary", "name_ru", "title_ru",
           "status_ru", "summary_ru", "as_reported", "iso3"),
}  # fmt: skip
MAX_VALUE = 300


@router.get("/changelog")
def changelog_page(
    request: Request,
    session: SessionDep,
    lang: LangDep,
    past: PastDep,
    release: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    entity: Annotated[str | None, Query(max_length=60)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """What changed in the record, newest first, a page of fifty at a time; on the record as
    it stood (`as_of`), the changes up to then, read from the present record's history."""
    if past is None:
        return _page(request, session, lang, release, since, until, entity, cursor, None)
    with past() as live:
        return _page(request, live, lang, release, since, until, entity, cursor, as_of(request))


def _page(
    request: Request,
    session: Session,
    lang: str,
    release: str | None,
    since: str | None,
    until: str | None,
    entity: str | None,
    cursor: str | None,
    past: Any,
) -> Response:
    filters = service.change_filters(session, release, since, until, entity).up_to(past)
    start = after_id(PageRequest(PAGE_SIZE, decode_cursor(cursor) if cursor else None))
    public_url = request.app.state.settings.public_url
    rows = service.list_changes(session, filters, start, PAGE_SIZE + 1, public_url)
    older = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        older = "/changelog?" + urlencode([*kept, ("cursor", encode_cursor([rows[-1]["id"]]))])
    feed_query = urlencode(
        [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang", "cursor")]
    )
    context = {
        "changes": [_entry(row, lang) for row in rows],
        "releases": service.releases(session),
        "current": {"release": release or "", "since": since or ""},
        "began": service.history_began(session),
        "older": older,
        "feed_url": "/api/v1/changelog.atom" + (f"?{feed_query}" if feed_query else ""),
        "filtered": bool(release or since or until or entity),
    }
    return render_page(request, "changelog.html", lang, context)


def _entry(row: dict[str, Any], lang: str) -> dict[str, Any]:
    gettext = translations(lang).gettext
    entity = BY_NAME[row["entity"]]
    state = row["after"] or row["before"] or {}
    table: Table = Base.metadata.tables[entity.table]
    changed = row["fields"] if row["change"] == "corrected" else []
    return {
        "id": row["id"],
        "at": datetime.fromisoformat(row["changed_at"]),
        "kind": entity.ru if lang == "ru" else entity.en,
        "entity_id": row["entity_id"],
        "label": _label(state, lang),
        "change": row["change"],
        "change_words": gettext(CHANGES[row["change"]]),
        "fields": [
            _field(table, name, (row["before"] or {}).get(name), state.get(name), lang)
            for name in changed or []
            if name in FIELDS
        ],
        "source": row["source"],
        "page_url": row["page_url"],
        "api_url": row["api_url"],
    }


def _label(state: dict[str, Any], lang: str) -> dict[str, str] | None:
    for name in LABELS[lang]:
        value = state.get(name)
        if isinstance(value, str) and value.strip():
            return _text(value)
    return None


def _field(table: Table, name: str, before: Any, after: Any, lang: str) -> dict[str, Any]:
    gettext = translations(lang).gettext
    shown = name not in CODED
    return {
        "label": gettext(FIELDS[name]),
        "before": _value(table, name, before, lang) if shown else None,
        "after": _value(table, name, after, lang) if shown else None,
        "shown": shown,
    }


def _value(table: Table, name: str, value: Any, lang: str) -> dict[str, str] | None:
    """A value as the page writes it: a date the language's way, a number with its
    separators, a yes or no, a list joined; text marked with its language."""
    if value is None or value == [] or value == "":
        return None
    gettext = translations(lang).gettext
    column = table.c.get(name)
    if isinstance(value, bool):
        return {"text": gettext("yes") if value else gettext("no"), "lang": lang}
    if column is not None and isinstance(column.type, Date) and isinstance(value, str):
        return {"text": format_day(value, lang), "lang": lang}
    if isinstance(value, int):
        plain = name == "id" or name.endswith("_id") or name.endswith("_year")
        if column is not None and isinstance(column.type, Integer) and not plain:
            return {"text": format_number(value, lang, 0), "lang": lang}
        return {"text": str(value), "lang": lang}
    if isinstance(value, list):
        return _text(", ".join(str(item) for item in value))
    return _text(str(value))


def _text(text: str) -> dict[str, str]:
    """Text as a source or staff wrote it: Russian if it has Cyrillic letters, else English
    if it has Latin ones (so marked on the page, and for screen readers)."""
    text = text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
    lang = "ru" if CYRILLIC.search(text) else "en" if LATIN.search(text) else ""
    return {"text": text, "lang": lang}
