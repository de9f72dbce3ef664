"""Reads of sources, countries, organizations, substances and memberships; citations."""

import difflib
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from app.common import AnySelect, by_key, cited_columns, dicts, matches, one
from app.http.schemas import fuzzy
from app.models import Country, Membership, Organization, Source, Substance
from app.models.base import fold
from app.models.enums import DatePrecision, MembershipStatus

_SOURCE_COLUMNS = (
    Source.id,
    Source.slug,
    Source.title,
    Source.publisher,
    Source.published_on,
    Source.published_precision,
    Source.language,
    Source.url,
    Source.accessed_on.label("accessed"),
    Source.reference,
    Source.locator_scheme,
    Source.publisher_ru,
    Source.locator_scheme_ru,
    Source.is_example.label("example"),
    Source.kind,
    Source.reliability_note,
)


def _source_out(row: dict[str, Any]) -> dict[str, Any]:
    published = _date_parts(row.pop("published_on"), row.pop("published_precision"))
    row["published"] = fuzzy(*published) if published else None
    row["citation"] = citation(row, published)
    return row


# -- citations -----------------------------------------------------------------------------
#
# Built from the columns alone, so every source cites the same way; what the registry does
# not know (a date, a URL, an access date) is left out, never guessed.

_PARTS = {DatePrecision.YEAR: 1, DatePrecision.MONTH: 2, DatePrecision.DAY: 3}
# BibTeX's month macros, January first.
BIBTEX_MONTHS = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
# LaTeX's special characters, as they stand in a brace-delimited BibTeX field.
_BIBTEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
# A URL stands verbatim in BibTeX; only what would break the braces (or is no URL
# character at all) is percent-encoded.
_URL_ESCAPES = {"{": "%7B", "}": "%7D", "\\": "%5C", " ": "%20"}

PublishedDate = tuple[date, str] | None


def _date_parts(value: date | None, precision: str | None) -> PublishedDate:
    return None if value is None or precision is None else (value, precision)


def _known_parts(published: tuple[date, str]) -> list[int]:
    """[2020] for a year, [2012, 6] for a month, [2012, 12, 19] for a day."""
    value, precision = published
    return [value.year, value.month, value.day][: _PARTS[DatePrecision(precision)]]


def _iso(parts: list[int]) -> str:
    return "-".join(f"{part:04d}" if i == 0 else f"{part:02d}" for i, part in enumerate(parts))


def citation(row: dict[str, Any], published: PublishedDate) -> dict[str, Any]:
    """The source as a plain citation, a BibTeX entry and a CSL-JSON item."""
    return {
        "text": _citation_text(row, published),
        "bibtex": _bibtex(row, published),
        "csl_json": csl_item(row, published),
    }


def _citation_text(row: dict[str, Any], published: PublishedDate) -> str:
    when = f", {_iso(_known_parts(published))}" if published else ""
    text = f'"{row["title"]}". {row["publisher"]}{when}.'
    if row["accessed"] is not None:
        text += f" Accessed {row['accessed'].isoformat()}."
    if row["url"]:
        text += f" {row['url']}"
    return text


def bibtex_text(value: str) -> str:
    """Text for a brace-delimited BibTeX field (a release's citation uses it too)."""
    return "".join(_BIBTEX_ESCAPES.get(char, char) for char in " ".join(value.split()))


def bibtex_url(url: str) -> str:
    return "".join(_URL_ESCAPES.get(char, char) for char in url)


