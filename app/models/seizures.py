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
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Cited, one_of
from app.models.enums import Qualifier, UnitKind


class SeizureReport(Cited, Base):
    """A quantity seized over a period, as a source reports it.

    `amount` is exact and in the base unit of `unit_kind`: grams for mass, millilitres
    for volume, items for counts. A report with a parent is a breakdown: it is part of
    the parent's quantity ("including ..."), never in addition to it.
    """

    __tablename__ = "seizure_reports"
    __table_args__ = (
        one_of("unit_kind", UnitKind),
        one_of("qualifier", Qualifier),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("cases IS NULL OR cases >= 0", name="cases_not_negative"),
        CheckConstraint("parent_id <> id", name="not_own_parent"),
        Index("ix_seizure_reports_period", "period_start", "period_end"),
        Index("ix_seizure_reports_operation_period", "operation_id", "period_start"),
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
    outside_stage: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=false(),
        comment="Staff stated that the period reaches outside the stage's dates",
    )
