from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.api.pagination import EntityId, PageDep, after_id, page_of
from app.api.representation import represent
from app.deps import SessionDep
from app.errors import InvalidParameterError
from app.schemas.common import NOT_FOUND, PROBLEMS, Page
from app.schemas.seizures import SeizureOut
from app.services import operations, reference
from app.services import seizures as seizures_service
from app.services.common import MAX_ID
from app.services.seizures import SeizureFilters, list_seizures

TAG = "seizures"
router = APIRouter(responses=PROBLEMS, tags=[TAG])


@router.get("/seizures", response_model=Page[SeizureOut], summary="List seizure reports")
def seizures(
    session: SessionDep,
    request: Request,
    page: PageDep,
    year: Annotated[
        int | None,
        Query(ge=1900, le=2100, description="Reports whose period overlaps this calendar year."),
    ] = None,
    operation: Annotated[
        str | None, Query(max_length=100, description="Operation slug or id.")
    ] = None,
    stage: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Stage id.")] = None,
    country: Annotated[
        str | None, Query(min_length=3, max_length=3, description="ISO 3166-1 alpha-3.")
    ] = None,
    substance: Annotated[
        str | None,
        Query(max_length=100, description="Substance slug; includes its descendants."),
    ] = None,
) -> Response:
    """Seizure reports with their full period, the years it spans, exact grams and the
    quantity as reported. A report with `parent_id` is part of its parent's quantity (the
    source's "including ..."), not in addition to it."""
    filters = SeizureFilters(
        operation_id=_resolve("operation", operation, operations.operation_id_of, session),
        stage_id=stage,
        country_id=_resolve("country", country, reference.country_id, session),
        substance_id=_resolve("substance", substance, reference.substance_id, session),
        year=year,
        after_id=after_id(page),
    )
    rows = list_seizures(session, filters, limit=page.limit + 1)
    return page_of(request, Page[SeizureOut], rows, page)


@router.get(
    "/seizures/{report_id}",
    response_model=SeizureOut,
    summary="Get a seizure report",
    responses=NOT_FOUND,
)
def get_seizure(request: Request, session: SessionDep, report_id: EntityId) -> Response:
    """A seizure report by id."""
    return represent(request, SeizureOut, seizures_service.get_seizure(session, report_id))


def _resolve(name: str, value: str | None, lookup: Any, session: Any) -> int | None:
    if value is None:
        return None
    found: int | None = lookup(session, value)
    if found is None:
        raise InvalidParameterError(name, f"no {name} {value!r}")
    return found
