from datetime import date

from app.schemas.common import Cited, Schema


class OperationRef(Schema):
    id: int
    slug: str
    name_en: str


class StageRef(Schema):
    id: int
    number: int


class CountryRef(Schema):
    iso3: str
    name_en: str


class SubstanceRef(Schema):
    slug: str
    name_en: str
    name_ru: str


class SeizureOut(Cited):
    """A seizure report. `years` lists every calendar year its period touches: a 2017-2019
    figure is the three years' together, never any one year's own."""

    id: int
    operation: OperationRef
    stage: StageRef | None
    country: CountryRef | None
    period_start: date
    period_end: date
    years: list[int]
    substance: SubstanceRef
    unit_kind: str
    amount: int
    unit: str
    quantity_grams: int | None
    quantity_kg: float | None
    qualifier: str
    cases: int | None
    as_reported: str
    parent_id: int | None
    outside_stage: bool
