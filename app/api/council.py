from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.listing import EXPORTS, ListingDep
from app.api.pagination import EntityId, SlugOrId
from app.api.representation import represent
from app.deps import SessionDep
from app.models.enums import DocumentKind, DocumentStatus
from app.schemas.common import NOT_FOUND, PROBLEMS, Page
from app.schemas.council import (
    ActivityOut,
    BodyOut,
    DocumentOut,
    EventOut,
    MeetingOut,
    ReportedFigureOut,
)
from app.services import council

TAG = "council"
router = APIRouter(responses=PROBLEMS, tags=[TAG])

Year = Annotated[int | None, Query(ge=1900, le=2100, description="Calendar year.")]


@router.get("/bodies", response_model=Page[BodyOut], summary="List bodies", responses=EXPORTS)
def list_bodies(listing: ListingDep) -> Response:
    """The Coordinating Council (KSOPN) and its subsidiary bodies, with founding dates."""
    return listing.respond(BodyOut, council.list_bodies)


@router.get("/bodies/{body}", response_model=BodyOut, summary="Get a body", responses=NOT_FOUND)
def get_body(session: SessionDep, request: Request, body: SlugOrId) -> Response:
    """A body by slug (`ksopn`) or id."""
    return represent(request, BodyOut, council.get_body(session, body))


@router.get(
    "/meetings", response_model=Page[MeetingOut], summary="List meetings", responses=EXPORTS
)
def list_meetings(listing: ListingDep, year: Year = None) -> Response:
    """Meetings of the Council's bodies that a source dates or numbers. How many were held
    in all, when a source gives only the count, is under `/reported-figures`."""
    return listing.respond(
        MeetingOut, lambda s, after, limit: council.list_meetings(s, year, after, limit)
    )


@router.get(
    "/meetings/{meeting_id:int}",
    response_model=MeetingOut,
    summary="Get a meeting",
    responses=NOT_FOUND,
)
def get_meeting(session: SessionDep, request: Request, meeting_id: EntityId) -> Response:
    """A meeting by id."""
    return represent(request, MeetingOut, council.get_meeting(session, meeting_id))


@router.get(
    "/documents", response_model=Page[DocumentOut], summary="List documents", responses=EXPORTS
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


@router.get(
    "/documents/{document}",
    response_model=DocumentOut,
    summary="Get a document",
    responses=NOT_FOUND,
)
def get_document(session: SessionDep, request: Request, document: SlugOrId) -> Response:
    """A document by slug (`anti-drug-strategy-2015-2020`) or id."""
    return represent(request, DocumentOut, council.get_document(session, document))


@router.get("/events", response_model=Page[EventOut], summary="List events", responses=EXPORTS)
def list_events(listing: ListingDep, year: Year = None) -> Response:
    """Dated happenings that are not meetings, with their organizers and participants."""
    return listing.respond(
        EventOut, lambda s, after, limit: council.list_events(s, year, after, limit)
    )


@router.get("/events/{event}", response_model=EventOut, summary="Get an event", responses=NOT_FOUND)
def get_event(session: SessionDep, request: Request, event: SlugOrId) -> Response:
    """An event by slug (`cnd-63-exhibition-2020`) or id."""
    return represent(request, EventOut, council.get_event(session, event))


@router.get(
    "/activities", response_model=Page[ActivityOut], summary="List activities", responses=EXPORTS
)
def list_activities(listing: ListingDep) -> Response:
    """Standing lines of the Council's work (training, drug-treatment cooperation, analysis)
    with the parties that carry them."""
    return listing.respond(ActivityOut, council.list_activities)


@router.get(
    "/activities/{activity}",
    response_model=ActivityOut,
    summary="Get an activity",
    responses=NOT_FOUND,
)
def get_activity(session: SessionDep, request: Request, activity: SlugOrId) -> Response:
    """An activity by slug (`personnel-training`) or id."""
    return represent(request, ActivityOut, council.get_activity(session, activity))


@router.get(
    "/reported-figures",
    response_model=Page[ReportedFigureOut],
    summary="List reported figures",
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


@router.get(
    "/reported-figures/{figure}",
    response_model=ReportedFigureOut,
    summary="Get a reported figure",
    responses=NOT_FOUND,
)
def get_reported_figure(session: SessionDep, request: Request, figure: SlugOrId) -> Response:
    """A reported figure by slug (`ksopn-meetings-held-2020`) or id."""
    return represent(request, ReportedFigureOut, council.get_reported_figure(session, figure))
