from datetime import date

from pydantic import Field

from app.schemas.common import Cited, FuzzyDate, Schema
from app.seizures.schemas import SeizureOut


class PartyOut(Schema):
    """A country (iso3), an organization (slug), or the CSTO member states as a group."""

    kind: str
    iso3: str | None = None
    slug: str | None = None
    name_en: str


class ParticipationOut(Cited):
    id: int
    party: PartyOut
    party_detail: str | None
    role: str
    regularity: str | None


class StatusOut(Cited):
    status_en: str
    status_ru: str | None
    valid_from: FuzzyDate | None
    decision: str | None


class ObjectiveOut(Cited):
    position: int
    summary: str


class AssessmentOut(Cited):
    assessor_kind: str
    organization: str | None
    channel: str | None
    verdict: str


class FigureRef(Cited):
    slug: str
    metric: str
    value: int
    unit: str
    qualifier: str
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
    kind: str
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
