"""The shape of a seed file, validated before anything touches the database."""

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from app.http.schemas import has_a_letter, refuse_nul
from app.models.enums import (
    AssessorKind,
    BodyRelation,
    ClaimField,
    DatePrecision,
    DocumentKind,
    DocumentStatus,
    MembershipStatus,
    OperationKind,
    OrganizationKind,
    Qualifier,
    Regularity,
    ResultMetric,
    Role,
    SourceKind,
    StatementKind,
)
from app.reference.schemas import refuse_path
from app.rules import ends_after, party_kind, period_problem

Slug = Annotated[
    str,
    Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=100),
    AfterValidator(has_a_letter),
]
Iso3 = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class Citation(BaseModel):
    source: str
    locator: str


def _parse_citation(value: Any) -> Any:
    if isinstance(value, str):
        source, _, locator = value.strip().partition(" ")
        if not source or not locator.strip():
            raise ValueError("a citation is '<source slug> <locator>', e.g. 'my-source ¶3'")
        return {"source": source, "locator": locator.strip()}
    return value


Cite = Annotated[Citation, BeforeValidator(_parse_citation)]


class PartialDate(BaseModel):
    """A date known to the day, the month or the year: 2008-09-15, 2008-09, 2008."""

    value: date
    precision: DatePrecision


def _parse_partial_date(value: Any) -> Any:
    if isinstance(value, date):
        return {"value": value, "precision": DatePrecision.DAY}
    text = str(value)
    if match := re.fullmatch(r"(\d{4})", text):
        return {"value": date(int(match[1]), 1, 1), "precision": DatePrecision.YEAR}
    if match := re.fullmatch(r"(\d{4})-(\d{2})", text):
        return {"value": date(int(match[1]), int(match[2]), 1), "precision": DatePrecision.MONTH}
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return {"value": date.fromisoformat(text), "precision": DatePrecision.DAY}
    raise ValueError(f"{text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")


FuzzyDate = Annotated[PartialDate, BeforeValidator(_parse_partial_date)]


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    _no_nul = field_validator("*", mode="before")(refuse_nul)


class SourceEntry(Entry):
    slug: Slug
    title: str
    publisher: str
    publisher_ru: str | None = None
    published: FuzzyDate | None = None
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")]
    url: Annotated[str, Field(pattern=r"^https?://")] | None = None
    accessed: date | None = None
    # The archived copy's identifier (a document id); a path is refused, naming the entry.
    reference: Annotated[str, AfterValidator(refuse_path)] | None = None
    locator_scheme: str
    locator_scheme_ru: str | None = None
    # A source made up for examples: every page that cites it says so.
    example: bool = False
    kind: SourceKind | None = None
    reliability_note: str | None = None

    @model_validator(mode="after")
    def _weak_says_why(self) -> "SourceEntry":
        if self.kind == SourceKind.WEAK and not self.reliability_note:
            raise ValueError("a weak source says why in reliability_note")
        return self

    @model_validator(mode="after")
    def _accessed_at_a_url(self) -> "SourceEntry":
        if self.accessed is not None and self.url is None:
            raise ValueError("accessed is the day the source was read at its url: give url")
        return self


class NamedEntry(Entry):
    name_en: str
    name_ru: str
    aliases_en: list[str] = []
    aliases_ru: list[str] = []


class CountryEntry(NamedEntry):
    iso3: Iso3
    cite: Cite | None = None


class OrganizationEntry(NamedEntry):
    slug: Slug
    kind: OrganizationKind
    acronym_en: str | None = None
    acronym_ru: str | None = None
    country: Iso3 | None = None
    parent: Slug | None = None
    description: str | None = None
    cite: Cite | None = None


class MembershipEntry(Entry):
    country: Iso3
    organization: Slug
    status: MembershipStatus
    valid_from: date
    valid_to: date | None = None
    cite: Cite

    @model_validator(mode="after")
    def _ordered(self) -> "MembershipEntry":
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class SubstanceEntry(NamedEntry):
    slug: Slug
    parent: Slug | None = None
    description: str | None = None


class BodyEntry(Entry):
    slug: Slug
    name_en: str
    name_ru: str
    acronym_en: str | None = None
    acronym_ru: str | None = None
    parent: Slug | None = None
    organization: Slug | None = None
    established_on: date | None = None
    purpose: str | None = None
    cite: Cite


class DocumentEntry(Entry):
    slug: Slug
    kind: DocumentKind
    title_en: str
    title_ru: str | None = None
    issuer: Slug | None = None
    adopted: FuzzyDate | None = None
    period: tuple[int | None, int | None] | None = None
    status: DocumentStatus
    parent: Slug | None = None
    body: Slug | None = None
    body_relation: BodyRelation | None = None
    summary: str | None = None
    summary_ru: str | None = None
    cite: Cite

    @model_validator(mode="after")
    def _consistent(self) -> "DocumentEntry":
        if (self.body is None) != (self.body_relation is None):
            raise ValueError("body and body_relation go together")
        if (problem := period_problem(*(self.period or (None, None)))) is not None:
            raise ValueError(problem)
        return self


