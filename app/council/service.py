"""Reads of the Council's bodies, meetings, documents, events, activities and figures."""

from typing import Any

from sqlalchemy import extract, select
from sqlalchemy.orm import Session, aliased

from app.common import AnySelect, by_key, cited_columns, dicts, one
from app.http.schemas import fuzzy
from app.models import (
    Activity,
    Body,
    Claim,
    Country,
    Document,
    Event,
    Meeting,
    MeetingDecision,
    Operation,
    Organization,
    Participation,
    ReportedFigure,
    Source,
)
from app.models.enums import ClaimField
from app.operations.service import claims_of, participations_of


def _bodies() -> AnySelect:
    parent = aliased(Body)
    return (
        select(
            Body.id,
            Body.slug,
            Body.name_en,
            Body.name_ru,
            Body.acronym_en,
            Body.acronym_ru,
            parent.slug.label("parent"),
            Organization.slug.label("organization"),
            Body.established_on,
            Body.purpose,
            *cited_columns(Body.locator),
        )
        .outerjoin(parent, parent.id == Body.parent_id)
        .outerjoin(Organization, Organization.id == Body.organization_id)
        .join(Source, Source.id == Body.source_id)
    )


def list_bodies(session: Session, after: int, limit: int) -> list[dict[str, Any]]:
    stmt = _bodies().where(Body.id > after).order_by(Body.id).limit(limit)
    return dicts(session.execute(stmt).all())


def get_body(session: Session, key: str) -> dict[str, Any]:
    return one(_bodies().where(by_key(Body, key)), session, "body", key)


def _meetings() -> AnySelect:
    chair_source = aliased(Source)
    return (
        select(
            Meeting.id,
            Body.slug.label("body"),
            Meeting.slug,
            Meeting.number,
            Meeting.held_on,
            Meeting.date_precision,
            Meeting.place,
            Country.iso3.label("country"),
            Meeting.summary,
            Meeting.summary_ru,
            Meeting.chair,
            Meeting.chair_locator,
            chair_source.id.label("chair_source_id"),
            chair_source.slug.label("chair_source_slug"),
            chair_source.title.label("chair_source_title"),
            *cited_columns(Meeting.locator),
        )
        .join(Body, Body.id == Meeting.body_id)
        .outerjoin(Country, Country.id == Meeting.country_id)
        .join(Source, Source.id == Meeting.source_id)
        .outerjoin(chair_source, chair_source.id == Meeting.chair_source_id)
    )


def _meeting_out(session: Session, row: dict[str, Any]) -> dict[str, Any]:
    held_on = row.pop("held_on")
    row["held"] = fuzzy(held_on, row.pop("date_precision"))
    chair = {
        "name": row.pop("chair"),
        "source": {
            "id": row.pop("chair_source_id"),
            "slug": row.pop("chair_source_slug"),
            "title": row.pop("chair_source_title"),
            "locator": row.pop("chair_locator"),
        },
    }
    row["chair"] = chair if chair["name"] else None
    row["decisions"] = dicts(
        session.execute(
            select(
                MeetingDecision.position,
                MeetingDecision.summary,
                MeetingDecision.summary_ru,
                *cited_columns(MeetingDecision.locator),
            )
            .join(Source, Source.id == MeetingDecision.source_id)
            .where(MeetingDecision.meeting_id == row["id"])
            .order_by(MeetingDecision.position)
        ).all()
    )
    used: dict[str, set[str]] = {
        ClaimField.HELD_ON: {str(held_on)},
        ClaimField.CHAIR: {str(chair["name"] or "")},
    }
    row["claims"] = claims_of(session, Claim.meeting_id, row["id"], used)
    return row


def list_meetings(
    session: Session, year: int | None, after: int, limit: int
) -> list[dict[str, Any]]:
    stmt = _meetings().where(Meeting.id > after).order_by(Meeting.id).limit(limit)
    if year is not None:
        stmt = stmt.where(extract("year", Meeting.held_on) == year)
    return [_meeting_out(session, row) for row in dicts(session.execute(stmt).all())]


def get_meeting(session: Session, meeting_id: int) -> dict[str, Any]:
    stmt = _meetings().where(Meeting.id == meeting_id)
    return _meeting_out(session, one(stmt, session, "meeting", meeting_id))


def _documents() -> AnySelect:
    parent = aliased(Document)
    return (
        select(
            Document.id,
            Document.slug,
            Document.kind,
            Document.title_en,
            Document.title_ru,
            Organization.slug.label("issuer"),
            Document.adopted_on,
            Document.adopted_precision,
            Document.period_start_year,
            Document.period_end_year,
            Document.status,
            parent.slug.label("parent"),
            Body.slug.label("body"),
            Document.body_relation,
            Document.summary,
            *cited_columns(Document.locator),
            Source.published_on.label("source_published_on"),
            Source.published_precision.label("source_published_precision"),
        )
        .outerjoin(Organization, Organization.id == Document.issuer_id)
        .outerjoin(parent, parent.id == Document.parent_id)
        .outerjoin(Body, Body.id == Document.body_id)
        .join(Source, Source.id == Document.source_id)
    )


