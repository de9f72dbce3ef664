from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.pagination import EntityId, PageDep, after_id, page_of
from app.api.representation import represent
from app.deps import SessionDep
from app.errors import InvalidParameterError
from app.models.enums import OperationKind
from app.schemas.common import NOT_FOUND, PROBLEMS, Page
from app.schemas.operations import OperationDetail, OperationOut, StageDetail, StageOut
from app.services import operations

TAG = "operations"
router = APIRouter(responses=PROBLEMS, tags=[TAG])


@router.get("/operations", response_model=Page[OperationOut], summary="List operations")
def list_operations(
    session: SessionDep,
    request: Request,
    page: PageDep,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Names and aliases; `q=канал` works."),
    ] = None,
    kind: Annotated[OperationKind | None, Query(description="Only this kind.")] = None,
) -> Response:
    """Anti-drug operations (Channel) and tactical exercises (Grom), each with its source."""
    rows = operations.list_operations(session, q, kind, after_id(page), page.limit + 1)
    return page_of(request, Page[OperationOut], rows, page)


@router.get(
    "/operations/{operation}",
    response_model=OperationDetail,
    summary="Get an operation",
    responses=NOT_FOUND,
)
def get_operation(session: SessionDep, request: Request, operation: str) -> Response:
    """An operation by slug (`channel`) or id, with its status history, stages, parties,
    what it trains (for exercises), assessments and reported figures."""
    return represent(request, OperationDetail, operations.get_operation(session, operation))


@router.get("/stages", response_model=Page[StageOut], summary="List stages")
def list_stages(
    session: SessionDep,
    request: Request,
    page: PageDep,
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
    rows = operations.list_stages(session, operation_id, after_id(page), page.limit + 1)
    return page_of(request, Page[StageOut], rows, page)


@router.get(
    "/stages/{stage_id}", response_model=StageDetail, summary="Get a stage", responses=NOT_FOUND
)
def get_stage(session: SessionDep, request: Request, stage_id: EntityId) -> Response:
    """A stage with its participants, observers and seizure reports."""
    return represent(request, StageDetail, operations.get_stage(session, stage_id))
