from datetime import date
from typing import Annotated, Any

from pydantic import ConfigDict, Field, field_validator

from app.http.bodies import (
    Citation,
    Iso3,
    Locator,
    LongText,
    Number,
    PartyEntry,
    PartyIn,
    SlugText,
    Text,
    WholeNumber,
    WriteIn,
    not_null,
)
from app.http.schemas import Cited, FuzzyDate, IsoDate, Schema
from app.models.enums import (
    AssessorKind,
    ClaimField,
    OperationKind,
    PartyKind,
    Qualifier,
    Regularity,
    ResultMetric,
    Role,
)
from app.reference.schemas import SourceCreate
from app.rules import ends_after
from app.seizures.schemas import (
    MAX_PART_DEPTH,
    MAX_PARTS,
    MAX_REPORTS,
    SeizureIn,
    SeizureOut,
    at_most_max_reports,
)


class PartyOut(Schema):
    """A country (iso3), an organization (slug), or the CSTO member states as a group."""

    kind: PartyKind
    iso3: str | None = None
    slug: str | None = None
    name_en: str
    name_ru: str


class ParticipationOut(Cited):
    id: int
    party: PartyOut
    party_detail: str | None
    role: Role
    regularity: Regularity | None


class StatusOut(Cited):
    status_en: str
    status_ru: str | None
    valid_from: FuzzyDate | None
    decision: str | None
    as_of: FuzzyDate | None = Field(
        description="The date of the source that gives the status (its publication): the "
        "status is what the source said then, not a fact about today. Null when the "
        "source is undated."
    )


class ObjectiveOut(Cited):
    position: int
    summary: str


class AssessmentOut(Cited):
    assessor_kind: AssessorKind
    organization: str | None
    channel: str | None
    verdict: str


class FigureRef(Cited):
    slug: str
    metric: str
    value: int
    unit: str
    qualifier: Qualifier
    per: str | None
    as_reported: str
    as_of: FuzzyDate


class HeadquartersOut(Schema):
    city_en: str | None
    city_ru: str | None
    country: str | None = Field(description="ISO 3166-1 alpha-3")


class StageOut(Cited):
    id: int
    operation: str
    slug: str | None = Field(description="The seed files' key for the stage, if it has one.")
    number: int | None = Field(
        description="Only where a source states it; stages without one are never given one."
    )
    name: str | None = Field(
        description="Deprecated: `name_en`, or `name_ru` where the stage has no English name."
    )
    name_en: str | None
    name_ru: str | None
    start_on: date | None
    end_on: date | None
    lead_country: str | None
    headquarters: HeadquartersOut | None = Field(
        description="Where the coordination headquarters sat, as the sources name it."
    )
    place: str | None = Field(description="Where an exercise was held, as the source names it.")
    description: str | None


class ClaimOut(Cited):
    """One source's version of a fact; `used` marks the one the record uses (the rule on
    /methods picks it among those that state a full value)."""

    field: ClaimField
    value: str | None = Field(
        description="What it comes to (an ISO date); null where the "
        "source's words state no full value, such as a day with no year."
    )
    as_reported: str
    note: str | None
    note_ru: str | None = Field(description="The note in Russian.")
    used: bool


class ResultVersionOut(Cited):
    id: int
    value: int
    qualifier: Qualifier
    as_reported: str
    note: str | None
    note_ru: str | None = Field(description="The note in Russian.")


class StageResultOut(ResultVersionOut):
    """A result other than drugs (firearms, crimes detected...). `alternatives` are other
    sources' versions of the same figure: shown, never the one used."""

    metric: ResultMetric
    unit: str
    scope: str | None
    country: str | None
    alternatives: list[ResultVersionOut]


class StageDetail(StageOut):
    participants: list[ParticipationOut] = Field(description="Every role but observer.")
    observers: list[ParticipationOut]
    seizures: list[SeizureOut] = Field(
        description="Every version of every figure: a report with `alternative_to` is another "
        "source's version of that report's figure and is never added to totals."
    )
    results: list[StageResultOut]
    claims: list[ClaimOut] = Field(
        description="Every source's version of the stage's dates, headquarters, place, chair."
    )
    sources_disagree: bool = Field(
        description="Whether sources give different versions of any of its figures or dates."
    )


class OperationOut(Cited):
    id: int
    slug: str
    kind: OperationKind
    name_en: str
    name_ru: str
    aliases_en: list[str]
    aliases_ru: list[str]
    body: str | None
    description: str | None


class OperationDetail(OperationOut):
    statuses: list[StatusOut]
    stages: list[StageOut]
    participants: list[ParticipationOut] = Field(
        description="Participants, organizers and hosts; each says its role."
    )
    observers: list[ParticipationOut]
    objectives: list[ObjectiveOut]
    assessments: list[AssessmentOut]
    reported_figures: list[FigureRef]


# -- request bodies of the staff writes --------------------------------------------------


