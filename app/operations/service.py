"""Reads of operations, their stages, parties, status history and figures."""

from collections import defaultdict
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from app.common import AnySelect, by_key, cited_columns, core_rows, dicts, matches, one
from app.errors import NotFoundError
from app.http.schemas import fuzzy
from app.models import (
    Assessment,
    Body,
    Claim,
    Country,
    Document,
    ExerciseObjective,
    Operation,
    OperationStatus,
    Organization,
    Participation,
    ReportedFigure,
    Source,
    Stage,
    StageResult,
)
from app.models.enums import ClaimField, PartyKind, Role
from app.seizures.list_items import stage_items
from app.seizures.service import SeizureFilters, list_seizures

MEMBER_STATES_NAME = "CSTO member states"
MEMBER_STATES_NAME_RU = "государства — члены ОДКБ"


def _operations() -> AnySelect:
    return (
        select(
            Operation.id,
            Operation.slug,
            Operation.kind,
            Operation.name_en,
            Operation.name_ru,
            Operation.aliases_en,
            Operation.aliases_ru,
            Body.slug.label("body"),
            Operation.description,
            Operation.description_ru,
            *cited_columns(Operation.locator),
        )
        .outerjoin(Body, Body.id == Operation.body_id)
        .join(Source, Source.id == Operation.source_id)
    )


def list_operations(
    session: Session, q: str | None, kind: str | None, after: int, limit: int
) -> list[dict[str, Any]]:
    stmt = _operations().where(Operation.id > after).order_by(Operation.id).limit(limit)
    if q:
        stmt = stmt.where(matches(Operation.search_text, q))
    if kind:
        stmt = stmt.where(Operation.kind == kind)
    return dicts(session.execute(stmt).all())


def get_operation(session: Session, key: str) -> dict[str, Any]:
    operation = one(_operations().where(by_key(Operation, key)), session, "operation", key)
    operation_id = operation["id"]
    operation["statuses"] = _statuses(session, operation_id)
    operation["stages"] = list_stages(session, operation_id, after=0, limit=None)
    operation |= _participants_and_observers(
        participations_of(session, Participation.operation_id, [operation_id])[operation_id]
    )
    operation["objectives"] = dicts(
        session.execute(
            select(
                ExerciseObjective.position,
                ExerciseObjective.summary,
                ExerciseObjective.summary_ru,
                *cited_columns(ExerciseObjective.locator),
            )
            .join(Source, Source.id == ExerciseObjective.source_id)
            .where(ExerciseObjective.operation_id == operation_id)
            .order_by(ExerciseObjective.position)
        ).all()
    )
    operation["assessments"] = dicts(
        session.execute(
            select(
                Assessment.assessor_kind,
                Organization.slug.label("organization"),
                Assessment.channel,
                Assessment.verdict,
                *cited_columns(Assessment.locator),
            )
            .outerjoin(Organization, Organization.id == Assessment.organization_id)
            .join(Source, Source.id == Assessment.source_id)
            .where(Assessment.operation_id == operation_id)
            .order_by(Assessment.id)
        ).all()
    )
    operation["reported_figures"] = _figures(session, operation_id)
    return operation


def _statuses(session: Session, operation_id: int) -> list[dict[str, Any]]:
    rows = dicts(
        session.execute(
            select(
                OperationStatus.status_en,
                OperationStatus.status_ru,
                OperationStatus.valid_from,
                OperationStatus.valid_from_precision,
                Document.slug.label("decision"),
                *cited_columns(OperationStatus.locator),
                Source.published_on,
                Source.published_precision,
            )
            .outerjoin(Document, Document.id == OperationStatus.decision_id)
            .join(Source, Source.id == OperationStatus.source_id)
            .where(OperationStatus.operation_id == operation_id)
            # Undated statuses (the one before any dated change) come first.
            .order_by(OperationStatus.valid_from.is_not(None), OperationStatus.valid_from)
        ).all()
    )
    for row in rows:
        row["valid_from"] = fuzzy(row["valid_from"], row.pop("valid_from_precision"))
        # A status is what its source said when it was written, not a fact about today.
        row["as_of"] = fuzzy(row.pop("published_on"), row.pop("published_precision"))
    return rows


def _figures(session: Session, operation_id: int) -> list[dict[str, Any]]:
    rows = dicts(
        session.execute(
            select(
                ReportedFigure.slug,
                ReportedFigure.metric,
                ReportedFigure.value,
                ReportedFigure.unit,
                ReportedFigure.qualifier,
                ReportedFigure.per,
                ReportedFigure.as_reported,
                ReportedFigure.description,
                ReportedFigure.description_ru,
                ReportedFigure.as_of,
                ReportedFigure.as_of_precision,
                *cited_columns(ReportedFigure.locator),
            )
            .join(Source, Source.id == ReportedFigure.source_id)
            .where(ReportedFigure.operation_id == operation_id)
            .order_by(ReportedFigure.id)
        ).all()
    )
    for row in rows:
        row["as_of"] = fuzzy(row["as_of"], row.pop("as_of_precision"))
    return rows


