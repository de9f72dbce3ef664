from datetime import date

from app.schemas.common import Cited, FuzzyDate, MaybeCited, Schema


class SourceOut(Schema):
    id: int
    slug: str
    title: str
    publisher: str
    published: FuzzyDate | None
    language: str
    url: str | None
    reference: str | None
    locator_scheme: str


class CountryOut(MaybeCited):
    id: int
    iso3: str
    name_en: str
    name_ru: str
    aliases_en: list[str]
    aliases_ru: list[str]


class OrganizationOut(MaybeCited):
    id: int
    slug: str
    kind: str
    acronym_en: str | None
    acronym_ru: str | None
    name_en: str
    name_ru: str
    aliases_en: list[str]
    aliases_ru: list[str]
    country: str | None
    parent: str | None
    description: str | None


class SubstanceOut(Schema):
    id: int
    slug: str
    parent: str | None
    name_en: str
    name_ru: str
    aliases_en: list[str]
    aliases_ru: list[str]
    description: str | None


class SubstanceNode(SubstanceOut):
    """A substance with the substances under it; a total for a node includes them all."""

    children: list["SubstanceNode"]


class MemberStateOut(Cited):
    iso3: str
    name_en: str
    name_ru: str
    organization: str
    status: str
    valid_from: date
    valid_to: date | None
