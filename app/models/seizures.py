from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import IDS_NEVER_REUSED, Base, Cited, one_of
from app.models.enums import Qualifier, UnitKind


class SeizureReport(Cited, Base):
    """A quantity seized over a period, as a source reports it.

    `amount` is exact and in the base unit of `unit_kind`: grams for mass, millilitres
    for volume, items for counts. A report with a parent is a breakdown: it is part of
    the parent's quantity ("including ..."), never in addition to it. A report with
    `alternative_to` is another source's version of that report's figure: it is kept and
    shown, never added (the rule of `app.rules.source_rank` picked the other one).
    A report `within` another is among that broader figure's seizures without being one
    of its breakdown rows (a stage's figure within a year's summary that is itemized by
    substance): totals count the broader figure where it answers the question, and this
    one only where it does not (`seizures.totals`). Every report of a breakdown is within
    what its top report is within.
    """

    __tablename__ = "seizure_reports"
    __table_args__ = (
        one_of("unit_kind", UnitKind),
        one_of("qualifier", Qualifier),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("cases IS NULL OR cases >= 0", name="cases_not_negative"),
        CheckConstraint("parent_id <> id", name="not_own_parent"),
        CheckConstraint("alternative_to_id <> id", name="not_own_alternative"),
        CheckConstraint("within_id <> id", name="not_within_itself"),
        Index("ix_seizure_reports_period", "period_start", "period_end"),
        Index("ix_seizure_reports_operation_period", "operation_id", "period_start"),
        # Finds the reports a new one may overlap (services.summaries).
        Index("ix_seizure_reports_overlap", "operation_id", "substance_id", "period_end"),
        Index(
            "ix_seizure_reports_stage_overlap",
            "stage_id",
            "operation_id",
            "substance_id",
            "period_end",
        ),
        # Whether a stage holds another source's version of a report (its read says its
        # sources disagree): a look at the few versions, not at each of its reports.
        Index(
            "ix_seizure_reports_versions_by_stage",
            "stage_id",
            postgresql_where=text("alternative_to_id IS NOT NULL"),
            sqlite_where=text("alternative_to_id IS NOT NULL"),
        ),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id", ondelete="RESTRICT"))
    stage_id: Mapped[int | None] = mapped_column(
        ForeignKey("stages.id", ondelete="RESTRICT"), index=True
    )
    country_id: Mapped[int | None] = mapped_column(
        ForeignKey("countries.id", ondelete="RESTRICT"), index=True
    )
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    substance_id: Mapped[int] = mapped_column(
        ForeignKey("substances.id", ondelete="RESTRICT"), index=True
    )
    unit_kind: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(BigInteger)
    qualifier: Mapped[str] = mapped_column(String(10))
    cases: Mapped[int | None] = mapped_column(Integer)
    as_reported: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("seizure_reports.id", ondelete="RESTRICT"), index=True
    )
    alternative_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("seizure_reports.id", ondelete="CASCADE"),
        index=True,
        comment="The counted report this one is another version of; never added to totals",
    )
    within_id: Mapped[int | None] = mapped_column(
        ForeignKey("seizure_reports.id", ondelete="RESTRICT"),
        index=True,
        comment="The broader figure (a summary) whose seizures include this report's",
    )
    scope: Mapped[str | None] = mapped_column(
        String(200), comment="The part of the country the figure covers (a region), if not all"
    )
    outside_stage: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=false(),
        comment="Staff stated that the period reaches outside the stage's dates",
    )


