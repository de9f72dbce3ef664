"""Staff writes to stages, their parties and seizure reports (editor key required)."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

from app.api.idempotency import IdempotencyDep, respond_created
from app.api.pagination import EntityId, SlugOrId
from app.api.preconditions import locked_for_edit
from app.api.representation import represent
from app.auth import EditorDep
from app.deps import SessionDep, WriteSessionDep
from app.models import Participation, SeizureReport, Stage
from app.schemas import writes as w
from app.schemas.common import NOT_FOUND, PROBLEMS, Problem
from app.schemas.operations import ParticipationOut, StageDetail
from app.schemas.seizures import SeizureOut
from app.services import editing
from app.services.operations import get_participation, get_stage
from app.services.seizures import get_seizure

WRITE_PROBLEMS = {
    **PROBLEMS,
    **NOT_FOUND,
    401: {"model": Problem, "description": "No API key, or an unknown or revoked one."},
    403: {"model": Problem, "description": "The key's role may not do this."},
}
EDIT_PROBLEMS = {
    **WRITE_PROBLEMS,
    412: {"model": Problem, "description": "If-Match is stale: GET again, reapply the edit."},
    428: {"model": Problem, "description": "If-Match is missing."},
}

STAGE_NUMBER_TAKEN: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "The stage number is taken."}
}

# Not WRITE_PROBLEMS for all: GET /participations/{id} is a read, open without a key.
router = APIRouter(tags=["staff: stages"], responses=PROBLEMS)


@router.post(
    "/operations/{operation}/stages",
    status_code=201,
    response_model=StageDetail,
    summary="Post a stage",
    responses={**WRITE_PROBLEMS, **STAGE_NUMBER_TAKEN},
)
def post_stage(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    operation: SlugOrId,
    body: Annotated[
        w.StageCreate,
        Body(openapi_examples={"stage": {"summary": "A stage", "value": w.STAGE_EXAMPLE}}),
    ],
) -> Response:
    """Creates a stage with its participants, observers and seizure reports in one
    transaction: all of it, or nothing. Parties are ISO alpha-3 codes, organization slugs
    or `member-states`; quantities are phrases or `{"amount", "unit"}`. Send an
    `Idempotency-Key` to make retries safe."""

    def make() -> tuple[Any, Any, str]:
        stage_id = editing.post_stage(session, caller, operation, body)
        return StageDetail, get_stage(session, stage_id), f"/api/v1/stages/{stage_id}"

    return respond_created(request, session, caller, idem, make)


@router.patch(
    "/stages/{stage_id:int}",
    response_model=StageDetail,
    summary="Correct a stage",
    responses={**EDIT_PROBLEMS, **STAGE_NUMBER_TAKEN},
)
def patch_stage(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    stage_id: EntityId,
    body: w.StagePatch,
) -> Response:
    """Changes the fields given. Needs `If-Match` with the ETag of the stage's last GET."""
    stage = locked_for_edit(
        request, session, Stage, stage_id, StageDetail, lambda i: get_stage(session, i)
    )
    editing.patch_stage(session, caller, stage, body)
    return represent(request, StageDetail, get_stage(session, stage_id))


@router.delete(
    "/stages/{stage_id:int}", status_code=204, summary="Delete a stage", responses=EDIT_PROBLEMS
)
def delete_stage(
    request: Request, caller: EditorDep, session: WriteSessionDep, stage_id: EntityId
) -> Response:
    """Deletes the stage with its parties and seizure reports. Needs `If-Match`. Everything
    deleted stays readable in the audit log."""
    stage = locked_for_edit(
        request, session, Stage, stage_id, StageDetail, lambda i: get_stage(session, i)
    )
    editing.delete_stage(session, caller, stage)
    return Response(status_code=204)


