"""The kinds of record the changelog names, by their public names: each table of facts
(`VERSIONED_TABLES`) as the API and the pages call it, in English and Russian, and where a
record of it is read (its API address and its page, its own or the record that holds it).

A table's name never reaches a reader: the changelog says `stage`, `seizure-report`."""

import difflib
import re
from dataclasses import dataclass

from app.error_words import said
from app.errors import InvalidParameterError
from app.models.versions import VERSIONED_TABLES


@dataclass(frozen=True)
class Entity:
    table: str
    name: str  # the public name: the `entity` filter's value and the answer's `entity`
    en: str  # in a sentence ("stage 12 corrected")
    ru: str
    api: str | None = None  # its own API address, `{id}` or a column of its row
    # The records that hold it, by the column that names them, first that is set first: a
    # stage result is read on its stage's page and in its stage's answer.
    holders: tuple[tuple[str, str], ...] = ()


ENTITIES = {
    entity.table: entity
    for entity in (
        Entity("activities", "activity", "activity", "направление деятельности",
               "/api/v1/activities/{id}"),
        Entity("assessments", "assessment", "assessment", "оценка",
               holders=(("operation_id", "operations"),)),
        Entity("bodies", "body", "body", "орган", "/api/v1/bodies/{id}"),
        Entity("claims", "claim", "source's version", "версия источника",
               holders=(("stage_id", "stages"), ("meeting_id", "meetings"))),
        Entity("countries", "country", "country", "страна", "/api/v1/countries/{iso3}"),
        Entity("documents", "document", "document", "документ", "/api/v1/documents/{id}"),
        Entity("events", "event", "event", "событие", "/api/v1/events/{id}"),
        Entity("exercise_objectives", "exercise-objective", "exercise objective",
               "задача учений", holders=(("operation_id", "operations"),)),
        Entity("meeting_decisions", "meeting-decision", "meeting decision",
               "решение заседания", holders=(("meeting_id", "meetings"),)),
        Entity("meetings", "meeting", "meeting", "заседание", "/api/v1/meetings/{id}"),
        Entity("membership_statements", "membership-statement", "membership statement",
               "заявление о членстве", holders=(("country_id", "countries"),)),
        Entity("memberships", "membership", "membership", "членство",
               holders=(("country_id", "countries"),)),
        Entity("operation_statuses", "operation-status", "operation status",
               "статус операции", holders=(("operation_id", "operations"),)),
        Entity("operations", "operation", "operation", "операция", "/api/v1/operations/{id}"),
        Entity("organizations", "organization", "organization", "организация",
               "/api/v1/organizations/{id}"),
        Entity("participations", "participation", "participation", "участие",
               "/api/v1/participations/{id}",
               holders=(("stage_id", "stages"), ("operation_id", "operations"))),
        Entity("reported_figures", "reported-figure", "reported figure",
               "опубликованный показатель", "/api/v1/reported-figures/{id}"),
        Entity("seizure_reports", "seizure-report", "seizure report", "сводка об изъятии",
               "/api/v1/seizures/{id}", holders=(("stage_id", "stages"),)),
        Entity("sources", "source", "source", "источник", "/api/v1/sources/{id}"),
        Entity("stage_results", "stage-result", "stage result", "итог этапа",
               holders=(("stage_id", "stages"),)),
        Entity("stages", "stage", "stage", "этап", "/api/v1/stages/{id}"),
        Entity("substances", "substance", "substance", "вещество", "/api/v1/substances/{id}"),
    )
}  # fmt: skip
assert set(ENTITIES) == set(VERSIONED_TABLES), "every table of facts has its public name"
BY_NAME = {entity.name: entity for entity in ENTITIES.values()}
NAMES = tuple(sorted(BY_NAME))

# The pages of the records that have one, by the columns of their row they are named by
# (a stage of an exercise is on /exercises/{id}: `page_of` in the service says which).
PAGES = {
    "stages": "/stages/{id}",
    "meetings": "/meetings/{id}",
    "sources": "/sources/{slug}",
    "countries": "/countries/{iso3}",
    "operations": "/operations/{slug}",
    "substances": "/substances/{slug}",
}
# Columns a reader is not shown: derived from the names beside them (the folded text `q=`
# searches). No table of facts has a column about API keys or who holds them; a test keeps it so.
HIDDEN_COLUMNS = frozenset({"search_text"})


def entity_named(value: str) -> Entity:
    """The kind of record `value` names (`stage`, `seizure report`, `Seizure_Report`); else
    a 422 naming `entity`, with the closest name or all of them."""
    folded = re.sub(r"[\s_]+", "-", value.strip().casefold())
    found = BY_NAME.get(folded)
    if found is not None:
        return found
    listed = ", ".join(NAMES)
    close = difflib.get_close_matches(folded, NAMES, n=1)
    if close:
        message = said(
            f"no kind of record {value[:60]!r}; did you mean `{close[0]}`? The kinds are: {listed}",
            f"нет вида записей {value[:60]!r}; может быть, `{close[0]}`? Виды: {listed}",
        )
    else:
        message = said(
            f"no kind of record {value[:60]!r}; the kinds are: {listed}",
            f"нет вида записей {value[:60]!r}; виды: {listed}",
        )
    raise InvalidParameterError("entity", message)