class _SumColumns:
    """A running sum of own quantities (see `services.totals`) per combination of keys.

    Kept current by `services.summaries` in the same transaction as every change to
    `seizure_reports`, so totals read a few thousand rows instead of every report. A report
    within one calendar year is stored under that whole year (`multi_year` false); one
    spanning years keeps its own period. Absent stage or country is 0, so that the keys can
    be unique.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(Integer)
    locator: Mapped[str] = mapped_column(String(64))
    substance_id: Mapped[int] = mapped_column(Integer)
    unspecified: Mapped[bool] = mapped_column(Boolean)
    unit_kind: Mapped[str] = mapped_column(String(8))
    stated_qualifier: Mapped[str] = mapped_column(String(10))
    qualifier: Mapped[str] = mapped_column(String(10))
    multi_year: Mapped[bool] = mapped_column(Boolean)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    reports: Mapped[int] = mapped_column(Integer)
    # The broader figure the summed reports are within (0: none): totals leave these sums
    # out where that figure is counted.
    covered_by: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# Where the reports come from is a key too, so that a total's lines cite their sources
# without reading the reports (a stage's reports share one locator, so few rows are added).
SUM_KEYS = (
    "source_id",
    "locator",
    "substance_id",
    "unspecified",
    "unit_kind",
    "stated_qualifier",
    "qualifier",
    "multi_year",
    "period_start",
    "period_end",
    "covered_by",
)
DETAIL_KEYS = ("operation_id", "stage_key", "country_key", *SUM_KEYS)
COARSE_FROM = len(DETAIL_KEYS) - len(SUM_KEYS)  # where a detail key's coarse key starts


class SeizureSum(_SumColumns, Base):
    """Sums by every key a total can filter or group on."""

    __tablename__ = "seizure_sums"
    __table_args__ = (UniqueConstraint(*DETAIL_KEYS, name="uq_seizure_sums_keys"),)

    operation_id: Mapped[int] = mapped_column(Integer)
    stage_key: Mapped[int] = mapped_column(Integer)
    country_key: Mapped[int] = mapped_column(Integer)


class SeizureSumBySubstance(_SumColumns, Base):
    """The same sums without operation, stage and country: small enough that a registry-wide
    total by year and substance reads it in a few milliseconds."""

    __tablename__ = "seizure_sums_by_substance"
    __table_args__ = (UniqueConstraint(*SUM_KEYS, name="uq_seizure_sums_by_substance_keys"),)


class SeizureOverlapMember(Base):
    """A report that may describe the same seizures as at least one other report without
    being linked to it (see `seizures.totals.possible_double_counts`), kept current like
    the sums. The pairs themselves are found among these reports when a warning is read:
    stored, they grew with the square of a stage's reports (a post of 1,000 reports of one
    substance and period wrote 499,500 pair rows); one row per report grows linearly."""

    __tablename__ = "seizure_overlap_members"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("seizure_reports.id", ondelete="CASCADE"), primary_key=True
    )


class SeizureReportYear(Base):
    """Each calendar year a report's period touches, kept current like the sums: the index
    that answers `year=Y` in report order without reading the years around it."""

    __tablename__ = "seizure_report_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("seizure_reports.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class SeizureListItem(Base):
    """A report as the year list writes it, in JSON pieces, under each calendar year its
    period touches, kept current like the sums: a page of a year is one range of this
    table's key, read without joining the reports, the names or the report's parts
    (app/seizures/list_items.py says how the pieces fit together). What depends on the
    year asked (inside the window, left out of it) and the names of the operation, stage,
    country, substance and source are not here: they are added as the page is read."""

    __tablename__ = "seizure_list_items"
    # A stage's reports, in id order: the stage's read (`list_items.stage_items`).
    __table_args__ = (Index("ix_seizure_list_items_stage_id", "stage_id", "report_id"),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("seizure_reports.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # The report's own, as the page needs them: the names it adds, and what `left_out`
    # and the window compare.
    source_id: Mapped[int] = mapped_column(Integer)
    operation_id: Mapped[int] = mapped_column(Integer)
    stage_id: Mapped[int | None] = mapped_column(Integer)
    country_id: Mapped[int | None] = mapped_column(Integer)
    substance_id: Mapped[int] = mapped_column(Integer)
    within_id: Mapped[int | None] = mapped_column(Integer)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    # What the report adds to a total that counts it: its amount less its parts' (nothing
    # for another source's version of a counted report).
    adds: Mapped[int] = mapped_column(BigInteger)
    locator_json: Mapped[str] = mapped_column(Text)  # `"locator":...`
    period_json: Mapped[str] = mapped_column(Text)  # `"period_start":...,"years":[...]`
    figure_json: Mapped[str] = mapped_column(Text)  # `"unit_kind":...` to `"within":...`
