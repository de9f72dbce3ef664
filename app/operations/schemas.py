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
    WriteIn,
    not_null,
)
from app.http.schemas import Cited, FuzzyDate, IsoDate, Schema
from app.models.enums import (
    AssessorKind,
    OperationKind,
    PartyKind,
    Qualifier,
    Regularity,
    Role,
)
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


class StageOut(Cited):
    id: int
    operation: str
    number: int
    name: str | None
    start_on: date | None
    end_on: date | None
    lead_country: str | None
    description: str | None


class StageDetail(StageOut):
    participants: list[ParticipationOut] = Field(description="Every role but observer.")
    observers: list[ParticipationOut]
    seizures: list[SeizureOut]


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


class StageCreate(Citation):
    number: Number
    name: Text | None = None
    start_on: IsoDate | None = None
    end_on: IsoDate | None = None
    lead_country: Iso3 | None = None
    description: LongText | None = None
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
    _required = not_null("number", "source", "locator")

    number: Number | None = None
    name: Text | None = None
    start_on: IsoDate | None = None
    end_on: IsoDate | None = None
    lead_country: Iso3 | None = None
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