def participations_of(
    session: Session, target: InstrumentedAttribute[int | None], ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """Participations of several targets (operations, stages, events...) in one query."""
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in dicts(core_rows(session, _participations(target), {"ids": ids})):
        grouped[row.pop("target_id")].append(_with_party(row))
    return grouped


# The statements of a stage's parts, built once with their ids bound: built for every read,
# with their cache keys, they took half of a stage's read without its reports.


@lru_cache(maxsize=8)
def _participations(target: InstrumentedAttribute[int | None]) -> AnySelect:
    return (
        select(
            Participation.id,
            target.label("target_id"),
            Participation.party_kind,
            Country.iso3,
            Country.name_en.label("country_name"),
            Country.name_ru.label("country_name_ru"),
            Organization.slug,
            Organization.name_en.label("organization_name"),
            Organization.name_ru.label("organization_name_ru"),
            Participation.party_detail,
            Participation.party_detail_ru,
            Participation.role,
            Participation.regularity,
            *cited_columns(Participation.locator),
        )
        .outerjoin(Country, Country.id == Participation.country_id)
        .outerjoin(Organization, Organization.id == Participation.organization_id)
        .join(Source, Source.id == Participation.source_id)
        .where(target.in_(bindparam("ids", expanding=True)))
        .order_by(Participation.id)
    )


def _with_party(row: dict[str, Any]) -> dict[str, Any]:
    kind = row.pop("party_kind")
    iso3, slug = row.pop("iso3"), row.pop("slug")
    country = row.pop("country_name"), row.pop("country_name_ru")
    organization = row.pop("organization_name"), row.pop("organization_name_ru")
    if kind == PartyKind.COUNTRY:
        names = dict(zip(("name_en", "name_ru"), country, strict=True))
        row["party"] = {"kind": kind, "iso3": iso3, **names}
    elif kind == PartyKind.ORGANIZATION:
        names = dict(zip(("name_en", "name_ru"), organization, strict=True))
        row["party"] = {"kind": kind, "slug": slug, **names}
    else:
        row["party"] = {
            "kind": kind,
            "name_en": MEMBER_STATES_NAME,
            "name_ru": MEMBER_STATES_NAME_RU,
        }
    return row


@lru_cache(maxsize=1)
def _stages() -> AnySelect:
    """The stages' columns and joins, built once (a stage's read built them again, with
    the alias of the headquarters' country: a quarter of its time without its reports)."""
    hq_country = aliased(Country)
    return (
        select(
            Stage.id,
            Operation.slug.label("operation"),
            Stage.slug,
            Stage.number,
            func.coalesce(Stage.name_en, Stage.name_ru).label("name"),
            Stage.name_en,
            Stage.name_ru,
            Stage.start_on,
            Stage.end_on,
            Country.iso3.label("lead_country"),
            Stage.hq_city_en,
            Stage.hq_city_ru,
            hq_country.iso3.label("hq_country"),
            Stage.place,
            Stage.description,
            Stage.description_ru,
            *cited_columns(Stage.locator),
        )
        .join(Operation, Operation.id == Stage.operation_id)
        .outerjoin(Country, Country.id == Stage.lead_country_id)
        .outerjoin(hq_country, hq_country.id == Stage.hq_country_id)
        .join(Source, Source.id == Stage.source_id)
    )


@lru_cache(maxsize=1)
def _stage_by_id() -> AnySelect:
    return _stages().where(Stage.id == bindparam("stage_id"))


def _stage_out(row: dict[str, Any]) -> dict[str, Any]:
    hq = {
        "city_en": row.pop("hq_city_en"),
        "city_ru": row.pop("hq_city_ru"),
        "country": row.pop("hq_country"),
    }
    row["headquarters"] = hq if any(hq.values()) else None
    return row


def list_stages(
    session: Session, operation_id: int | None, after: int, limit: int | None
) -> list[dict[str, Any]]:
    """Paged lists go by id (their cursor); an operation's whole list by date, then id,
    undated stages last."""
    stmt = _stages().where(Stage.id > after)
    if operation_id is not None:
        stmt = stmt.where(Stage.operation_id == operation_id)
    if limit is None:
        stmt = stmt.order_by(Stage.start_on.is_(None), Stage.start_on, Stage.id)
    else:
        stmt = stmt.order_by(Stage.id).limit(limit)
    return [_stage_out(row) for row in dicts(session.execute(stmt).all())]


def get_stage(session: Session, stage_id: int) -> dict[str, Any]:
    """A stage in `StageDetail`'s shape, its reports as dicts (the pages, an edit's ETag)."""
    stage = _stage_alone(session, stage_id)
    seizures = list_seizures(session, SeizureFilters(stage_id=stage_id), limit=None)
    alternatives = any(report["alternative_to"] is not None for report in seizures)
    return _with_the_rest(session, stage, seizures, alternatives)


def get_stage_with_items(session: Session, stage_id: int) -> tuple[dict[str, Any], list[Any]]:
    """`get_stage` with its "seizures" empty, and its reports apart as items that orjson
    writes as they are (`list_items.stage_items`), for the API's read to write into it."""
    stage = _stage_alone(session, stage_id)
    items, alternatives = stage_items(session, stage_id)
    return _with_the_rest(session, stage, [], alternatives), items


def _stage_alone(session: Session, stage_id: int) -> dict[str, Any]:
    """The stage's own row and its parties; a 404 when there is no such stage."""
    by_id = _stage_by_id()
    stage = _stage_out(one(by_id, session, "stage", stage_id, {"stage_id": stage_id}))
    return stage | _participants_and_observers(
        participations_of(session, Participation.stage_id, [stage_id])[stage_id]
    )


def _with_the_rest(
    session: Session, stage: dict[str, Any], seizures: list[Any], alternatives: bool
) -> dict[str, Any]:
    """The stage with its reports, results and claims, and whether its sources disagree
    (`alternatives`: whether a report is another source's version of one)."""
    stage["seizures"] = seizures
    stage["results"] = stage_results(session, stage["id"])
    stage["claims"] = claims_of(session, Claim.stage_id, stage["id"], _used_values(stage))
    stage["sources_disagree"] = (
        alternatives
        or any(r["alternatives"] for r in stage["results"])
        or _claims_disagree(stage["claims"])
    )
    return stage


def _used_values(stage: dict[str, Any]) -> dict[str, set[str]]:
    hq = stage["headquarters"] or {}
    return {
        ClaimField.START_ON: {str(stage["start_on"])},
        ClaimField.END_ON: {str(stage["end_on"])},
        ClaimField.HQ_CITY: {hq.get("city_en") or "", hq.get("city_ru") or ""},
        ClaimField.PLACE: {stage["place"] or ""},
    }


def _claims_disagree(claims: list[dict[str, Any]]) -> bool:
    """Two versions of one field that state different full values."""
    values: dict[str, set[str]] = defaultdict(set)
    for claim in claims:
        if claim["value"] is not None and claim["field"] != ClaimField.HQ_CITY:
            values[claim["field"]].add(claim["value"])
    return any(len(found) > 1 for found in values.values())


def claims_of(
    session: Session,
    target: InstrumentedAttribute[int | None],
    target_id: int,
    used: Mapping[str, set[str]],
) -> list[dict[str, Any]]:
    """A stage's or a meeting's claims, each marked `used` when the record holds its value."""
    rows = dicts(core_rows(session, _claims(target), {"target_id": target_id}))
    for row in rows:
        row["used"] = row["value"] is not None and row["value"] in used.get(row["field"], set())
    return rows


@lru_cache(maxsize=4)
def _claims(target: InstrumentedAttribute[int | None]) -> AnySelect:
    return (
        select(
            Claim.field,
            Claim.value,
            Claim.as_reported,
            Claim.note,
            Claim.note_ru,
            *cited_columns(Claim.locator),
        )
        .join(Source, Source.id == Claim.source_id)
        .where(target == bindparam("target_id"))
        .order_by(Claim.field, Claim.id)
    )


def stage_results(session: Session, stage_id: int) -> list[dict[str, Any]]:
    """The stage's results, each with the other sources' versions of it."""
    rows = dicts(core_rows(session, _results(), {"stage_id": stage_id}))
    alternatives: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["alternative_to_id"] is not None:
            version = {k: row[k] for k in _VERSION_KEYS}
            alternatives[row["alternative_to_id"]].append(version)
    return [
        {k: v for k, v in row.items() if k != "alternative_to_id"}
        | {"alternatives": alternatives[row["id"]]}
        for row in rows
        if row["alternative_to_id"] is None
    ]


@lru_cache(maxsize=1)
def _results() -> AnySelect:
    return (
        select(
            StageResult.id,
            StageResult.metric,
            StageResult.value,
            StageResult.unit,
            StageResult.qualifier,
            StageResult.as_reported,
            StageResult.scope,
            Country.iso3.label("country"),
            StageResult.note,
            StageResult.note_ru,
            StageResult.alternative_to_id,
            *cited_columns(StageResult.locator),
        )
        .outerjoin(Country, Country.id == StageResult.country_id)
        .join(Source, Source.id == StageResult.source_id)
        .where(StageResult.stage_id == bindparam("stage_id"))
        .order_by(StageResult.id)
    )


_VERSION_KEYS = (
    "id", "value", "qualifier", "as_reported", "note", "note_ru",
    "source_id", "source_slug", "source_title", "source_locator",
)  # fmt: skip


def _participants_and_observers(parties: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "participants": [p for p in parties if p["role"] != Role.OBSERVER],
        "observers": [p for p in parties if p["role"] == Role.OBSERVER],
    }


def get_participation(session: Session, participation_id: int) -> dict[str, Any]:
    found = participations_of(session, Participation.id, [participation_id]).get(participation_id)
    if not found:
        raise NotFoundError(f"no participation {participation_id}")
    return found[0]
