from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from app import models as m
from app.council import service as council
from app.council import writes
from app.council.schemas import (
    ActivityOut,
    BodyOut,
    DocumentCreate,
    DocumentOut,
    DocumentPatch,
    EventCreate,
    EventOut,
    EventPatch,
    FigureCreate,
    FigurePatch,
    MeetingCreate,
    MeetingOut,
    MeetingPatch,
    ReportedFigureOut,
)
from app.deps import SessionDep, WriteSessionDep
from app.http import contract, examples
from app.http.listing import EXPORTS, ListingDep, add_exports
from app.http.pagination import EntityId, SlugOrId
from app.http.preconditions import for_edit
from app.http.representation import represent
from app.http.schemas import (
    CONFLICT,
    EDIT_PROBLEMS,
    NOT_FOUND,
    PROBLEMS,
    WRITE_PROBLEMS,
    Page,
)
from app.models.enums import DocumentKind, DocumentStatus
from app.staff.auth import EditorDep
from app.staff.idempotency import IdempotencyDep, respond_created

TAG = "council"
examples.add_examples_file(Path(__file__).with_name("examples.json"))
contract.describe_tag(
    TAG,
    "The Coordinating Council (KSOPN) and its subsidiary bodies: meetings, documents, events, "
    "standing activities and the figures sources report.",
    place=40,
)
contract.describe_tag(
    "staff: records", "Staff writes to the Council's records and the reference data.", place=70
)
contract.add_path_examples(
    body="ksopn",
    document="anti-drug-strategy-2015-2020",
    event="cnd-63-exhibition-2020",
    activity="personnel-training",
    figure="ksopn-meetings-held-2020",
)
router = APIRouter(responses=PROBLEMS, tags=[TAG])

Year = Annotated[int | None, Query(ge=1900, le=2100, description="Calendar year.")]


@router.get(
    "/bodies",
    response_model=Page[BodyOut],
    summary="List bodies",
    operation_id="listBodies",
    responses=EXPORTS,
)
def list_bodies(listing: ListingDep) -> Response:
    """The Coordinating Council (KSOPN) and its subsidiary bodies, with founding dates."""
    return listing.respond(BodyOut, council.list_bodies)


add_exports(router, list_bodies, "Bodies")


@router.get(
    "/bodies/{body}",
    response_model=BodyOut,
    summary="Get a body",
    operation_id="getBody",
    responses=NOT_FOUND,
)
def get_body(session: SessionDep, request: Request, body: SlugOrId) -> Response:
    """A body by slug (`ksopn`) or id."""
    return represent(request, BodyOut, council.get_body(session, body))


@router.get(
    "/meetings",
    response_model=Page[MeetingOut],
    summary="List meetings",
    operation_id="listMeetings",
    responses=EXPORTS,
)
def list_meetings(listing: ListingDep, year: Year = None) -> Response:
    """Meetings of the Council's bodies that a source dates or numbers. How many were held
    in all, when a source gives only the count, is under `/reported-figures`."""
    return listing.respond(
        MeetingOut, lambda s, after, limit: council.list_meetings(s, year, after, limit)
    )


add_exports(router, list_meetings, "Meetings")


@router.get(
    "/meetings/{meeting_id:int}",
    response_model=MeetingOut,
    summary="Get a meeting",
    operation_id="getMeeting",
    responses=NOT_FOUND,
)
def get_meeting(session: SessionDep, request: Request, meeting_id: EntityId) -> Response:
    """A meeting by id."""
    return represent(request, MeetingOut, council.get_meeting(session, meeting_id))


@router.get(
    "/documents",
    response_model=Page[DocumentOut],
    summary="List documents",
    operation_id="listDocuments",
    responses=EXPORTS,
)
def list_documents(
    listing: ListingDep,
    kind: Annotated[DocumentKind | None, Query(description="Only this kind.")] = None,
    status: Annotated[DocumentStatus | None, Query(description="Only this status.")] = None,
) -> Response:
    """Strategies, plans and decisions, with the period they cover and their status as the
    source reports it."""
    return listing.respond(
        DocumentOut, lambda s, after, limit: council.list_documents(s, kind, status, after, limit)
    )


add_exports(router, list_documents, "Documents")


@router.get(
    "/documents/{document}",
    response_model=DocumentOut,
    summary="Get a document",
    operation_id="getDocument",
    responses=NOT_FOUND,
)
def get_document(session: SessionDep, request: Request, document: SlugOrId) -> Response:
    """A document by slug (`anti-drug-strategy-2015-2020`) or id."""
    return represent(request, DocumentOut, council.get_document(session, document))


@router.get(
    "/events",
    response_model=Page[EventOut],
    summary="List events",
    operation_id="listEvents",
    responses=EXPORTS,
)
def list_events(listing: ListingDep, year: Year = None) -> Response:
    """Dated happenings that are not meetings, with their organizers and participants."""
    return listing.respond(
        EventOut, lambda s, after, limit: council.list_events(s, year, after, limit)
    )


add_exports(router, list_events, "Events")


