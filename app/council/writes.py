"""Staff writes to the Council's records: meetings, events with their parties, documents
and reported figures. Each function checks what the body cannot say by itself, writes
through the shared audited create, update and delete (app/writes.py), and never commits:
the request's session does."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import models as m
from app.council.schemas import (
    DocumentCreate,
    DocumentPatch,
    EventCreate,
    EventPatch,
    FigureCreate,
    FigurePatch,
    MeetingCreate,
    MeetingPatch,
)
from app.models.enums import Role
from app.staff.keys import Caller
from app.writes import Refs, check_period, columns_from, create, delete, update


def add_meeting(session: Session, caller: Caller, body: MeetingCreate) -> m.Meeting:
    row = m.Meeting(**columns_from(session, body.model_dump(), m.Meeting))
    create(session, caller, row, "the meeting")
    return row


def patch_meeting(session: Session, caller: Caller, row: m.Meeting, body: MeetingPatch) -> None:
    changes = columns_from(session, body.model_dump(exclude_unset=True), m.Meeting)
    update(session, caller, row, changes, "the meeting")


def delete_meeting(session: Session, caller: Caller, row: m.Meeting) -> None:
    delete(session, caller, row, "the meeting")


def add_event(session: Session, caller: Caller, body: EventCreate) -> m.Event:
    """An event with its organizers and participants, who cite the event's source."""
    fields = body.model_dump(exclude={"organizers", "participants"})
    row = m.Event(**columns_from(session, fields, m.Event))
    create(session, caller, row, "the event")
    refs = Refs(session)
    parties = {Role.ORGANIZER: body.organizers, Role.PARTICIPANT: body.participants}
    for role, entries in parties.items():
        field = "organizers" if role == Role.ORGANIZER else "participants"
        for i, entry in enumerate(entries):
            participation = m.Participation(
                event_id=row.id,
                role=role,
                source_id=row.source_id,
                locator=row.locator,
                **refs.party(entry, f"{field}[{i}]"),
            )
            create(session, caller, participation, "the participation")
    return row


def patch_event(session: Session, caller: Caller, row: m.Event, body: EventPatch) -> None:
    changes = columns_from(session, body.model_dump(exclude_unset=True), m.Event)
    check_period(changes.get("start_on", row.start_on), changes.get("end_on", row.end_on), "end_on")
    update(session, caller, row, changes, "the event")


def delete_event(session: Session, caller: Caller, row: m.Event) -> None:
    """The event and its parties, each with its own audit entry."""
    for participation in session.scalars(
        select(m.Participation).where(m.Participation.event_id == row.id)
    ):
        delete(session, caller, participation, "the participation")
    delete(session, caller, row, "the event")


def add_document(session: Session, caller: Caller, body: DocumentCreate) -> m.Document:
    check_period(body.period_start_year, body.period_end_year, "period_end_year")
    row = m.Document(**columns_from(session, body.model_dump(), m.Document))
    create(session, caller, row, "the document")
    return row


def patch_document(session: Session, caller: Caller, row: m.Document, body: DocumentPatch) -> None:
    changes = columns_from(session, body.model_dump(exclude_unset=True), m.Document)
    start = changes.get("period_start_year", row.period_start_year)
    check_period(start, changes.get("period_end_year", row.period_end_year), "period_end_year")
    update(session, caller, row, changes, "the document")


def delete_document(session: Session, caller: Caller, row: m.Document) -> None:
    delete(session, caller, row, "the document")


def add_figure(session: Session, caller: Caller, body: FigureCreate) -> m.ReportedFigure:
    row = m.ReportedFigure(**columns_from(session, body.model_dump(), m.ReportedFigure))
    create(session, caller, row, "the reported figure")
    return row


def patch_figure(
    session: Session, caller: Caller, row: m.ReportedFigure, body: FigurePatch
) -> None:
    changes: dict[str, Any] = columns_from(
        session, body.model_dump(exclude_unset=True), m.ReportedFigure
    )
    update(session, caller, row, changes, "the reported figure")


def delete_figure(session: Session, caller: Caller, row: m.ReportedFigure) -> None:
    delete(session, caller, row, "the reported figure")
