"""Reads of sources, countries, organizations, substances and memberships."""

from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from app.models import Country, Membership, Organization, Source, Substance
from app.models.enums import MembershipStatus
from app.schemas.common import fuzzy
from app.services.common import AnySelect, by_key, cited_columns, dicts, matches, one

_SOURCE_COLUMNS = (
    Source.id,
    Source.slug,
    Source.title,
    Source.publisher,
    Source.published_on,
    Source.published_precision,
    Source.language,
    Source.url,
    Source.reference,
    Source.locator_scheme,
)


def _source_out(row: dict[str, Any]) -> dict[str, Any]:
    row["published"] = fuzzy(row.pop("published_on"), row.pop("published_precision"))
    return row


def list_sources(session: Session, after: int, limit: int) -> list[dict[str, Any]]:
    stmt = select(*_SOURCE_COLUMNS).where(Source.id > after).order_by(Source.id).limit(limit)
    return [_source_out(r) for r in dicts(session.execute(stmt).all())]


def get_source(session: Session, slug: str) -> dict[str, Any]:
    stmt = select(*_SOURCE_COLUMNS).where(by_key(Source, slug))
    return _source_out(one(stmt, session, "source", slug))


def _countries() -> AnySelect:
    return select(
        Country.id,
        Country.iso3,
        Country.name_en,
        Country.name_ru,
        Country.aliases_en,
        Country.aliases_ru,
        *cited_columns(Country.locator),
    ).outerjoin(Source, Source.id == Country.source_id)


def list_countries(session: Session, q: str | None, after: int, limit: int) -> list[dict[str, Any]]:
    stmt = _countries().where(Country.id > after).order_by(Country.id).limit(limit)
    if q:
        stmt = stmt.where(matches(Country.search_text, q))
    return dicts(session.execute(stmt).all())


def get_country(session: Session, iso3: str) -> dict[str, Any]:
    return one(_countries().where(Country.iso3 == iso3.upper()), session, "country", iso3)


def _organizations() -> AnySelect:
    parent = aliased(Organization)
    return (
        select(
            Organization.id,
            Organization.slug,
            Organization.kind,
            Organization.acronym_en,
            Organization.acronym_ru,
            Organization.name_en,
            Organization.name_ru,
            Organization.aliases_en,
            Organization.aliases_ru,
            Country.iso3.label("country"),
            parent.slug.label("parent"),
            Organization.description,
            *cited_columns(Organization.locator),
        )
        .outerjoin(Country, Country.id == Organization.country_id)
        .outerjoin(parent, parent.id == Organization.parent_id)
        .outerjoin(Source, Source.id == Organization.source_id)
    )


def list_organizations(
    session: Session, q: str | None, kind: str | None, after: int, limit: int
) -> list[dict[str, Any]]:
    stmt = _organizations().where(Organization.id > after).order_by(Organization.id).limit(limit)
    if q:
        stmt = stmt.where(matches(Organization.search_text, q))
    if kind:
        stmt = stmt.where(Organization.kind == kind)
    return dicts(session.execute(stmt).all())


def get_organization(session: Session, key: str) -> dict[str, Any]:
    stmt = _organizations().where(by_key(Organization, key))
    return one(stmt, session, "organization", key)


def _substances() -> AnySelect:
    parent = aliased(Substance)
    return select(
        Substance.id,
        Substance.slug,
        parent.slug.label("parent"),
        Substance.name_en,
        Substance.name_ru,
        Substance.aliases_en,
        Substance.aliases_ru,
        Substance.description,
    ).outerjoin(parent, parent.id == Substance.parent_id)


def list_substances(
    session: Session, q: str | None, after: int, limit: int
) -> list[dict[str, Any]]:
    stmt = _substances().where(Substance.id > after).order_by(Substance.id).limit(limit)
    if q:
        stmt = stmt.where(matches(Substance.search_text, q))
    return dicts(session.execute(stmt).all())


def substance_tree(session: Session) -> list[dict[str, Any]]:
    """The whole taxonomy as nested nodes, roots first, each level in id order."""
    nodes = [row | {"children": []} for row in dicts(session.execute(_substances()).all())]
    by_slug = {node["slug"]: node for node in nodes}
    roots: list[dict[str, Any]] = []
    for node in sorted(nodes, key=lambda node: node["id"]):
        parent = by_slug.get(node["parent"]) if node["parent"] else None
        (parent["children"] if parent else roots).append(node)
    return roots


def get_substance(session: Session, key: str) -> dict[str, Any]:
    return one(_substances().where(by_key(Substance, key)), session, "substance", key)


def member_states(session: Session, on: date, organization: str) -> list[dict[str, Any]]:
    """The countries whose membership of `organization` is in force, as a member, on `on`."""
    org = aliased(Organization)
    stmt = (
        select(
            Country.iso3,
            Country.name_en,
            Country.name_ru,
            org.slug.label("organization"),
            Membership.status,
            Membership.valid_from,
            Membership.valid_to,
            *cited_columns(Membership.locator),
        )
        .join(Country, Country.id == Membership.country_id)
        .join(org, org.id == Membership.organization_id)
        .join(Source, Source.id == Membership.source_id)
        .where(
            org.slug == organization,
            Membership.status == MembershipStatus.MEMBER,
            Membership.valid_from <= on,
            or_(Membership.valid_to.is_(None), and_(Membership.valid_to >= on)),
        )
        .order_by(Country.iso3)
    )
    return dicts(session.execute(stmt).all())


def organization_exists(session: Session, slug: str) -> bool:
    return session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None


def country_id(session: Session, iso3: str) -> int | None:
    return session.scalar(select(Country.id).where(Country.iso3 == iso3.upper()))


def substance_id(session: Session, slug: str) -> int | None:
    return session.scalar(select(Substance.id).where(Substance.slug == slug))