@router.get(
    "/events/{event}",
    response_model=EventOut,
    summary="Get an event",
    operation_id="getEvent",
    responses=NOT_FOUND,
)
def get_event(session: SessionDep, request: Request, event: SlugOrId) -> Response:
    """An event by slug (`cnd-63-exhibition-2020`) or id."""
    return represent(request, EventOut, council.get_event(session, event))


@router.get(
    "/activities",
    response_model=Page[ActivityOut],
    summary="List activities",
    operation_id="listActivities",
    responses=EXPORTS,
)
def list_activities(listing: ListingDep) -> Response:
    """Standing lines of the Council's work (training, drug-treatment cooperation, analysis)
    with the parties that carry them."""
    return listing.respond(ActivityOut, council.list_activities)


add_exports(router, list_activities, "Activities")


@router.get(
    "/activities/{activity}",
    response_model=ActivityOut,
    summary="Get an activity",
    operation_id="getActivity",
    responses=NOT_FOUND,
)
def get_activity(session: SessionDep, request: Request, activity: SlugOrId) -> Response:
    """An activity by slug (`personnel-training`) or id."""
    return represent(request, ActivityOut, council.get_activity(session, activity))


@router.get(
    "/reported-figures",
    response_model=Page[ReportedFigureOut],
    summary="List reported figures",
    operation_id="listReportedFigures",
    responses=EXPORTS,
)
def list_reported_figures(
    listing: ListingDep,
    metric: Annotated[
        str | None, Query(max_length=60, description="e.g. `meetings_held`, `stages_carried_out`.")
    ] = None,
) -> Response:
    """Counts a source states without itemizing them (meetings held, stages carried out),
    with value, qualifier, the words as reported and the date they refer to."""
    return listing.respond(
        ReportedFigureOut,
        lambda s, after, limit: council.list_reported_figures(s, metric, after, limit),
    )


add_exports(router, list_reported_figures, "Reported figures")


@router.get(
    "/reported-figures/{figure}",
    response_model=ReportedFigureOut,
    summary="Get a reported figure",
    operation_id="getReportedFigure",
    responses=NOT_FOUND,
)
def get_reported_figure(session: SessionDep, request: Request, figure: SlugOrId) -> Response:
    """A reported figure by slug (`ksopn-meetings-held-2020`) or id."""
    return represent(request, ReportedFigureOut, council.get_reported_figure(session, figure))


# Staff writes: an editor key; `Idempotency-Key` makes a POST safe to retry, and PATCH
# and DELETE need `If-Match` with the ETag of the entity's last GET.
def _meeting(session: Session, key: str) -> dict[str, Any]:
    return council.get_meeting(session, int(key))


MeetingForEdit = Annotated[
    Callable[[], m.Meeting], Depends(for_edit(m.Meeting, MeetingOut, _meeting, "meeting_id"))
]
EventForEdit = Annotated[
    Callable[[], m.Event], Depends(for_edit(m.Event, EventOut, council.get_event, "event"))
]
DocumentForEdit = Annotated[
    Callable[[], m.Document],
    Depends(for_edit(m.Document, DocumentOut, council.get_document, "document")),
]
FigureForEdit = Annotated[
    Callable[[], m.ReportedFigure],
    Depends(for_edit(m.ReportedFigure, ReportedFigureOut, council.get_reported_figure, "figure")),
]
staff_router = APIRouter(tags=["staff: records"], responses={**WRITE_PROBLEMS, **CONFLICT})


# -- meetings ---------------------------------------------------------------------------


@staff_router.post(
    "/meetings",
    status_code=201,
    response_model=MeetingOut,
    summary="Add a meeting",
    operation_id="addMeeting",
)
def post_meeting(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    body: MeetingCreate,
) -> Response:
    """Records a meeting of a body, with its number, date (to its precision) and place."""

    def make() -> tuple[Any, Any, str]:
        row = writes.add_meeting(session, caller, body)
        return MeetingOut, council.get_meeting(session, row.id), f"/api/v1/meetings/{row.id}"

    return respond_created(request, session, caller, idem, make)


@staff_router.patch(
    "/meetings/{meeting_id:int}",  # one path with GET /meetings/{meeting_id}: one resource
    response_model=MeetingOut,
    summary="Correct a meeting",
    operation_id="patchMeeting",
    responses=EDIT_PROBLEMS,
)
def patch_meeting(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    meeting_id: EntityId,
    body: MeetingPatch,
    meeting_for_edit: MeetingForEdit,
) -> Response:
    """Changes the fields given. Needs `If-Match`."""
    row = meeting_for_edit()
    writes.patch_meeting(session, caller, row, body)
    return represent(request, MeetingOut, _meeting(session, str(row.id)))


@staff_router.delete(
    "/meetings/{meeting_id:int}",
    status_code=204,
    summary="Delete a meeting",
    operation_id="deleteMeeting",
    responses=EDIT_PROBLEMS,
)
def delete_meeting(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    meeting_id: EntityId,
    meeting_for_edit: MeetingForEdit,
) -> Response:
    """Deletes a meeting; it stays in the audit log. Needs `If-Match`."""
    writes.delete_meeting(session, caller, meeting_for_edit())
    return Response(status_code=204)


