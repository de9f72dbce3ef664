from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.api.pagination import EntityId, PageDep, after_id, id_page
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
    response: Response,
    page: PageDep,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Names and aliases; `q=канал` works."),
    ] = None,
    kind: Annotated[OperationKind | None, Query(description="Only this kind.")] = None,
) -> dict[str, Any]:
    """Anti-drug operations (Channel) and tactical exercises (Grom), each with its source."""
    rows = operations.list_operations(session, q, kind, after_id(page), page.limit + 1)
    return id_page(request, response, page, rows)


@router.get(
    "/operations/{operation}",
    response_model=OperationDetail,
    summary="Get an operation",
    responses=NOT_FOUND,
)
def get_operation(session: SessionDep, operation: str) -> dict[str, Any]:
    """An operation by slug (`channel`) or id, with its status history, stages, parties,
    what it trains (for exercises), assessments and reported figures."""
    return operations.get_operation(session, operation)


@router.get("/stages", response_model=Page[StageOut], summary="List stages")
def list_stages(
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageDep,
    operation: Annotated[
        str | None, Query(max_length=100, description="Operation slug or id.")
    ] = None,
) -> dict[str, Any]:
    """Numbered stages of operations, with dates and lead country."""
    operation_id = None
    if operation is not None:
        operation_id = operations.operation_id_of(session, operation)
        if operation_id is None:
            raise InvalidParameterError("operation", f"no operation {operation!r}")
    rows = operations.list_stages(session, operation_id, after_id(page), page.limit + 1)
    return id_page(request, response, page, rows)


@router.get(
    "/stages/{stage_id}", response_model=StageDetail, summary="Get a stage", responses=NOT_FOUND
)
def get_stage(session: SessionDep, stage_id: EntityId) -> dict[str, Any]:
    """A stage with its participants, observers and seizure reports."""
    return operations.get_stage(session, stage_id)
