from datetime import date

from pydantic import Field

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


class TotalLine(Schema):
    """One sum. The group keys asked for are present; the others are absent."""

    year: int | None = Field(None, description="With `group_by=year`: a single calendar year.")
    period_start: date | None = Field(None, description="In `multi_year`: the period summed.")
    period_end: date | None = None
    years: list[int] | None = Field(None, description="In `multi_year`: the years it spans.")
    substance: SubstanceRef | None = None
    unspecified: bool | None = Field(
        None,
        description="The part of parent reports that none of their breakdown rows names.",
    )
    country: CountryRef | None = None
    operation: OperationRef | None = None
    stage: StageRef | None = None
    unit_kind: str
    amount: int = Field(description="Exact, in `unit` (grams for mass).")
    unit: str
    quantity_grams: int | None
    quantity_kg: float | None
    qualifier: str = Field(description="`at_least` if any part is; `about` if any part is.")
    estimated: bool = Field(description="Holds a pro-rata share of a multi-year report.")
    reports: int = Field(description="How many reports contribute.")


class Allocation(Schema):
    method: str
    basis: str


class TotalsWarning(Schema):
    kind: str
    report_ids: list[int]
    message: str


class SeizureTotals(Schema):
    group_by: list[str]
    groups: list[TotalLine]
    multi_year: list[TotalLine] = Field(
        description="With `year` among the keys: reports spanning several years, unsplit."
    )
    allocation: Allocation | None
    warnings: list[TotalsWarning]