def _document_out(row: dict[str, Any]) -> dict[str, Any]:
    row["adopted"] = fuzzy(row.pop("adopted_on"), row.pop("adopted_precision"))
    # A status is what the source said when it was written, not a fact about today.
    row["status_as_of"] = fuzzy(
        row.pop("source_published_on"), row.pop("source_published_precision")
    )
    return row


def list_documents(
    session: Session, kind: str | None, status: str | None, after: int, limit: int
) -> list[dict[str, Any]]:
    stmt = _documents().where(Document.id > after).order_by(Document.id).limit(limit)
    if kind:
        stmt = stmt.where(Document.kind == kind)
    if status:
        stmt = stmt.where(Document.status == status)
    return [_document_out(row) for row in dicts(session.execute(stmt).all())]


def get_document(session: Session, key: str) -> dict[str, Any]:
    stmt = _documents().where(by_key(Document, key))
    return _document_out(one(stmt, session, "document", key))


def _events() -> AnySelect:
    return (
        select(
            Event.id,
            Event.slug,
            Event.kind,
            Event.name_en,
            Event.name_ru,
            Event.start_on,
            Event.end_on,
            Event.date_precision,
            Event.place,
            Country.iso3.label("country"),
            Event.occasion,
            Organization.slug.label("occasion_organization"),
            Event.description,
            *cited_columns(Event.locator),
        )
        .outerjoin(Country, Country.id == Event.country_id)
        .outerjoin(Organization, Organization.id == Event.occasion_organization_id)
        .join(Source, Source.id == Event.source_id)
    )


def _with_participations(
    session: Session, rows: list[dict[str, Any]], target: Any
) -> list[dict[str, Any]]:
    grouped = participations_of(session, target, [row["id"] for row in rows])
    for row in rows:
        row["participations"] = grouped.get(row["id"], [])
    return rows


def list_events(session: Session, year: int | None, after: int, limit: int) -> list[dict[str, Any]]:
    stmt = _events().where(Event.id > after).order_by(Event.id).limit(limit)
    if year is not None:
        stmt = stmt.where(extract("year", Event.start_on) == year)
    return _with_participations(session, dicts(session.execute(stmt).all()), Participation.event_id)


def get_event(session: Session, key: str) -> dict[str, Any]:
    row = one(_events().where(by_key(Event, key)), session, "event", key)
    return _with_participations(session, [row], Participation.event_id)[0]


def _activities() -> AnySelect:
    return (
        select(
            Activity.id,
            Activity.slug,
            Body.slug.label("body"),
            Activity.name_en,
            Activity.name_ru,
            Activity.description,
            *cited_columns(Activity.locator),
        )
        .join(Body, Body.id == Activity.body_id)
        .join(Source, Source.id == Activity.source_id)
    )


def list_activities(session: Session, after: int, limit: int) -> list[dict[str, Any]]:
    stmt = _activities().where(Activity.id > after).order_by(Activity.id).limit(limit)
    rows = dicts(session.execute(stmt).all())
    return _with_participations(session, rows, Participation.activity_id)


def get_activity(session: Session, key: str) -> dict[str, Any]:
    row = one(_activities().where(by_key(Activity, key)), session, "activity", key)
    return _with_participations(session, [row], Participation.activity_id)[0]


def _figures() -> AnySelect:
    return (
        select(
            ReportedFigure.id,
            ReportedFigure.slug,
            ReportedFigure.metric,
            Body.slug.label("body"),
            Operation.slug.label("operation"),
            ReportedFigure.value,
            ReportedFigure.unit,
            ReportedFigure.qualifier,
            ReportedFigure.per,
            ReportedFigure.as_reported,
            ReportedFigure.as_of,
            ReportedFigure.as_of_precision,
            ReportedFigure.description,
            *cited_columns(ReportedFigure.locator),
        )
        .outerjoin(Body, Body.id == ReportedFigure.body_id)
        .outerjoin(Operation, Operation.id == ReportedFigure.operation_id)
        .join(Source, Source.id == ReportedFigure.source_id)
    )


def _figure_out(row: dict[str, Any]) -> dict[str, Any]:
    row["as_of"] = fuzzy(row["as_of"], row.pop("as_of_precision"))
    return row


def list_reported_figures(
    session: Session, metric: str | None, after: int, limit: int
) -> list[dict[str, Any]]:
    stmt = _figures().where(ReportedFigure.id > after).order_by(ReportedFigure.id).limit(limit)
    if metric:
        stmt = stmt.where(ReportedFigure.metric == metric)
    return [_figure_out(row) for row in dicts(session.execute(stmt).all())]


def get_reported_figure(session: Session, key: str) -> dict[str, Any]:
    stmt = _figures().where(by_key(ReportedFigure, key))
    return _figure_out(one(stmt, session, "reported figure", key))
