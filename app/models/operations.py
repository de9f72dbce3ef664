"""Operations (Channel, Grom), their status history, stages, parties and assessments."""

from datetime import date

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    IDS_NEVER_REUSED,
    Base,
    Cited,
    Named,
    exactly_one_set,
    one_of,
    precision_goes_with,
)
from app.models.enums import (
    AssessorKind,
    ClaimField,
    DatePrecision,
    OperationKind,
    PartyKind,
    Qualifier,
    Regularity,
    ResultMetric,
    Role,
)


class Operation(Named, Cited, Base):
    __tablename__ = "operations"
    __table_args__ = (one_of("kind", OperationKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    body_id: Mapped[int | None] = mapped_column(
        ForeignKey("bodies.id", ondelete="RESTRICT"),
        comment="The body that coordinates the operation",
    )
    description: Mapped[str | None] = mapped_column(Text)
    description_ru: Mapped[str | None] = mapped_column(Text)

    stages: Mapped[list["Stage"]] = relationship(
        back_populates="operation", lazy="raise", order_by="[Stage.start_on, Stage.id]"
    )


class OperationStatus(Cited, Base):
    """One entry of an operation's status history."""

    __tablename__ = "operation_statuses"
    __table_args__ = (
        UniqueConstraint("operation_id", "status_en"),
        one_of("valid_from_precision", DatePrecision),
        precision_goes_with("valid_from", "valid_from_precision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    status_en: Mapped[str] = mapped_column(String(300))
    status_ru: Mapped[str | None] = mapped_column(String(300))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_from_precision: Mapped[str | None] = mapped_column(String(8))
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="RESTRICT"),
        comment="The decision that conferred the status",
    )


class ExerciseObjective(Cited, Base):
    """What a tactical exercise trains."""

    __tablename__ = "exercise_objectives"
    __table_args__ = (
        UniqueConstraint("operation_id", "position"),
        CheckConstraint("position > 0", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(500))
    summary_ru: Mapped[str | None] = mapped_column(String(500))


class Stage(Cited, Base):
    """A stage of an operation (a Channel stage, a Grom or Kobalt exercise).

    `number` is set only where a source states it (unique per operation then); stages sort
    by date, then id. `start_on`, `end_on` and the headquarters are the values the rule of
    `app.rules.source_rank` picks among the versions in `claims`, every one of them cited.
    `slug` is the seed files' key for a stage (a number cannot be, where there is none).
    """

    __tablename__ = "stages"
    __table_args__ = (
        UniqueConstraint("operation_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("end_on IS NULL OR end_on >= start_on", name="period_ordered"),
        UniqueConstraint("slug"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operations.id", ondelete="RESTRICT"))
    slug: Mapped[str | None] = mapped_column(String(100))
    number: Mapped[int | None] = mapped_column(Integer)
    name_en: Mapped[str | None] = mapped_column(String(300))
    name_ru: Mapped[str | None] = mapped_column(String(300))
    start_on: Mapped[date | None] = mapped_column(Date, index=True)
    end_on: Mapped[date | None] = mapped_column(Date)
    lead_country_id: Mapped[int | None] = mapped_column(
        ForeignKey("countries.id", ondelete="RESTRICT")
    )
    hq_city_en: Mapped[str | None] = mapped_column(
        String(200), comment="Where the coordination headquarters sat, in English"
    )
    hq_city_ru: Mapped[str | None] = mapped_column(String(200))
    hq_country_id: Mapped[int | None] = mapped_column(
        ForeignKey("countries.id", ondelete="RESTRICT")
    )
    place: Mapped[str | None] = mapped_column(
        String(300), comment="Where an exercise was held, as the source names it"
    )
    description: Mapped[str | None] = mapped_column(Text)
    description_ru: Mapped[str | None] = mapped_column(Text)

    operation: Mapped[Operation] = relationship(back_populates="stages", lazy="raise")


class Participation(Cited, Base):
    """A party taking part in an operation, a stage, an event or an activity, in one role."""

    __tablename__ = "participations"
    __table_args__ = (
        one_of("role", Role),
        one_of("party_kind", PartyKind),
        one_of("regularity", Regularity),
        exactly_one_set("one_target", "operation_id", "stage_id", "event_id", "activity_id"),
        CheckConstraint(
            "(party_kind = 'country' AND country_id IS NOT NULL AND organization_id IS NULL)"
            " OR (party_kind = 'organization' AND organization_id IS NOT NULL"
            " AND country_id IS NULL)"
            " OR (party_kind = 'member_states' AND country_id IS NULL"
            " AND organization_id IS NULL)",
            name="party_matches_kind",
        ),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int | None] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    stage_id: Mapped[int | None] = mapped_column(
        ForeignKey("stages.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    party_kind: Mapped[str] = mapped_column(String(16))
    country_id: Mapped[int | None] = mapped_column(
        ForeignKey("countries.id", ondelete="RESTRICT"), index=True
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    party_detail: Mapped[str | None] = mapped_column(
        String(300), comment="Which of the party's bodies take part, as the source puts it"
    )
    party_detail_ru: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16))
    regularity: Mapped[str | None] = mapped_column(String(16))


class Assessment(Cited, Base):
    """Who the source says assessed an operation's results, and how."""

    __tablename__ = "assessments"
    __table_args__ = (
        one_of("assessor_kind", AssessorKind),
        CheckConstraint(
            "(assessor_kind = 'organization') = (organization_id IS NOT NULL)",
            name="organization_matches_kind",
        ),
        CheckConstraint("verdict IN ('positive', 'negative', 'mixed')", name="verdict_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), index=True
    )
    assessor_kind: Mapped[str] = mapped_column(String(24))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    channel: Mapped[str | None] = mapped_column(
        String(200), comment="Where the assessment was expressed (official materials)"
    )
    verdict: Mapped[str] = mapped_column(String(10))


class StageResult(Cited, Base):
    """A stage's result other than drugs seized: firearms, crimes detected, officers
    involved... with its qualifier and the phrase the source used.

    A table of its own rather than `reported_figures` with a stage: a reported figure needs
    a unique slug, an `as_of` date and exactly one of body or operation, none of which a
    stage's result has; a result needs a `scope` (a region's share of a stage) and
    `alternative_to`, the other version of the same figure from another source, which a
    count of its own (and not a total's part) must never be added to.
    """

    __tablename__ = "stage_results"
    __table_args__ = (
        one_of("metric", ResultMetric),
        one_of("qualifier", Qualifier),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("alternative_to_id <> id", name="not_own_alternative"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(24))
    value: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(40), comment="items, persons, RUB, USD...")
    qualifier: Mapped[str] = mapped_column(String(10))
    as_reported: Mapped[str] = mapped_column(String(300))
    scope: Mapped[str | None] = mapped_column(
        String(200), comment="The part of the stage the figure covers (a region), if not all"
    )
    country_id: Mapped[int | None] = mapped_column(ForeignKey("countries.id", ondelete="RESTRICT"))
    alternative_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("stage_results.id", ondelete="CASCADE"),
        index=True,
        comment="Another source's version of the result this row names; not the one used",
    )
    note: Mapped[str | None] = mapped_column(Text)
    note_ru: Mapped[str | None] = mapped_column(Text)


class Claim(Cited, Base):
    """One source's version of a stage's or a meeting's fact (a date, the headquarters,
    the chair): every version is kept, and the row's own column holds the one the rule
    picked. `value` is what the version comes to (an ISO date for dates), or None where the
    source's words state no full value (a day with no year)."""

    __tablename__ = "claims"
    __table_args__ = (
        one_of("field", ClaimField),
        exactly_one_set("one_subject", "stage_id", "meeting_id"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int | None] = mapped_column(
        ForeignKey("stages.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(String(300))
    as_reported: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    note_ru: Mapped[str | None] = mapped_column(Text)