# -- events -----------------------------------------------------------------------------


@staff_router.post(
    "/events",
    status_code=201,
    response_model=EventOut,
    summary="Add an event",
    operation_id="addEvent",
)
def post_event(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    body: EventCreate,
) -> Response:
    """Records a dated happening that is not a meeting, with its organizers and participants."""

    def make() -> tuple[Any, Any, str]:
        row = writes.add_event(session, caller, body)
        return EventOut, council.get_event(session, row.slug), f"/api/v1/events/{row.slug}"

    return respond_created(request, session, caller, idem, make)


@staff_router.patch(
    "/events/{event}",
    response_model=EventOut,
    summary="Correct an event",
    operation_id="patchEvent",
    responses=EDIT_PROBLEMS,
)
def patch_event(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    event: SlugOrId,
    body: EventPatch,
    event_for_edit: EventForEdit,
) -> Response:
    """Changes the fields given. Needs `If-Match`."""
    row = event_for_edit()
    writes.patch_event(session, caller, row, body)
    return represent(request, EventOut, council.get_event(session, row.slug))


@staff_router.delete(
    "/events/{event}",
    status_code=204,
    summary="Delete an event",
    operation_id="deleteEvent",
    responses=EDIT_PROBLEMS,
)
def delete_event(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    event: SlugOrId,
    event_for_edit: EventForEdit,
) -> Response:
    """Deletes an event with its parties; all stay in the audit log. Needs `If-Match`."""
    writes.delete_event(session, caller, event_for_edit())
    return Response(status_code=204)


# -- documents --------------------------------------------------------------------------


@staff_router.post(
    "/documents",
    status_code=201,
    response_model=DocumentOut,
    summary="Add a document",
    operation_id="addDocument",
)
def post_document(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    body: DocumentCreate,
) -> Response:
    """Records a strategy, plan or decision with its period and status."""

    def make() -> tuple[Any, Any, str]:
        row = writes.add_document(session, caller, body)
        location = f"/api/v1/documents/{row.slug}"
        return DocumentOut, council.get_document(session, row.slug), location

    return respond_created(request, session, caller, idem, make)


@staff_router.patch(
    "/documents/{document}",
    response_model=DocumentOut,
    summary="Correct a document",
    operation_id="patchDocument",
    responses=EDIT_PROBLEMS,
)
def patch_document(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    document: SlugOrId,
    body: DocumentPatch,
    document_for_edit: DocumentForEdit,
) -> Response:
    """Changes the fields given (a status change, say). Needs `If-Match`."""
    row = document_for_edit()
    writes.patch_document(session, caller, row, body)
    return represent(request, DocumentOut, council.get_document(session, row.slug))


@staff_router.delete(
    "/documents/{document}",
    status_code=204,
    summary="Delete a document",
    operation_id="deleteDocument",
    responses=EDIT_PROBLEMS,
)
def delete_document(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    document: SlugOrId,
    document_for_edit: DocumentForEdit,
) -> Response:
    """Deletes a document nothing refers to (409 otherwise). Needs `If-Match`."""
    writes.delete_document(session, caller, document_for_edit())
    return Response(status_code=204)


# -- reported figures -------------------------------------------------------------------


@staff_router.post(
    "/reported-figures",
    status_code=201,
    response_model=ReportedFigureOut,
    summary="Add a reported figure",
    operation_id="addReportedFigure",
)
def post_figure(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    body: FigureCreate,
) -> Response:
    """Records a count a source states without itemizing it, with its words as reported."""

    def make() -> tuple[Any, Any, str]:
        row = writes.add_figure(session, caller, body)
        location = f"/api/v1/reported-figures/{row.slug}"
        return ReportedFigureOut, council.get_reported_figure(session, row.slug), location

    return respond_created(request, session, caller, idem, make)


@staff_router.patch(
    "/reported-figures/{figure}",
    response_model=ReportedFigureOut,
    summary="Correct a reported figure",
    operation_id="patchReportedFigure",
    responses=EDIT_PROBLEMS,
)
def patch_figure(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    figure: SlugOrId,
    body: FigurePatch,
    figure_for_edit: FigureForEdit,
) -> Response:
    """Changes the fields given. Needs `If-Match`."""
    row = figure_for_edit()
    writes.patch_figure(session, caller, row, body)
    return represent(request, ReportedFigureOut, council.get_reported_figure(session, row.slug))


@staff_router.delete(
    "/reported-figures/{figure}",
    status_code=204,
    summary="Delete a reported figure",
    operation_id="deleteReportedFigure",
    responses=EDIT_PROBLEMS,
)
def delete_figure(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    figure: SlugOrId,
    figure_for_edit: FigureForEdit,
) -> Response:
    """Deletes a reported figure; it stays in the audit log. Needs `If-Match`."""
    writes.delete_figure(session, caller, figure_for_edit())
    return Response(status_code=204)
