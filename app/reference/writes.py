"""Staff writes to the reference data: organizations and sources. Each function checks
what the body cannot say by itself, writes through the shared audited create, update and
delete (app/writes.py), and never commits: the request's session does."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import models as m
from app.error_words import said
from app.reference.schemas import OrganizationCreate, OrganizationPatch, SourceCreate
from app.staff.keys import Caller
from app.writes import body_error, columns_from, create, delete, update


def add_organization(session: Session, caller: Caller, body: OrganizationCreate) -> m.Organization:
    if (body.source is None) != (body.locator is None):
        raise body_error(
            "locator",
            said("source and locator go together", "источник и место в нём даются вместе"),
        )
    row = m.Organization(**columns_from(session, body.model_dump(), m.Organization))
    create(session, caller, row, "the organization")
    return row


def patch_organization(
    session: Session, caller: Caller, row: m.Organization, body: OrganizationPatch
) -> None:
    changes = columns_from(session, body.model_dump(exclude_unset=True), m.Organization)
    if "parent_id" in changes:
        _check_no_cycle(session, row, changes["parent_id"])
    update(session, caller, row, changes, "the organization")


def delete_organization(session: Session, caller: Caller, row: m.Organization) -> None:
    delete(session, caller, row, "the organization")


def add_source(session: Session, caller: Caller, body: SourceCreate) -> m.Source:
    row = m.Source(**columns_from(session, body.model_dump(), m.Source))
    create(session, caller, row, "the source")
    return row


def _check_no_cycle(session: Session, row: m.Organization, parent_id: int | None) -> None:
    """An organization may not end up among its own ancestors."""
    seen = set()
    while parent_id is not None and parent_id not in seen:
        if parent_id == row.id:
            raise body_error(
                "parent",
                said(
                    "this parent would make the organization its own ancestor",
                    "с таким родителем организация стала бы своим же предком",
                ),
            )
        seen.add(parent_id)
        parent_id = session.scalar(
            select(m.Organization.parent_id).where(m.Organization.id == parent_id)
        )
