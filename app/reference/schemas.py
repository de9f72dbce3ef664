import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

from app.error_words import said
from app.http.bodies import (
    Aliases,
    FuzzyDateIn,
    Iso3,
    Locator,
    LongText,
    SlugText,
    Text,
    WriteIn,
    as_sent,
    not_null,
    trimmed,
)
from app.http.schemas import Cited, FuzzyDate, MaybeCited, Schema
from app.models.enums import MembershipStatus, OrganizationKind, SourceKind

# What gives a reference away as a file path rather than an identifier: a separator, a
# leading `~` or `.`, a drive letter, or a file extension at its end.
_PATH_LIKE = re.compile(r"[/\\]|^[~.]|^[A-Za-z]:|\.[A-Za-z][A-Za-z0-9]{0,4}$")


def refuse_path(reference: str | None) -> str | None:
    """A reference names the archived copy by an identifier; a path would tie the data to
    one checkout of the repository and mean nothing to anyone reading the API."""
    if reference is not None and _PATH_LIKE.search(reference):
        raise ValueError(
            said(
                f"{reference!r} looks like a file path; give the archived copy's identifier "
                "(its document id, e.g. 382a7fa959d6d0c8), or leave reference out",
                f"{reference!r} похоже на путь к файлу; укажите идентификатор архивной копии "
                "(id её документа, например 382a7fa959d6d0c8) или не передавайте reference",
            )
        )
    return reference


class CitationOut(Schema):
    """The source, ready to cite; what is not known (a URL, an access date) is left out."""

    text: str = Field(description="A plain citation: title, publisher, date, access, URL.")
    bibtex: str = Field(description="A BibTeX `@misc` entry keyed by the source's slug.")
    csl_json: dict[str, Any] = Field(
        description="A CSL-JSON item (`id`, `type`, `title`, `publisher`, `issued`, `URL`, "
        "`accessed`, `language`), as citation managers and citeproc read it."
    )


class SourceOut(Schema):
    id: int
    slug: str
    title: str
    publisher: str
    published: FuzzyDate | None
    language: str
    url: str | None
    accessed: date | None = Field(description="When the project last read it at `url`.")
    reference: str | None = Field(
        description="The identifier of the project's archived copy (its document id), "
        "never a file path; null when the project keeps no copy."
    )
    locator_scheme: str
    example: bool = Field(
        False,
        description='True for a source made up for examples (the docs\' "Try it out"): '
        "no fact citing it was ever reported.",
    )
    kind: SourceKind | None = Field(description="Who published it (see /methods).")
    reliability_note: str | None = Field(description="Why a weak source is weak.")
    citation: CitationOut


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
    kind: OrganizationKind
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
    id: int = Field(description="The membership period's id; the list is in id order.")
    iso3: str
    name_en: str
    name_ru: str
    organization: str
    status: MembershipStatus
    valid_from: date
    valid_to: date | None


# -- request bodies of the staff writes --------------------------------------------------


class OrganizationCreate(WriteIn):
    slug: SlugText
    kind: OrganizationKind
    name_en: Text
    name_ru: Text
    acronym_en: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    acronym_ru: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    aliases_en: Aliases = Field(default_factory=list)
    aliases_ru: Aliases = Field(default_factory=list)
    country: Iso3 | None = None
    parent: SlugText | None = None
    description: LongText | None = None
    source: SlugText | None = None
    locator: Locator | None = None


class OrganizationPatch(WriteIn):
    _required = not_null("kind", "name_en", "name_ru", "aliases_en", "aliases_ru")

    kind: OrganizationKind | None = None
    name_en: Text | None = None
    name_ru: Text | None = None
    acronym_en: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    acronym_ru: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    aliases_en: Aliases | None = None
    aliases_ru: Aliases | None = None
    country: Iso3 | None = None
    parent: SlugText | None = None
    description: LongText | None = None


class SourceCreate(WriteIn):
    slug: SlugText
    title: Annotated[str, trimmed(500), as_sent(500)]
    publisher: Text
    published: FuzzyDateIn | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
    url: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=1000)] | None = None
    reference: Annotated[Text | None, AfterValidator(refuse_path)] = None
    locator_scheme: LongText
    kind: SourceKind | None = Field(
        None, description="Who published it; ranks versions that disagree (see /methods)."
    )
    reliability_note: LongText | None = Field(
        None, description="Why the source is weak (a repost, a rewrite), where it is."
    )
