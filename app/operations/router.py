from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Body as RequestBody
from sqlalchemy.orm import Session

from app.common import operation_id_of
from app.db import lock_row
from app.deps import SessionDep, WriteSessionDep
from app.errors import InvalidParameterError, NotFoundError
from app.http import contract, examples
from app.http.listing import EXPORTS, Listing, ListingDep, add_exports
from app.http.pagination import EntityId, SlugOrId
from app.http.preconditions import locked_for_edit
from app.http.representation import Rendered, render_with_items, represent, respond
from app.http.schemas import EDIT_PROBLEMS, NOT_FOUND, PROBLEMS, WRITE_PROBLEMS, Page, Problem
from app.models import Participation, Stage
from app.models.enums import OperationKind
from app.operations import service as operations
from app.operations import writes
from app.operations.posted import stage_detail
from app.operations.schemas import (
    STAGE_EXAMPLE,
    OperationDetail,
    OperationOut,
    ParticipationCreate,
    ParticipationOut,
    ParticipationPatch,
    StageCreate,
    StageDetail,
    StageOut,
    StagePatch,
)
from app.staff.auth import EditorDep
from app.staff.idempotency import IdempotencyDep, respond_created

TAG = "operations"
examples.add_examples_file(Path(__file__).with_name("examples.json"))
contract.describe_tag(
    TAG,
    "Operation **Channel** and the **Grom** exercises: their stages, the parties to them, "
    "and what the sources report of them.",
    place=10,
)
contract.describe_tag(
    "staff: stages",
    "Staff writes, with an editor key: post a stage with its parties and seizures in one "
    "request, then add to it or correct it.",
    place=60,
)
contract.add_path_examples(operation="channel")
router = APIRouter(responses=PROBLEMS, tags=[TAG])


@router.get(
    "/operations",
    response_model=Page[OperationOut],
    summary="List operations",
    operation_id="listOperations",
    responses=EXPORTS,
)
def list_operations(
    listing: ListingDep,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Names and aliases; `q=канал` works."),
    ] = None,
    kind: Annotated[OperationKind | None, Query(description="Only this kind.")] = None,
) -> Response:
    """Anti-drug operations (Channel) and tactical exercises (Grom), each with its source."""
    return listing.respond(
        OperationOut, lambda s, after, limit: operations.list_operations(s, q, kind, after, limit)
    )


add_exports(router, list_operations, "Operations")


@router.get(
    "/operations/{operation}",
    response_model=OperationDetail,
    summary="Get an operation",
    operation_id="getOperation",
    responses=NOT_FOUND,
)
def get_operation(session: SessionDep, request: Request, operation: SlugOrId) -> Response:
    """An operation by slug (`channel`) or id, with its status history, stages, parties,
    what it trains (for exercises), assessments and reported figures."""
    return represent(request, OperationDetail, operations.get_operation(session, operation))


def _stages_page(listing: Listing, operation_id: int | None) -> Response:
    """Stages in id order, of one operation or (None) of all."""
    return listing.respond(
        StageOut, lambda s, after, limit: operations.list_stages(s, operation_id, after, limit)
    )


@router.get(
    "/operations/{operation}/stages",
    response_model=Page[StageOut],
    summary="List an operation's stages",
    operation_id="listOperationStages",
    responses={**EXPORTS, **NOT_FOUND},
)
def list_operation_stages(
    session: SessionDep, listing: ListingDep, operation: SlugOrId
) -> Response:
    """The numbered stages of one operation (`channel`), paged as `/stages` pages them; where
    staff post a new one."""
    operation_id = operation_id_of(session, operation)
    if operation_id is None:
        raise NotFoundError(f"no operation {operation}")
    return _stages_page(listing, operation_id)


add_exports(router, list_operation_stages, "An operation's stages")


@router.get(
    "/stages",
    response_model=Page[StageOut],
    summary="List stages",
    operation_id="listStages",
    responses=EXPORTS,
)
def list_stages(
    session: SessionDep,
    listing: ListingDep,
    operation: Annotated[
        str | None, Query(max_length=100, description="Operation slug or id.")
    ] = None,
) -> Response:
    """Numbered stages of operations, with dates and lead country."""
    operation_id = None
    if operation is not None:
        operation_id = operation_id_of(session, operation)
        if operation_id is None:
            raise InvalidParameterError("operation", f"no operation {operation!r}")
    return _stages_page(listing, operation_id)


add_exports(router, list_stages, "Stages")


@router.get(
    "/stages/{stage_id:int}",
    response_model=StageDetail,
    summary="Get a stage",
    operation_id="getStage",
    responses=NOT_FOUND,
)
def get_stage(session: SessionDep, request: Request, stage_id: EntityId) -> Response:
    """A stage with its participants, observers and seizure reports."""
    return stage_answer(request, session, stage_id)


def stage_answer(request: Request, session: Session, stage_id: int) -> Response:
    """The stage's answer, of the route and its fast path (app/operations/fast_reads.py)."""
    stage, seizures = operations.get_stage_with_items(session, stage_id)
    body = render_with_items(StageDetail, stage, "seizures", seizures)
    return respond(request, Rendered.of(body))


@router.get(
    "/participations/{participation_id:int}",
    response_model=ParticipationOut,
    summary="Get a participation",
    operation_id="getParticipation",
    responses=NOT_FOUND,
)
def read_participation(
    request: Request, session: SessionDep, participation_id: EntityId
) -> Response:
    """A party's participation in a stage, by id."""
    return represent(
        request, ParticipationOut, operations.get_participation(session, participation_id)
    )