def _bibtex(row: dict[str, Any], published: PublishedDate) -> str:
    # @misc is known to BibTeX and biblatex alike. The title is braced twice so that styles
    # which lower-case titles keep "CSTO" and "KSOPN" as written.
    fields = [
        ("title", "{{" + bibtex_text(row["title"]) + "}}"),
        ("publisher", "{" + bibtex_text(row["publisher"]) + "}"),
    ]
    parts = _known_parts(published) if published else []
    if parts:
        fields.append(("year", f"{{{parts[0]}}}"))
    if len(parts) > 1:  # a month is one of BibTeX's macros, written without braces
        fields.append(("month", BIBTEX_MONTHS[parts[1] - 1]))
    if row["url"]:
        fields.append(("url", "{" + bibtex_url(row["url"]) + "}"))
    if row["accessed"] is not None:
        fields.append(("urldate", "{" + row["accessed"].isoformat() + "}"))
    lines = [f"  {name} = {value}," for name, value in fields]
    return "\n".join([f"@misc{{{row['slug']},", *lines, "}"]) + "\n"


def csl_item(row: dict[str, Any], published: PublishedDate) -> dict[str, Any]:
    """A CSL-JSON item: absent fields are left out (CSL-JSON has no null)."""
    item: dict[str, Any] = {
        "id": row["slug"],
        # The registry records no kind of source: one with a URL is cited as a web page.
        "type": "webpage" if row["url"] else "document",
        "title": row["title"],
        "publisher": row["publisher"],
    }
    if published:
        item["issued"] = {"date-parts": [_known_parts(published)]}
    if row["url"]:
        item["URL"] = row["url"]
    if row["accessed"] is not None:
        accessed: date = row["accessed"]
        item["accessed"] = {"date-parts": [[accessed.year, accessed.month, accessed.day]]}
    item["language"] = row["language"]
    return item


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


def member_states(
    session: Session, on: date, organization: str, after: int, limit: int
) -> list[dict[str, Any]]:
    """The countries whose membership of `organization` is in force, as a member, on `on`,
    in membership id order. A period's `valid_to` is its last day in force (inclusive)."""
    org = aliased(Organization)
    stmt = (
        select(
            Membership.id,
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
            or_(Membership.valid_to.is_(None), Membership.valid_to >= on),
            Membership.id > after,
        )
        .order_by(Membership.id)
        .limit(limit)
    )
    return dicts(session.execute(stmt).all())


def organization_exists(session: Session, slug: str) -> bool:
    return session.scalar(select(Organization.id).where(Organization.slug == slug)) is not None


def country_id(session: Session, iso3: str) -> int | None:
    return session.scalar(select(Country.id).where(Country.iso3 == iso3.upper()))


def substance_id(session: Session, slug: str) -> int | None:
    return session.scalar(select(Substance.id).where(Substance.slug == slug))


# --- suggestions for a value that names nothing ------------------------------------------

SUGGESTION_CUTOFF = 0.6  # difflib's ratio: `herion` -> `heroin` (0.67), not `hashish`


def closest_key(value: str, names: dict[str, str]) -> str | None:
    """The key whose name (a slug, code, name or alias, folded) is closest to `value`."""
    folded = fold(value)
    if folded in names:
        return names[folded]
    close = difflib.get_close_matches(folded, list(names), n=1, cutoff=SUGGESTION_CUTOFF)
    return names[close[0]] if close else None


def _named_keys(session: Session, model: Any, key: Any) -> dict[str, str]:
    """Every folded name of every row of a Named model (slug or code, names, aliases), each
    mapped to the row's key."""
    names: dict[str, str] = {}
    for row_key, search_text in session.execute(select(key, model.search_text)):
        names.setdefault(fold(str(row_key)), str(row_key))
        for term in str(search_text or "").split("\n"):
            if term:
                names.setdefault(term, str(row_key))
    return names


def substance_suggestion(session: Session, value: str) -> str | None:
    """The slug of the substance `value` most likely means (`herion`, `героин`: heroin)."""
    return closest_key(value, _named_keys(session, Substance, Substance.slug))


def country_suggestion(session: Session, value: str) -> str | None:
    """The ISO alpha-3 code of the country `value` most likely names (`Kazakhstan`: KAZ)."""
    return closest_key(value, _named_keys(session, Country, Country.iso3))