class ParticipationEntry(Entry):
    country: Iso3 | None = None
    organization: Slug | None = None
    member_states: Literal[True] | None = None
    party_detail: str | None = None
    party_detail_ru: str | None = None
    role: Role
    regularity: Regularity | None = None
    cite: Cite

    @model_validator(mode="after")
    def _one_party(self) -> "ParticipationEntry":
        party_kind(
            member_states=bool(self.member_states),
            country=self.country,
            organization=self.organization,
        )
        return self


class ActivityEntry(Entry):
    slug: Slug
    body: Slug
    name_en: str
    name_ru: str | None = None
    description: str | None = None
    description_ru: str | None = None
    cite: Cite
    participations: list[ParticipationEntry] = []


class EventEntry(Entry):
    slug: Slug
    kind: str
    name_en: str
    name_ru: str | None = None
    start_on: date
    end_on: date | None = None
    date_precision: DatePrecision
    place: str | None = None
    country: Iso3 | None = None
    occasion: str | None = None
    occasion_organization: Slug | None = None
    description: str | None = None
    description_ru: str | None = None
    cite: Cite
    participations: list[ParticipationEntry] = []

    _end_on = field_validator("end_on")(ends_after("start_on"))


class StatusEntry(Entry):
    status_en: str
    status_ru: str | None = None
    valid_from: FuzzyDate | None = None
    decision: Slug | None = None
    cite: Cite


class AssessmentEntry(Entry):
    assessor: AssessorKind = AssessorKind.ORGANIZATION
    organization: Slug | None = None
    channel: str | None = None
    verdict: Literal["positive", "negative", "mixed"]
    cite: Cite

    @model_validator(mode="after")
    def _organization_named(self) -> "AssessmentEntry":
        if (self.assessor == AssessorKind.ORGANIZATION) != (self.organization is not None):
            raise ValueError("an organization is named exactly when assessor is 'organization'")
        return self


class ObjectiveEntry(Entry):
    summary: str
    summary_ru: str | None = None
    cite: Cite


class StageEntry(Entry):
    number: Annotated[int, Field(gt=0)]
    name: str | None = None
    start_on: date | None = None
    end_on: date | None = None
    lead_country: Iso3 | None = None
    description: str | None = None
    description_ru: str | None = None
    cite: Cite
    participations: list[ParticipationEntry] = []

    _end_on = field_validator("end_on")(ends_after("start_on"))


class OperationEntry(NamedEntry):
    slug: Slug
    kind: OperationKind
    body: Slug | None = None
    description: str | None = None
    description_ru: str | None = None
    cite: Cite
    statuses: list[StatusEntry] = []
    participations: list[ParticipationEntry] = []
    assessments: list[AssessmentEntry] = []
    objectives: list[ObjectiveEntry] = []
    stages: list[StageEntry] = []


class ReportedFigureEntry(Entry):
    slug: Slug
    metric: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    body: Slug | None = None
    operation: Slug | None = None
    value: Annotated[int, Field(ge=0)]
    unit: str
    qualifier: Qualifier
    per: Literal["year"] | None = None
    as_reported: str
    as_of: FuzzyDate
    description: str | None = None
    description_ru: str | None = None
    cite: Cite

    @model_validator(mode="after")
    def _one_subject(self) -> "ReportedFigureEntry":
        if (self.body is None) == (self.operation is None):
            raise ValueError("name exactly one subject: body or operation")
        return self


class SeizurePartEntry(Entry):
    """A breakdown row; scope (operation, stage, country, period) defaults to the parent's."""

    substance: Slug
    quantity: str
    qualifier: Qualifier | None = None
    period: tuple[date, date] | None = None
    country: Iso3 | None = None
    cases: Annotated[int, Field(ge=0)] | None = None
    cite: Cite
    parts: list["SeizurePartEntry"] = []


class SeizureReportEntry(SeizurePartEntry):
    operation: Slug
    stage: Annotated[int, Field(gt=0)] | None = None
    period: tuple[date, date]
    # A summary over stages (a year's figure): the counted figures of these stages (by
    # slug) whose substance is under this one's are `within` it, never added beside it.
    covers_stages: list[Slug] = []


class SummaryCoverEntry(Entry):
    """`covers_stages` for a summary another file holds (the original document's figure
    for 2017-2019 is in operations.yaml; its stages are in channel/<year>.yaml): the
    operation's top-level figure of this period and substance, of no stage."""

    operation: Slug
    period: tuple[date, date]
    substance: Slug
    covers_stages: Annotated[list[Slug], Field(min_length=1)]


