from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.errors import InvalidParameterError
from app.http import contract, examples
from app.http.listing import EXPORTS, ListingDep, add_exports
from app.http.schemas import PROBLEMS, IsoDateTime, Page, Problem
from app.models import Base
from app.staff import audit
from app.staff.auth import AdminDep
from app.staff.schemas import AuditEntryOut

examples.add_examples_file(Path(__file__).with_name("examples.json"))
contract.describe_tag(
    "staff: audit", "Every write, who made it and what it changed; admin keys only.", place=80
)
router = APIRouter(
    tags=["staff: audit"],
    responses={
        **PROBLEMS,
        401: {"model": Problem, "description": "No API key, or an unknown or revoked one."},
        403: {"model": Problem, "description": "Not an admin key."},
    },
)

Entity = Annotated[
    str | None,
    Query(
        max_length=40,
        pattern=r"^[a-z_]+$",
        description="Table name: " + ", ".join(sorted(Base.metadata.tables)),
    ),
]


def _in_utc(name: str, moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    try:
        return audit.as_utc(moment)
    except OverflowError as error:
        raise InvalidParameterError(name, "out of range once converted to UTC") from error


@router.get(
    "/audit",
    response_model=Page[AuditEntryOut],
    summary="Read the audit log",
    operation_id="readAuditLog",
    responses=EXPORTS,
)
def read_audit(
    caller: AdminDep,
    listing: ListingDep,
    entity: Entity = None,
    entity_id: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Only entries about this id.")
    ] = None,
    since: Annotated[
        IsoDateTime | None,
        Query(description="From this time (inclusive); UTC when it names no offset."),
    ] = None,
    until: Annotated[
        IsoDateTime | None, Query(description="Before this time; UTC when it names no offset.")
    ] = None,
) -> Response:
    """Every write, newest first: who (key name), when, what, and the state before and
    after. A deleted entity stays here. Admin keys only."""
    since, until = _in_utc("since", since), _in_utc("until", until)
    return listing.respond(
        AuditEntryOut,
        lambda s, cursor, limit: audit.list_entries(
            s,
            entity=entity,
            entity_id=entity_id,
            since=since,
            until=until,
            before_id=cursor or None,
            limit=limit,
        ),
    )


add_exports(router, read_audit, "The audit log")