# Loaders of a URL's entity for an edit. They lock the row and check If-Match when the
# handler calls them: after the body is validated, so a broken body is a 422 first.


async def _stage_for_edit(
    request: Request, session: WriteSessionDep, stage_id: EntityId
) -> Callable[[], Stage]:
    """The stage of the URL, locked, once If-Match names its current version."""
    read = partial(operations.get_stage, session)
    return partial(locked_for_edit, request, session, Stage, stage_id, StageDetail, read)


async def _participation_for_edit(
    request: Request, session: WriteSessionDep, participation_id: EntityId
) -> Callable[[], Participation]:
    read = partial(operations.get_participation, session)
    return partial(
        locked_for_edit, request, session, Participation, participation_id, ParticipationOut, read
    )


StageForEdit = Annotated[Callable[[], Stage], Depends(_stage_for_edit)]
ParticipationForEdit = Annotated[Callable[[], Participation], Depends(_participation_for_edit)]


# Staff writes (an editor key).
staff_router = APIRouter(tags=["staff: stages"], responses=PROBLEMS)

STAGE_NUMBER_TAKEN: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "The stage number is taken."}
}


@staff_router.post(
    "/operations/{operation}/stages",
    status_code=201,
    response_model=StageDetail,
    summary="Post a stage",
    operation_id="postStage",
    responses={**WRITE_PROBLEMS, **STAGE_NUMBER_TAKEN},
)
def post_stage(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    operation: SlugOrId,
    body: Annotated[
        StageCreate,
        RequestBody(openapi_examples={"stage": {"summary": "A stage", "value": STAGE_EXAMPLE}}),
    ],
) -> Response:
    """Creates a stage with its participants, observers and seizure reports in one
    transaction: all of it, or nothing. Parties are ISO alpha-3 codes, organization slugs
    or `member-states`; quantities are phrases or `{"amount", "unit"}`. Send an
    `Idempotency-Key` to make retries safe."""

    def make() -> tuple[Any, Any, str]:
        posted = writes.post_stage(session, caller, operation, body)
        location = f"/api/v1/stages/{posted.stage.id}"
        detail = stage_detail(session, posted)
        # The reports are shaped as the list writes them: written as they are, as the
        # stage's read writes its own, not validated again one by one.
        written = render_with_items(StageDetail, detail, "seizures", detail["seizures"])
        return StageDetail, Rendered.of(written), location

    return respond_created(request, session, caller, idem, make)


@staff_router.patch(
    "/stages/{stage_id:int}",
    response_model=StageDetail,
    summary="Correct a stage",
    operation_id="patchStage",
    responses={**EDIT_PROBLEMS, **STAGE_NUMBER_TAKEN},
)
def patch_stage(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    stage_for_edit: StageForEdit,
    stage_id: EntityId,
    body: StagePatch,
) -> Response:
    """Changes the fields given. Needs `If-Match` with the ETag of the stage's last GET."""
    writes.patch_stage(session, caller, stage_for_edit(), body)
    return represent(request, StageDetail, operations.get_stage(session, stage_id))


@staff_router.delete(
    "/stages/{stage_id:int}",
    status_code=204,
    summary="Delete a stage",
    operation_id="deleteStage",
    responses=EDIT_PROBLEMS,
)
def delete_stage(
    caller: EditorDep, session: WriteSessionDep, stage_for_edit: StageForEdit
) -> Response:
    """Deletes the stage with its parties and seizure reports. Needs `If-Match`. Everything
    deleted stays readable in the audit log."""
    writes.delete_stage(session, caller, stage_for_edit())
    return Response(status_code=204)


@staff_router.post(
    "/stages/{stage_id:int}/participations",
    status_code=201,
    response_model=ParticipationOut,
    summary="Add a participant or observer to a stage",
    operation_id="addParticipation",
    responses=WRITE_PROBLEMS,
)
def add_participation(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    stage_id: EntityId,
    body: ParticipationCreate,
) -> Response:
    """Adds a party to a stage in a role (participant, observer, organizer, host)."""

    def make() -> tuple[Any, Any, str]:
        stage = lock_row(session, Stage, stage_id)
        new_id = writes.add_participation(session, caller, stage, body)
        location = f"/api/v1/participations/{new_id}"
        return ParticipationOut, operations.get_participation(session, new_id), location

    return respond_created(request, session, caller, idem, make)


@staff_router.patch(
    "/participations/{participation_id:int}",
    response_model=ParticipationOut,
    summary="Correct a participation",
    operation_id="patchParticipation",
    responses=EDIT_PROBLEMS,
)
def patch_participation(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    participation_for_edit: ParticipationForEdit,
    participation_id: EntityId,
    body: ParticipationPatch,
) -> Response:
    """Changes role, detail, regularity or citation. Needs `If-Match`."""
    writes.patch_participation(session, caller, participation_for_edit(), body)
    return represent(
        request, ParticipationOut, operations.get_participation(session, participation_id)
    )


@staff_router.delete(
    "/participations/{participation_id:int}",
    status_code=204,
    summary="Delete a participation",
    operation_id="deleteParticipation",
    responses=EDIT_PROBLEMS,
)
def delete_participation(
    caller: EditorDep, session: WriteSessionDep, participation_for_edit: ParticipationForEdit
) -> Response:
    """Removes a party from a stage. Needs `If-Match`."""
    writes.delete_participation(session, caller, participation_for_edit())
    return Response(status_code=204)
