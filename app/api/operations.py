from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.listing import EXPORTS, ListingDep
from app.api.pagination import EntityId, SlugOrId
from app.api.representation import represent
from app.deps import SessionDep
from app.errors import InvalidParameterError
from app.models.enums import OperationKind
from app.schemas.common import NOT_FOUND, PROBLEMS, Page
from app.schemas.operations import OperationDetail, OperationOut, StageDetail, StageOut
from app.services import operations

TAG = "operations"
router = APIRouter(responses=PROBLEMS, tags=[TAG])


@router.get(
    "/operations", response_model=Page[OperationOut], summary="List operations", responses=EXPORTS
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


@router.get(
    "/operations/{operation}",
    response_model=OperationDetail,
    summary="Get an operation",
    responses=NOT_FOUND,
)
def get_operation(session: SessionDep, request: Request, operation: SlugOrId) -> Response:
    """An operation by slug (`channel`) or id, with its status history, stages, parties,
    what it trains (for exercises), assessments and reported figures."""
    return represent(request, OperationDetail, operations.get_operation(session, operation))


@router.get("/stages", response_model=Page[StageOut], summary="List stages", responses=EXPORTS)
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
        operation_id = operations.operation_id_of(session, operation)
        if operation_id is None:
            raise InvalidParameterError("operation", f"no operation {operation!r}")
    return listing.respond(
        StageOut, lambda s, after, limit: operations.list_stages(s, operation_id, after, limit)
    )


@router.get(
    "/stages/{stage_id:int}", response_model=StageDetail, summary="Get a stage", responses=NOT_FOUND
)
def get_stage(session: SessionDep, request: Request, stage_id: EntityId) -> Response:
    """A stage with its participants, observers and seizure reports."""
    return represent(request, StageDetail, operations.get_stage(session, stage_id))
