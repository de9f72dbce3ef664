"""Staff writes to meetings, events, documents, reported figures, organizations, sources.

POST creates (editor key; `Idempotency-Key` makes retries safe); PATCH changes the fields
given and DELETE removes, both with `If-Match` set to the ETag of the entity's last GET.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from app import models as m
from app.api.idempotency import IdempotencyDep, respond_created
from app.api.pagination import EntityId, SlugOrId
from app.api.preconditions import locked_for_edit
from app.api.representation import represent
from app.api.stages import EDIT_PROBLEMS, WRITE_PROBLEMS
from app.auth import EditorDep
from app.deps import WriteSessionDep
from app.models.enums import Role
from app.schemas import writes as w
from app.schemas.common import Problem
from app.schemas.council import DocumentOut, EventOut, MeetingOut, ReportedFigureOut
from app.schemas.reference import OrganizationOut, SourceOut
from app.services import council, records, reference
from app.services.editing import body_error

# Every write here goes through app/services/records.py, which answers a refusal by a unique
# or foreign key (a taken slug, a record still referred to) with 409.
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "model": Problem,
        "description": "A slug or number is taken, or the record is still referred to.",
    }
}
router = APIRouter(tags=["staff: records"], responses={**WRITE_PROBLEMS, **CONFLICT})

Reader = Callable[[Session, str], dict[str, Any]]


def _locked_for_edit(
    request: Request, session: Session, model: Any, key: str, schema: Any, read: Reader
) -> Any:
    return locked_for_edit(request, session, model, key, schema, lambda i: read(session, str(i)))


def _meeting(session: Session, key: str) -> dict[str, Any]:
    return council.get_meeting(session, int(key))


# -- meetings ---------------------------------------------------------------------------


@router.post("/meetings", status_code=201, response_model=MeetingOut, summary="Add a meeting")
def post_meeting(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    body: w.MeetingCreate,
) -> Response:
    """Records a meeting of a body, with its number, date (to its precision) and place."""

    def make() -> tuple[Any, Any, str]:
        row = m.Meeting(**records.columns_from(session, body.model_dump(), m.Meeting))
        records.create(session, caller, row, "the meeting")
        return MeetingOut, council.get_meeting(session, row.id), f"/api/v1/meetings/{row.id}"

    return respond_created(request, session, caller, idem, make)


@router.patch(
    "/meetings/{meeting_id:int}",  # one path with GET /meetings/{meeting_id}: one resource
    response_model=MeetingOut,
    summary="Correct a meeting",
    responses=EDIT_PROBLEMS,
)
def patch_meeting(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    meeting_id: EntityId,
    body: w.MeetingPatch,
) -> Response:
    """Changes the fields given. Needs `If-Match`."""
    row = _locked_for_edit(request, session, m.Meeting, str(meeting_id), MeetingOut, _meeting)
    changes = records.columns_from(session, body.model_dump(exclude_unset=True), m.Meeting)
    records.update(session, caller, row, changes, "the meeting")
    return represent(request, MeetingOut, _meeting(session, str(row.id)))


@router.delete(
    "/meetings/{meeting_id:int}",
    status_code=204,
    summary="Delete a meeting",
    responses=EDIT_PROBLEMS,
)
def delete_meeting(
    request: Request, caller: EditorDep, session: WriteSessionDep, meeting_id: EntityId
) -> Response:
    """Deletes a meeting; it stays in the audit log. Needs `If-Match`."""
    row = _locked_for_edit(request, session, m.Meeting, str(meeting_id), MeetingOut, _meeting)
    records.delete(session, caller, row, "the meeting")
    return Response(status_code=204)


# -- events -----------------------------------------------------------------------------


@router.post("/events", status_code=201, response_model=EventOut, summary="Add an event")
def post_event(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    body: w.EventCreate,
) -> Response:
    """Records a dated happening that is not a meeting, with its organizers and participants."""

    def make() -> tuple[Any, Any, str]:
        fields = body.model_dump(exclude={"organizers", "participants"})
        row = m.Event(**records.columns_from(session, fields, m.Event))
        records.create(session, caller, row, "the event")
        parties = {Role.ORGANIZER: body.organizers, Role.PARTICIPANT: body.participants}
        records.add_event_parties(session, caller, row, parties)
        return EventOut, council.get_event(session, row.slug), f"/api/v1/events/{row.slug}"

    return respond_created(request, session, caller, idem, make)


@router.patch(
    "/events/{event}",
    response_model=EventOut,
    summary="Correct an event",
    responses=EDIT_PROBLEMS,
)
def patch_event(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    event: SlugOrId,
    body: w.EventPatch,
) -> Response:
    """Changes the fields given. Needs `If-Match`."""
    row = _locked_for_edit(request, session, m.Event, event, EventOut, council.get_event)
    changes = records.columns_from(session, body.model_dump(exclude_unset=True), m.Event)
    records.check_period(
        changes.get("start_on", row.start_on), changes.get("end_on", row.end_on), "end_on"
    )
    records.update(session, caller, row, changes, "the event")
    return represent(request, EventOut, council.get_event(session, row.slug))


@router.delete(
    "/events/{event}", status_code=204, summary="Delete an event", responses=EDIT_PROBLEMS
)
def delete_event(
    request: Request, caller: EditorDep, session: WriteSessionDep, event: SlugOrId
) -> Response:
    """Deletes an event with its parties; all stay in the audit log. Needs `If-Match`."""
    row = _locked_for_edit(request, session, m.Event, event, EventOut, council.get_event)
    records.delete_event(session, caller, row)
    return Response(status_code=204)


# -- documents --------------------------------------------------------------------------


@router.post("/documents", status_code=201, response_model=DocumentOut, summary="Add a document")
def post_document(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    body: w.DocumentCreate,
) -> Response:
    """Records a strategy, plan or decision with its period and status."""

    def make() -> tuple[Any, Any, str]:
        records.check_period(body.period_start_year, body.period_end_year, "period_end_year")
        row = m.Document(**records.columns_from(session, body.model_dump(), m.Document))
        records.create(session, caller, row, "the document")
        location = f"/api/v1/documents/{row.slug}"
        return DocumentOut, council.get_document(session, row.slug), location

    return respond_created(request, session, caller, idem, make)


@router.patch(
    "/documents/{document}",
    response_model=DocumentOut,
    summary="Correct a document",
    responses=EDIT_PROBLEMS,
)
def patch_document(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    document: SlugOrId,
    body: w.DocumentPatch,
) -> Response:
    """Changes the fields given (a status change, say). Needs `If-Match`."""
    row = _locked_for_edit(
        request, session, m.Document, document, DocumentOut, council.get_document
    )
    changes = records.columns_from(session, body.model_dump(exclude_unset=True), m.Document)
    records.check_period(
        changes.get("period_start_year", row.period_start_year),
        changes.get("period_end_year", row.period_end_year),
        "period_end_year",
    )
    records.update(session, caller, row, changes, "the document")
    return represent(request, DocumentOut, council.get_document(session, row.slug))


@router.delete(
    "/documents/{document}",
    status_code=204,
    summary="Delete a document",
    responses=EDIT_PROBLEMS,
)
def delete_document(
    request: Request, caller: EditorDep, session: WriteSessionDep, document: SlugOrId
) -> Response:
    """Deletes a document nothing refers to (409 otherwise). Needs `If-Match`."""
    row = _locked_for_edit(
        request, session, m.Document, document, DocumentOut, council.get_document
    )
    records.delete(session, caller, row, "the document")
    return Response(status_code=204)


# -- reported figures -------------------------------------------------------------------


@router.post(
    "/reported-figures",
    status_code=201,
    response_model=ReportedFigureOut,
    summary="Add a reported figure",
)
def post_figure(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    body: w.FigureCreate,
) -> Response:
    """Records a count a source states without itemizing it, with its words as reported."""

    def make() -> tuple[Any, Any, str]:
        row = m.ReportedFigure(**records.columns_from(session, body.model_dump(), m.ReportedFigure))
        records.create(session, caller, row, "the reported figure")
        location = f"/api/v1/reported-figures/{row.slug}"
        return ReportedFigureOut, council.get_reported_figure(session, row.slug), location

    return respond_created(request, session, caller, idem, make)


@router.patch(
    "/reported-figures/{figure}",
    response_model=ReportedFigureOut,
    summary="Correct a reported figure",
    responses=EDIT_PROBLEMS,
)
def patch_figure(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    figure: SlugOrId,
    body: w.FigurePatch,
) -> Response:
    """Changes the fields given. Needs `If-Match`."""
    row = _locked_for_edit(
        request, session, m.ReportedFigure, figure, ReportedFigureOut, council.get_reported_figure
    )
    changes = records.columns_from(session, body.model_dump(exclude_unset=True), m.ReportedFigure)
    records.update(session, caller, row, changes, "the reported figure")
    return represent(request, ReportedFigureOut, council.get_reported_figure(session, row.slug))


@router.delete(
    "/reported-figures/{figure}",
    status_code=204,
    summary="Delete a reported figure",
    responses=EDIT_PROBLEMS,
)
def delete_figure(
    request: Request, caller: EditorDep, session: WriteSessionDep, figure: SlugOrId
) -> Response:
    """Deletes a reported figure; it stays in the audit log. Needs `If-Match`."""
    row = _locked_for_edit(
        request, session, m.ReportedFigure, figure, ReportedFigureOut, council.get_reported_figure
    )
    records.delete(session, caller, row, "the reported figure")
    return Response(status_code=204)


# -- organizations ----------------------------------------------------------------------


@router.post(
    "/organizations",
    status_code=201,
    response_model=OrganizationOut,
    summary="Add an organization",
)
def post_organization(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    body: w.OrganizationCreate,
) -> Response:
    """Adds an international organization, national body or institution."""

    def make() -> tuple[Any, Any, str]:
        if (body.source is None) != (body.locator is None):
            raise body_error("locator", "source and locator go together")
        row = m.Organization(**records.columns_from(session, body.model_dump(), m.Organization))
        records.create(session, caller, row, "the organization")
        location = f"/api/v1/organizations/{row.slug}"
        return OrganizationOut, reference.get_organization(session, row.slug), location

    return respond_created(request, session, caller, idem, make)


@router.patch(
    "/organizations/{organization}",
    response_model=OrganizationOut,
    summary="Correct an organization",
    responses=EDIT_PROBLEMS,
)
def patch_organization(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    organization: SlugOrId,
    body: w.OrganizationPatch,
) -> Response:
    """Changes the fields given (names, aliases, parent...). Needs `If-Match`."""
    row = _locked_for_edit(
        request, session, m.Organization, organization, OrganizationOut, reference.get_organization
    )
    changes = records.columns_from(session, body.model_dump(exclude_unset=True), m.Organization)
    if "parent_id" in changes:
        records.check_no_cycle(session, row, changes["parent_id"])
    records.update(session, caller, row, changes, "the organization")
    return represent(request, OrganizationOut, reference.get_organization(session, row.slug))


@router.delete(
    "/organizations/{organization}",
    status_code=204,
    summary="Delete an organization",
    responses=EDIT_PROBLEMS,
)
def delete_organization(
    request: Request, caller: EditorDep, session: WriteSessionDep, organization: SlugOrId
) -> Response:
    """Deletes an organization nothing refers to (409 otherwise). Needs `If-Match`."""
    row = _locked_for_edit(
        request, session, m.Organization, organization, OrganizationOut, reference.get_organization
    )
    records.delete(session, caller, row, "the organization")
    return Response(status_code=204)


# -- sources ----------------------------------------------------------------------------


@router.post("/sources", status_code=201, response_model=SourceOut, summary="Add a source")
def post_source(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    body: w.SourceCreate,
) -> Response:
    """Registers a document that new facts will cite."""

    def make() -> tuple[Any, Any, str]:
        row = m.Source(**records.columns_from(session, body.model_dump(), m.Source))
        records.create(session, caller, row, "the source")
        return SourceOut, reference.get_source(session, row.slug), f"/api/v1/sources/{row.slug}"

    return respond_created(request, session, caller, idem, make)
