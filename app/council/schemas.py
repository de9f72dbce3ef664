from datetime import date

from app.operations.schemas import ParticipationOut
from app.schemas.common import Cited, FuzzyDate


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


class MeetingOut(Cited):
    id: int
    body: str
    number: int | None
    held: FuzzyDate | None
    place: str | None
    country: str | None
    summary: str | None


class DocumentOut(Cited):
    id: int
    slug: str
    kind: str
    title_en: str
    title_ru: str | None
    issuer: str | None
    adopted: FuzzyDate | None
    period_start_year: int | None
    period_end_year: int | None
    status: str
    parent: str | None
    body: str | None
    body_relation: str | None
    summary: str | None


class EventOut(Cited):
    id: int
    slug: str
    kind: str
    name_en: str
    name_ru: str | None
    start_on: date
    end_on: date | None
    date_precision: str
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
    qualifier: str
    per: str | None
    as_reported: str
    as_of: FuzzyDate
    description: str | None
