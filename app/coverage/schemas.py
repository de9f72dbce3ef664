"""The coverage answer: what the registry holds of each operation's stages and each body's
meetings, year by year, and what it lacks."""

from datetime import date
from typing import Literal

from pydantic import Field

from app.http.schemas import Cited, FuzzyDate, Schema
from app.models.enums import Qualifier, SourceKind

Gap = Literal["dates", "date", "headquarters", "place", "figures", "chair", "decisions"]


class CoverageItem(Schema):
    """A stage, an exercise or a meeting the registry holds."""

    id: int
    url: str | None = Field(description="Its page, where it has one.")
    number: int | None = Field(description="Only where a source states it.")
    name_en: str | None = None
    name_ru: str | None = None
    start_on: date | None = None
    end_on: date | None = None
    held_on: FuzzyDate | None = Field(default=None, description="A meeting's date.")
    place: str | None = None
    year: int | None = Field(description="The year of its stated date; null where none is.")
    seizure_reports: int = Field(
        default=0, description="Its seizure figures, each counted once (not its other versions)."
    )
    results: int = Field(default=0, description="Its other results (firearms, crimes...).")
    decisions: int = Field(default=0, description="A meeting's recorded decisions.")
    has_figures: bool
    sources: int = Field(description="Distinct sources of everything said of it.")
    gaps: list[Gap] = Field(description="What no source in the registry states of it.")


class CoverageYear(Schema):
    year: int
    items: list[CoverageItem]


class StatedCount(Cited):
    """A count a source states ("thirty stages", 2020), beside what the registry holds."""

    metric: str
    value: int
    qualifier: Qualifier
    as_reported: str
    as_of: FuzzyDate
    publisher: str
    publisher_ru: str | None
    held_by_then: int = Field(description="Items the registry holds dated up to the count's year.")
    undated: int = Field(description="Items the registry holds with no stated year.")


class CoverageGroup(Schema):
    """An operation's stages (or exercises), or a body's meetings."""

    kind: Literal["stages", "exercises", "meetings"]
    slug: str
    name_en: str
    name_ru: str | None
    acronym_en: str | None = Field(default=None, description="A body's short name (KSOPN).")
    acronym_ru: str | None = None
    held: int
    dated: int
    with_figures: int
    stated_counts: list[StatedCount]
    years: list[CoverageYear]
    undated: list[CoverageItem] = Field(description="Items with no stated year.")
    years_without: list[int] = Field(
        description="Years between the first and the last held item for which the registry "
        "holds none: a gap in the record, not a claim that none took place."
    )


class SourceKindCount(Schema):
    kind: SourceKind | None
    count: int


class Coverage(Schema):
    groups: list[CoverageGroup]
    sources_by_kind: list[SourceKindCount]