# Posts as it is on the seeded registry (the docs' "Try it out" and a test do so). Its number
# is taken by no seeded stage, by none of demo-data's (1001 on) and not by the README's
# walk-through (31), which then still posts after a try in the docs. Its figures are made
# up, so it cites the seeded example source (seeds/sources.yaml), which every page citing it
# labels as an example: an invented figure never stands under a real source.
EXAMPLE_SOURCE = "example-source"
STAGE_EXAMPLE: dict[str, Any] = {
    "number": 90,
    "name": "Example stage (made up)",
    "start_on": "2021-05-10",
    "end_on": "2021-05-21",
    "lead_country": "KAZ",
    "source": EXAMPLE_SOURCE,
    "locator": "example",
    "participants": [
        "KAZ",
        "KGZ",
        "RUS",
        {"party": "TJK", "detail": "drug control agency"},
    ],
    "observers": [{"party": "unodc", "detail": "representatives"}, "IRN"],
    "seizures": [
        {
            "substance": "controlled-substances",
            "quantity": "more than 2 t 500 kg",
            "country": "KAZ",
            "cases": 120,
            "parts": [
                {"substance": "hashish", "quantity": "1 t 200 kg"},
                {"substance": "heroin", "quantity": {"amount": 85.5, "unit": "kg"}},
            ],
        }
    ],
}


class HeadquartersIn(WriteIn):
    city_en: Text | None = None
    city_ru: Text | None = None
    country: Iso3 | None = None


class ResultIn(WriteIn):
    """A result other than drugs, as the source words it ("115 единиц огнестрельного
    оружия", "more than 9 thousand criminal cases"): read in the source's language."""

    metric: ResultMetric
    as_reported: Text
    unit: Annotated[str, Field(max_length=40)] = "items"
    scope: Text | None = Field(None, description="The part of the stage it covers (a region).")
    country: Iso3 | None = None
    source: SlugText | None = Field(None, description="Overrides the stage's source.")
    locator: Locator | None = Field(None, description="Overrides the stage's locator.")
    version_of: Annotated[int, WholeNumber(ge=0, le=199)] | None = Field(
        None,
        description="The index in `results` of the figure this one is another source's "
        "version of. The rule on /methods decides which of the two the record uses.",
    )


class SeizureVersionIn(WriteIn):
    """Another source's version of one of the stage's seizure figures."""

    of: Annotated[int, WholeNumber(ge=0, le=MAX_REPORTS)] = Field(
        description="The index in `seizures` of the figure (a report, not a part)."
    )
    quantity: Text = Field(description="As the other source words it.")
    source: SlugText
    locator: Locator


class StageCreate(Citation):
    number: Number | None = Field(None, description="Only where a source states it.")
    name: Text | None = Field(None, description="Deprecated: the same as `name_en`.")
    name_en: Text | None = None
    name_ru: Text | None = None
    start_on: IsoDate | None = None
    end_on: IsoDate | None = None
    lead_country: Iso3 | None = None
    headquarters: HeadquartersIn | None = None
    place: Text | None = None
    description: LongText | None = None
    new_source: SourceCreate | None = Field(
        None,
        description="A source to add first (from a news page): URL, title, publisher, date, "
        "language, kind. Name it by its slug in `source` or anywhere below.",
    )
    results: Annotated[list[ResultIn], Field(max_length=200)] = []  # noqa: RUF012
    seizure_versions: Annotated[list[SeizureVersionIn], Field(max_length=200)] = []  # noqa: RUF012
    # Pydantic copies a default for each instance, so a list is safe here (and documented).
    participants: Annotated[list[PartyEntry], Field(max_length=200)] = []  # noqa: RUF012
    observers: Annotated[list[PartyEntry], Field(max_length=200)] = []  # noqa: RUF012
    seizures: Annotated[list[SeizureIn], Field(max_length=MAX_REPORTS)] = Field(
        default_factory=list,
        description=f"The stage's seizure reports, each with its parts (at most {MAX_PARTS} a "
        f"report, nested at most {MAX_PART_DEPTH} levels below it): at most {MAX_REPORTS} "
        "reports in all, parts included. Post more to the stage's `/seizures` afterwards.",
    )

    _at_most_max_reports = field_validator("seizures", mode="before")(at_most_max_reports)

    model_config = ConfigDict(json_schema_extra={"examples": [STAGE_EXAMPLE]})

    _end_on = field_validator("end_on")(ends_after("start_on"))


class StagePatch(WriteIn):
    _required = not_null("source", "locator")

    number: Number | None = None
    name: Text | None = Field(None, description="Deprecated: the same as `name_en`.")
    name_en: Text | None = None
    name_ru: Text | None = None
    start_on: IsoDate | None = None
    end_on: IsoDate | None = None
    lead_country: Iso3 | None = None
    headquarters: HeadquartersIn | None = Field(
        None,
        description="Replaces the headquarters as a whole (a field left out of it is "
        "cleared); null clears it.",
    )
    place: Text | None = None
    description: LongText | None = None
    source: SlugText | None = None
    locator: Locator | None = None


class ParticipationCreate(PartyIn, Citation):
    role: Role


class ParticipationPatch(WriteIn):
    _required = not_null("role", "source", "locator")

    detail: Text | None = None
    regularity: Regularity | None = None
    role: Role | None = None
    source: SlugText | None = None
    locator: Locator | None = None