@router.post(
    "/stages/{stage_id:int}/seizures",
    status_code=201,
    response_model=SeizureOut,
    summary="Add a seizure report to a stage",
    responses=WRITE_PROBLEMS,
)
def add_seizure(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    stage_id: EntityId,
    body: w.SeizureCreate,
) -> Response:
    """Adds a report (with its parts) to an existing stage; with `parent_id`, a part of an
    existing report, checked not to exceed it."""

    def make() -> tuple[Any, Any, str]:
        stage = editing.lock(session, Stage, stage_id)
        report_id = editing.add_seizure(session, caller, stage, body)
        return SeizureOut, get_seizure(session, report_id), f"/api/v1/seizures/{report_id}"

    return respond_created(request, session, caller, idem, make)


@router.patch(
    "/seizures/{report_id:int}",
    response_model=SeizureOut,
    summary="Correct a seizure report",
    responses=EDIT_PROBLEMS,
)
def patch_seizure(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    report_id: EntityId,
    body: w.SeizurePatch,
) -> Response:
    """Changes the fields given; breakdowns are checked again. Needs `If-Match`."""
    editing.lock_breakdown(session, report_id)
    report = locked_for_edit(
        request, session, SeizureReport, report_id, SeizureOut, lambda i: get_seizure(session, i)
    )
    editing.patch_seizure(session, caller, report, body)
    return represent(request, SeizureOut, get_seizure(session, report_id))


@router.delete(
    "/seizures/{report_id:int}",
    status_code=204,
    summary="Delete a seizure report",
    responses={**EDIT_PROBLEMS, 409: {"model": Problem, "description": "It has parts."}},
)
def delete_seizure(
    request: Request, caller: EditorDep, session: WriteSessionDep, report_id: EntityId
) -> Response:
    """Deletes a report that has no parts. Needs `If-Match`."""
    editing.lock_breakdown(session, report_id)
    report = locked_for_edit(
        request, session, SeizureReport, report_id, SeizureOut, lambda i: get_seizure(session, i)
    )
    editing.delete_seizure(session, caller, report)
    return Response(status_code=204)


@router.post(
    "/stages/{stage_id:int}/participations",
    status_code=201,
    response_model=ParticipationOut,
    summary="Add a participant or observer to a stage",
    responses=WRITE_PROBLEMS,
)
def add_participation(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    stage_id: EntityId,
    body: w.ParticipationCreate,
) -> Response:
    """Adds a party to a stage in a role (participant, observer, organizer, host)."""

    def make() -> tuple[Any, Any, str]:
        stage = editing.lock(session, Stage, stage_id)
        new_id = editing.add_participation(session, caller, stage, body)
        location = f"/api/v1/participations/{new_id}"
        return ParticipationOut, get_participation(session, new_id), location

    return respond_created(request, session, caller, idem, make)


@router.get(
    "/participations/{participation_id:int}",
    response_model=ParticipationOut,
    summary="Get a participation",
    responses=NOT_FOUND,
    tags=["operations"],
)
def read_participation(
    request: Request, session: SessionDep, participation_id: EntityId
) -> Response:
    """A party's participation by id."""
    return represent(request, ParticipationOut, get_participation(session, participation_id))


@router.patch(
    "/participations/{participation_id:int}",
    response_model=ParticipationOut,
    summary="Correct a participation",
    responses=EDIT_PROBLEMS,
)
def patch_participation(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    participation_id: EntityId,
    body: w.ParticipationPatch,
) -> Response:
    """Changes role, detail, regularity or citation. Needs `If-Match`."""
    participation = locked_for_edit(
        request,
        session,
        Participation,
        participation_id,
        ParticipationOut,
        lambda i: get_participation(session, i),
    )
    editing.patch_participation(session, caller, participation, body)
    return represent(request, ParticipationOut, get_participation(session, participation_id))


@router.delete(
    "/participations/{participation_id:int}",
    status_code=204,
    summary="Delete a participation",
    responses=EDIT_PROBLEMS,
)
def delete_participation(
    request: Request, caller: EditorDep, session: WriteSessionDep, participation_id: EntityId
) -> Response:
    """Removes a party from a stage. Needs `If-Match`."""
    participation = locked_for_edit(
        request,
        session,
        Participation,
        participation_id,
        ParticipationOut,
        lambda i: get_participation(session, i),
    )
    editing.delete_participation(session, caller, participation)
    return Response(status_code=204)
