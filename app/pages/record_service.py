"""What the meeting, exercise and substance pages show, from the services the API answers
with (`get_meeting`, `get_stage`, `get_substance`, `list_seizures`):
every fact with its citation, and where sources give several versions of a fact, each
version with the rule's pick marked. Nothing here picks a version or sums on its own."""

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.council import service as council
from app.errors import NotFoundError
from app.http.schemas import nest_source
from app.models import Claim, Participation
from app.models.enums import OperationKind
from app.operations import service as operations
from app.reference import service as reference
from app.seizures.service import SeizureFilters, list_seizures

INDEX_LIMIT = 1000  # the record holds tens of meetings and exercises, not thousands
# The versions in the order a reader asks about an event: when, where, who.
FIELD_ORDER = ("number", "held_on", "start_on", "end_on", "hq_city", "place", "chair")


# --- the versions of a fact -----------------------------------------------------------


def versions(claims: list[dict[str, Any]], recorded: set[str]) -> list[dict[str, Any]]:
    """The claims, each with its standing: `used` (the version the rule picked, which the
    record holds), `other` (a full value the rule did not pick), `partial` (the source's
    words come to no full value: a day with no year, a plan), `stated` (a fact the record
    keeps no column for, as the source states it)."""
    picked = {c["field"] for c in claims if c["used"]}
    shown = []
    for claim in claims:
        if claim["used"]:
            standing = "used"
        elif claim["value"] is None:
            standing = "partial"
        elif claim["field"] in picked or claim["field"] in recorded:
            standing = "other"
        else:
            standing = "stated"
        shown.append(nest_source(claim) | {"standing": standing})
    return sorted(shown, key=lambda v: FIELD_ORDER.index(v["field"]))


def disagreeing(claims: list[dict[str, Any]]) -> list[str]:
    """The fields of which sources state different full values."""
    values: dict[str, set[str]] = defaultdict(set)
    for claim in claims:
        if claim["value"] is not None:
            values[claim["field"]].add(claim["value"])
    return sorted(field for field, found in values.items() if len(found) > 1)


# --- meetings -------------------------------------------------------------------------


def _bodies(session: Session) -> dict[str, dict[str, Any]]:
    return {body["slug"]: body for body in council.list_bodies(session, 0, INDEX_LIMIT)}


def _countries(session: Session) -> dict[str, dict[str, Any]]:
    return {c["iso3"]: c for c in reference.list_countries(session, None, 0, INDEX_LIMIT)}


def _meeting_shown(
    meeting: dict[str, Any], bodies: dict[str, Any], countries: dict[str, Any]
) -> dict[str, Any]:
    meeting = nest_source(meeting)
    meeting["body_detail"] = bodies.get(meeting["body"])
    meeting["country_detail"] = countries.get(meeting["country"]) if meeting["country"] else None
    recorded = {"held_on"} | ({"chair"} if meeting["chair"] else set())
    meeting["versions"] = versions(meeting.pop("claims"), recorded)
    meeting["disagree"] = disagreeing(meeting["versions"])
    meeting["decisions"] = [nest_source(d) for d in meeting["decisions"]]
    return meeting


def _meeting_order(meeting: dict[str, Any]) -> tuple[bool, date, int, int]:
    """By date, undated meetings last (by number, then as recorded)."""
    held = meeting["held"]
    day = held.date if held else date.max
    return (held is None, day, meeting["number"] or 0, meeting["id"])


def meetings_index(session: Session) -> list[dict[str, Any]]:
    bodies, countries = _bodies(session), _countries(session)
    found = [
        _meeting_shown(m, bodies, countries)
        for m in council.list_meetings(session, None, 0, INDEX_LIMIT)
    ]
    return sorted(found, key=_meeting_order)


def meeting_page(session: Session, meeting_id: int) -> dict[str, Any]:
    return _meeting_shown(
        council.get_meeting(session, meeting_id), _bodies(session), _countries(session)
    )


def meetings_in(session: Session, iso3: str) -> list[dict[str, Any]]:
    """The meetings a source places in the country (the country page's list)."""
    return [m for m in meetings_index(session) if m["country"] == iso3]


# --- exercises ------------------------------------------------------------------------


def exercise_operations(session: Session) -> list[dict[str, Any]]:
    return operations.list_operations(
        session, None, OperationKind.TACTICAL_EXERCISE, 0, INDEX_LIMIT
    )


def exercises_index(session: Session) -> list[dict[str, Any]]:
    """Each exercise operation (Grom, Kobalt) with its exercises, by date, undated last,
    each with its parties and the facts its sources disagree on."""
    shown = []
    for operation in exercise_operations(session):
        stages = operations.list_stages(session, operation["id"], 0, None)
        parties = operations.participations_of(
            session, Participation.stage_id, [s["id"] for s in stages]
        )
        for stage in stages:
            claims = operations.claims_of(session, Claim.stage_id, stage["id"], {})
            stage["disagree"] = disagreeing(claims)
            stage["parties"] = [nest_source(p) for p in parties.get(stage["id"], [])]
        shown.append({**operation, "exercises": [nest_source(s) for s in stages]})
    return shown


def exercise_page(session: Session, stage_id: int) -> dict[str, Any]:
    """A stage of an exercise operation; any other stage is not an exercise (404)."""
    stage = operations.get_stage(session, stage_id)
    operation = operations.get_operation(session, stage["operation"])
    if operation["kind"] != OperationKind.TACTICAL_EXERCISE:
        raise NotFoundError(f"no exercise {stage_id}")
    stage = dict(nest_source(stage))
    stage["operation_detail"] = operation
    recorded = {"start_on", "end_on", "place"}
    stage["versions"] = versions(stage.pop("claims"), recorded)
    stage["disagree"] = disagreeing(stage["versions"])
    for key in ("participants", "observers", "seizures"):
        stage[key] = [nest_source(item) for item in stage[key]]
    stage["results"] = [
        nest_source(r) | {"alternatives": [nest_source(a) for a in r["alternatives"]]}
        for r in stage["results"]
    ]
    return stage


def exercises_of(session: Session, iso3: str) -> list[dict[str, Any]]:
    """The exercises a source names the country a party to (the country page's list)."""
    return [
        {**stage, "operation_detail": operation}
        for operation in exercises_index(session)
        for stage in operation["exercises"]
        if any(p["party"].get("iso3") == iso3 for p in stage["parties"])
    ]


# --- substances -----------------------------------------------------------------------


def substances_index(session: Session) -> list[dict[str, Any]]:
    return reference.substance_tree(session)


def substance_page(session: Session, slug: str) -> dict[str, Any]:
    """The substance, where it sits in the tree, and its own and its descendants' seizure
    reports (their totals are the front page's, filtered by the substance)."""
    substance = reference.get_substance(session, slug)
    nodes = {node["slug"]: node for node in _walk(reference.substance_tree(session))}
    node = nodes[substance["slug"]]
    substance["parent_detail"] = nodes.get(substance["parent"]) if substance["parent"] else None
    substance["children"] = node["children"]
    # Parts too: a breakdown's line for this substance is its figure in that report (the
    # table says which report it is part of); a list, never a sum.
    filters = SeizureFilters(substance_id=substance["id"])
    substance["seizures"] = list_seizures(session, filters, None)
    return substance


def _walk(tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for node in tree:
        found.append(node)
        found.extend(_walk(node["children"]))
    return found
