from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator

from app.error_words import said
from app.http.bodies import (
    Citation,
    FuzzyDateIn,
    Iso3,
    Locator,
    LongText,
    Number,
    PartyEntry,
    SlugText,
    Text,
    WholeNumber,
    WriteIn,
    Year,
    not_null,
)
from app.http.schemas import Cited, FuzzyDate, IsoDate, Schema, SourceRef
from app.models.enums import (
    BodyRelation,
    DatePrecision,
    DocumentKind,
    DocumentStatus,
    Qualifier,
)
from app.operations.schemas import ClaimOut, ParticipationOut
from app.rules import ends_after


class BodyOut(Cited):
    id: int
    slug: str
    name_en: str
    name_ru: str
    acronym_en: str | None
    acronym_ru: str | None
    parent: str | None
    organization: str | None
    established_on: date | None
    purpose: str | None


class ChairOut(Schema):
    name: str = Field(description="The person's name and role as the source gives them.")
    source: SourceRef


class DecisionOut(Cited):
    position: int
    summary: str = Field(description="What the meeting decided or took up, in our words.")
    summary_ru: str | None = Field(description="The same in Russian.")


class MeetingOut(Cited):
    id: int
    body: str
    slug: str | None
    number: int | None
    held: FuzzyDate | None
    place: str | None
    country: str | None
    summary: str | None
    summary_ru: str | None
    chair: ChairOut | None
    decisions: list[DecisionOut]
    claims: list[ClaimOut] = Field(description="Every source's version of its date.")


class DocumentOut(Cited):
    id: int
    slug: str
    kind: DocumentKind
    title_en: str
    title_ru: str | None
    issuer: str | None
    adopted: FuzzyDate | None
    period_start_year: int | None
    period_end_year: int | None
    status: DocumentStatus
    parent: str | None
    body: str | None
    body_relation: BodyRelation | None
    summary: str | None
    status_as_of: FuzzyDate | None = Field(
        description="The date of the source that gives `status` (its publication): the "
        "status is what the source said then, not a fact about today. Null when the "
        "source is undated."
    )


class EventOut(Cited):
    id: int
    slug: str
    kind: str
    name_en: str
    name_ru: str | None
    start_on: date
    end_on: date | None
    date_precision: DatePrecision
    place: str | None
    country: str | None
    occasion: str | None
    occasion_organization: str | None
    description: str | None
    participations: list[ParticipationOut]


class ActivityOut(Cited):
    id: int
    slug: str
    body: str
    name_en: str
    name_ru: str | None
    description: str | None
    participations: list[ParticipationOut]


class ReportedFigureOut(Cited):
    id: int
    slug: str
    metric: str
    body: str | None
    operation: str | None
    value: int
    unit: str
    qualifier: Qualifier
    per: str | None
    as_reported: str
    as_of: FuzzyDate
    description: str | None


# -- request bodies of the staff writes --------------------------------------------------


class MeetingCreate(Citation):
    body: SlugText = Field(description="Body slug, e.g. `ksopn`.")
    number: Number | None = None
    held: FuzzyDateIn | None = None
    place: Text | None = None
    country: Iso3 | None = None
    summary: LongText | None = None


class MeetingPatch(WriteIn):
    _required = not_null("source", "locator")

    number: Number | None = None
    held: FuzzyDateIn | None = None
    place: Text | None = None
    country: Iso3 | None = None
    summary: LongText | None = None
    source: SlugText | None = None
    locator: Locator | None = None


class EventCreate(Citation):
    slug: SlugText
    kind: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    name_en: Text
    name_ru: Text | None = None
    start_on: IsoDate
    end_on: IsoDate | None = None
    date_precision: DatePrecision = DatePrecision.DAY
    place: Text | None = None
    country: Iso3 | None = None
    occasion: Text | None = None
    occasion_organization: SlugText | None = None
    description: LongText | None = None
    organizers: Annotated[list[PartyEntry], Field(max_length=100)] = Field(default_factory=list)
    participants: Annotated[list[PartyEntry], Field(max_length=100)] = Field(default_factory=list)

    _end_on = field_validator("end_on")(ends_after("start_on"))


class EventPatch(WriteIn):
    _required = not_null("kind", "name_en", "start_on", "date_precision", "source", "locator")

    kind: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    name_en: Text | None = None
    name_ru: Text | None = None
    start_on: IsoDate | None = None
    end_on: IsoDate | None = None
    date_precision: DatePrecision | None = None
    place: Text | None = None
    country: Iso3 | None = None
    occasion: Text | None = None
    description: LongText | None = None
    source: SlugText | None = None
    locator: Locator | None = None


class DocumentCreate(Citation):
    slug: SlugText
    kind: DocumentKind
    title_en: Text
    title_ru: Text | None = None
    issuer: SlugText | None = None
    adopted: FuzzyDateIn | None = None
    period_start_year: Year | None = None
    period_end_year: Year | None = None
    status: DocumentStatus
    summary: LongText | None = None


class DocumentPatch(WriteIn):
    _required = not_null("title_en", "status", "source", "locator")

    title_en: Text | None = None
    title_ru: Text | None = None
    adopted: FuzzyDateIn | None = None
    period_start_year: Year | None = None
    period_end_year: Year | None = None
    status: DocumentStatus | None = None
    summary: LongText | None = None
    source: SlugText | None = None
    locator: Locator | None = None


class FigureCreate(Citation):
    slug: SlugText
    metric: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,60}$")]
    body: SlugText | None = None
    operation: SlugText | None = None
    value: Annotated[int, WholeNumber(ge=0, le=10**15)]
    unit: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    qualifier: Qualifier = Qualifier.EXACT
    per: Annotated[str, StringConstraints(pattern=r"^year$")] | None = None
    as_reported: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    as_of: FuzzyDateIn
    description: LongText | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> "FigureCreate":
        if (self.body is None) == (self.operation is None):
            raise ValueError(
                said(
                    "name exactly one subject: body or operation",
                    "назовите ровно один предмет: орган (body) или операцию (operation)",
                )
            )
        return self


class FigurePatch(WriteIn):
    _required = not_null("value", "unit", "qualifier", "as_reported", "as_of", "source", "locator")

    value: Annotated[int, WholeNumber(ge=0, le=10**15)] | None = None
    unit: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    qualifier: Qualifier | None = None
    as_reported: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    as_of: FuzzyDateIn | None = None
    description: LongText | None = None
    source: SlugText | None = None
    locator: Locator | None = None