# -- the public record (issue 23) ---------------------------------------------------------


def _as_text(value: Any) -> Any:
    """YAML reads 2018-09-10 as a date and 25 as a number; a claim's value is text."""
    return value.isoformat() if isinstance(value, date) else str(value)


class ClaimEntry(Entry):
    """One source's version of a fact. `value` only where the source's words come to a full
    value (a date with its year); `as_reported` always."""

    field: ClaimField
    value: Annotated[str, BeforeValidator(_as_text)] | None = None
    as_reported: str
    country: Iso3 | None = None  # the headquarters' or place's country
    lang: Literal["en", "ru"] | None = None  # the language of a city's `value`
    # The city's name in the other language: the registry's translation, never the
    # source's words, so that each language's page names the city in its own.
    twin: str | None = None
    note: str | None = None
    note_ru: str | None = None
    cite: Cite

    @model_validator(mode="after")
    def _dates_are_dates(self) -> "ClaimEntry":
        if self.value is not None and self.field in DATE_FIELDS:
            _parse_partial_date(self.value)
        return self

    @model_validator(mode="after")
    def _twins_are_of_named_cities(self) -> "ClaimEntry":
        if self.twin is not None and (self.field != ClaimField.HQ_CITY or not self.lang):
            raise ValueError("`twin` names a headquarters city (with `lang`) in the other language")
        return self


DATE_FIELDS = (ClaimField.START_ON, ClaimField.END_ON, ClaimField.HELD_ON)


class ResultEntry(Entry):
    """A stage's result other than drugs; `as_reported` is read for the value and qualifier
    in the source's language."""

    metric: ResultMetric
    as_reported: str
    unit: str = "items"
    scope: str | None = None
    country: Iso3 | None = None
    note: str | None = None
    note_ru: str | None = None
    cite: Cite


class StageSeizureEntry(Entry):
    """A stage's figure for drugs seized. Figures of one substance, country, scope and
    period (and the same `within`) are versions of one figure: the rule of
    `app.rules.chosen_version` picks the counted one. `within` names the substance of the
    counted figure this one is a part of; `among` the substance of the counted figure that
    holds this one without itemizing it (a country's figure among the stage's total, which
    is itemized by substance): this one is `within` it, and counted only where it is not."""

    substance: Slug
    as_reported: str
    within: Slug | None = None
    among: Slug | None = None
    country: Iso3 | None = None
    scope: str | None = None
    period: tuple[date, date] | None = None
    note: str | None = None
    cite: Cite


class RecordStageEntry(Entry):
    slug: Slug
    operation: Slug
    number: Annotated[int, Field(gt=0)] | None = None
    name_en: str | None = None
    name_ru: str | None = None
    place: str | None = None
    description: str | None = None
    description_ru: str | None = None
    cite: Cite
    claims: list[ClaimEntry] = []
    participations: list[ParticipationEntry] = []
    results: list[ResultEntry] = []
    seizures: list[StageSeizureEntry] = []

    @model_validator(mode="after")
    def _named(self) -> "RecordStageEntry":
        if not (self.name_en or self.name_ru):
            raise ValueError("a stage has a name: name_en, name_ru or both")
        return self


class DecisionEntry(Entry):
    summary: str
    summary_ru: str | None = None
    cite: Cite


class ChairEntry(Entry):
    name: str
    cite: Cite


class MeetingEntry(Entry):
    slug: Slug
    body: Slug
    number: Annotated[int, Field(gt=0)] | None = None
    place: str | None = None
    country: Iso3 | None = None
    summary: str | None = None
    summary_ru: str | None = None
    chair: ChairEntry | None = None
    cite: Cite
    claims: list[ClaimEntry] = []
    decisions: list[DecisionEntry] = []


class MembershipStatementEntry(Entry):
    slug: Slug
    country: Iso3
    organization: Slug
    kind: StatementKind
    stated: FuzzyDate | None = None
    as_reported: str
    summary: str | None = None
    note: str | None = None
    cite: Cite


class SeedFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[SourceEntry] = []
    countries: list[CountryEntry] = []
    organizations: list[OrganizationEntry] = []
    memberships: list[MembershipEntry] = []
    substances: list[SubstanceEntry] = []
    bodies: list[BodyEntry] = []
    documents: list[DocumentEntry] = []
    activities: list[ActivityEntry] = []
    events: list[EventEntry] = []
    operations: list[OperationEntry] = []
    reported_figures: list[ReportedFigureEntry] = []
    seizure_reports: list[SeizureReportEntry] = []
    stages: list[RecordStageEntry] = []
    meetings: list[MeetingEntry] = []
    membership_statements: list[MembershipStatementEntry] = []
    summary_covers: list[SummaryCoverEntry] = []
