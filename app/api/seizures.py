from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from app.api.listing import EXPORTS, ListingDep
from app.api.pagination import EntityId
from app.api.representation import represent
from app.deps import SessionDep
from app.errors import InvalidParameterError
from app.models.enums import Qualifier
from app.schemas.common import NOT_FOUND, PROBLEMS, IsoDate, Page
from app.schemas.seizures import SeizureOut, SeizureTotals
from app.services import operations, reference
from app.services import seizures as seizures_service
from app.services.common import MAX_ID
from app.services.seizures import (
    SeizureFilters,
    count_seizures,
    list_seizures,
    seizure_csv_chunks,
)
from app.services.totals import GROUP_KEYS, seizure_totals

TAG = "seizures"
router = APIRouter(responses=PROBLEMS, tags=[TAG])


async def seizure_filters(
    session: SessionDep,
    year: Annotated[
        int | None,
        Query(ge=1900, le=2100, description="Reports whose period overlaps this calendar year."),
    ] = None,
    date_from: Annotated[
        IsoDate | None,
        Query(alias="from", description="Reports whose period ends on or after this date."),
    ] = None,
    date_to: Annotated[
        IsoDate | None,
        Query(alias="to", description="Reports whose period starts on or before this date."),
    ] = None,
    operation: Annotated[
        str | None, Query(max_length=100, description="Operation slug (`channel`) or id.")
    ] = None,
    stage: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Stage id.")] = None,
    country: Annotated[
        str | None,
        Query(min_length=3, max_length=3, description="ISO 3166-1 alpha-3, e.g. `KAZ`."),
    ] = None,
    substance: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Substance slug (`cannabis`); includes its descendants (hashish, ...).",
        ),
    ] = None,
    qualifier: Annotated[
        Qualifier | None, Query(description="Only reports stated this way.")
    ] = None,
) -> SeizureFilters:
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidParameterError("from", f"`from` ({date_from}) is after `to` ({date_to})")
    filters = SeizureFilters(
        stage_id=stage, year=year, date_from=date_from, date_to=date_to, qualifier=qualifier
    )
    if operation is None and country is None and substance is None:
        return filters  # nothing to look up: no worker thread
    return await run_in_threadpool(
        _resolved, session, filters, operation=operation, country=country, substance=substance
    )


def _resolved(
    session: Session,
    filters: SeizureFilters,
    *,
    operation: str | None,
    country: str | None,
    substance: str | None,
) -> SeizureFilters:
    """`filters` with the slugs and codes given turned into ids."""
    return replace(
        filters,
        operation_id=_resolve("operation", operation, operations.operation_id_of, session),
        country_id=_resolve("country", country, reference.country_id, session),
        substance_id=_resolve("substance", substance, reference.substance_id, session),
    )


FiltersDep = Annotated[SeizureFilters, Depends(seizure_filters)]


@router.get(
    "/seizures",
    response_model=Page[SeizureOut],
    summary="List seizure reports",
    responses=EXPORTS,
)
def seizures(
    session: SessionDep,
    listing: ListingDep,
    filters: FiltersDep,
    top_level_only: Annotated[
        bool, Query(description="Hide breakdown rows (reports with a `parent_id`).")
    ] = False,
    count: Annotated[
        bool, Query(description="Also count every matching report (costs a scan).")
    ] = False,
) -> Response:
    """Seizure reports with their full period, the years it spans, exact grams and the
    quantity as reported. Filters combine; a report matches a year or a `from`/`to` range
    when its period overlaps it, so `year=2018` also returns a 2017-2019 report: its `years`
    show that the figure is the three years' together, never 2018's own.

    A report with a `parent_id` is part of its parent's quantity (the source's
    "including ..."), not in addition to it; add quantities up with `/seizures/totals`."""
    filters = replace(filters, top_level_only=top_level_only)
    return listing.respond(
        SeizureOut,
        lambda s, after, limit: list_seizures(s, replace(filters, after_id=after), limit),
        count=count_seizures(session, filters) if count else None,
        csv_chunks=lambda s, after: seizure_csv_chunks(s, replace(filters, after_id=after)),
        shaped=True,
    )


GroupBy = Annotated[
    str | None,
    Query(
        max_length=100,
        description="Comma-separated keys among "
        + ", ".join(f"`{k}`" for k in GROUP_KEYS)
        + "; without it, one group holds the grand total.",
        examples=["year,substance"],
    ),
]


@router.get(
    "/seizures/totals", response_model=SeizureTotals, summary="Seizure totals users can trust"
)
def totals(
    request: Request,
    session: SessionDep,
    filters: FiltersDep,
    group_by: GroupBy = None,
    allocate: Annotated[
        Literal["pro_rata"] | None,
        Query(
            description="`pro_rata` splits multi-year reports across their years by days; "
            "each split part is marked `estimated`."
        ),
    ] = None,
) -> Response:
    """Exact sums of the matching seizure reports, per unit kind (grams, millilitres and
    items are never added together), grouped as asked.

    - Each quantity counts once: a breakdown row is part of its parent, and the part of a
      parent that no breakdown row names is its own line, `unspecified: true`.
    - With `year` among the keys, a report whose period spans several calendar years goes
      to `multi_year` with its period, unsplit, unless `allocate=pro_rata`.
    - A total with any "at least" part is `at_least`; with any "about" part, `about`.
    - Reports that could describe the same seizures but are not linked are counted, and each
      such pair is named in `warnings`."""
    keys = _group_keys(group_by)
    body = seizure_totals(session, filters, keys, pro_rata=allocate == "pro_rata")
    # Only the keys asked for appear in a line (the model's `exclude_unset`).
    return represent(request, SeizureTotals, body, exclude_unset=True, shaped=True)


def _group_keys(group_by: str | None) -> list[str]:
    if not group_by:
        return []
    keys = [key.strip() for key in group_by.split(",")]
    unknown = [key for key in keys if key not in GROUP_KEYS]
    if unknown:
        raise InvalidParameterError(
            "group_by", f"unknown key {unknown[0]!r}; use any of {', '.join(GROUP_KEYS)}"
        )
    if len(set(keys)) != len(keys):
        raise InvalidParameterError("group_by", "a key is named twice")
    return keys


@router.get(
    "/seizures/{report_id:int}",
    response_model=SeizureOut,
    summary="Get a seizure report",
    responses=NOT_FOUND,
)
def get_seizure(request: Request, session: SessionDep, report_id: EntityId) -> Response:
    """A seizure report by id."""
    return represent(request, SeizureOut, seizures_service.get_seizure(session, report_id))


def _resolve(
    name: str, value: str | None, lookup: Callable[[Session, str], int | None], session: Session
) -> int | None:
    if value is None:
        return None
    found = lookup(session, value)
    if found is None:
        raise InvalidParameterError(name, f"no {name} {value!r}")
    return found
