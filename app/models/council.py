"""The Council, its bodies and meetings, the documents it works under, events and activities."""

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
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import (
    IDS_NEVER_REUSED,
    Base,
    Cited,
    exactly_one_set,
    one_of,
    precision_goes_with,
)
from app.models.enums import BodyRelation, DatePrecision, DocumentKind, DocumentStatus, Qualifier


class Document(Cited, Base):
    """A strategy, plan or decision, with the period it covers and its status."""

    __tablename__ = "documents"
    __table_args__ = (
        one_of("kind", DocumentKind),
        one_of("status", DocumentStatus),
        one_of("adopted_precision", DatePrecision),
        precision_goes_with("adopted_on", "adopted_precision"),
        CheckConstraint(
            "period_start_year IS NULL OR period_end_year IS NULL "
            "OR period_end_year >= period_start_year",
            name="period_ordered",
        ),
        CheckConstraint("parent_id <> id", name="not_own_parent"),
        one_of("body_relation", BodyRelation),
        CheckConstraint("(body_id IS NULL) = (body_relation IS NULL)", name="body_relation_set"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    title_en: Mapped[str] = mapped_column(String(500))
    title_ru: Mapped[str | None] = mapped_column(String(500))
    issuer_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    adopted_on: Mapped[date | None] = mapped_column(Date)
    adopted_precision: Mapped[str | None] = mapped_column(String(8))
    period_start_year: Mapped[int | None] = mapped_column(Integer)
    period_end_year: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(
        String(16), comment="As the cited source reports it, on its publication date"
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="RESTRICT"),
        comment="The document this one implements (a national plan under a strategy)",
    )
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"))
    body_relation: Mapped[str | None] = mapped_column(
        String(16), comment="How the document bears on body_id: it establishes or governs it"
    )
    summary: Mapped[str | None] = mapped_column(Text)
    summary_ru: Mapped[str | None] = mapped_column(Text)


class Body(Cited, Base):
    """The Coordinating Council (KSOPN) and its subsidiary bodies."""

    __tablename__ = "bodies"
    __table_args__ = (CheckConstraint("parent_id <> id", name="not_own_parent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(500))
    name_ru: Mapped[str] = mapped_column(String(500))
    acronym_en: Mapped[str | None] = mapped_column(String(40))
    acronym_ru: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"),
        comment="The organization the body works within (the CSTO)",
    )
    established_on: Mapped[date | None] = mapped_column(Date)
    purpose: Mapped[str | None] = mapped_column(Text)


class Meeting(Cited, Base):
    """A meeting of the Council (or of one of its bodies). `chair` is a person's name and
    role as the source gives them; its own source may differ from the meeting's. `slug` is
    the seed files' key (a meeting may have no number)."""

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("body_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        one_of("date_precision", DatePrecision),
        precision_goes_with("held_on", "date_precision"),
        UniqueConstraint("slug"),
        CheckConstraint(
            "(chair IS NULL) = (chair_source_id IS NULL)"
            " AND (chair_source_id IS NULL) = (chair_locator IS NULL)",
            name="chair_cited",
        ),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str | None] = mapped_column(String(100))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"))
    number: Mapped[int | None] = mapped_column(Integer)
    held_on: Mapped[date | None] = mapped_column(Date, index=True)
    date_precision: Mapped[str | None] = mapped_column(String(8))
    place: Mapped[str | None] = mapped_column(String(300))
    country_id: Mapped[int | None] = mapped_column(ForeignKey("countries.id", ondelete="RESTRICT"))
    summary: Mapped[str | None] = mapped_column(Text)
    summary_ru: Mapped[str | None] = mapped_column(Text)
    chair: Mapped[str | None] = mapped_column(String(300))
    chair_source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT")
    )
    chair_locator: Mapped[str | None] = mapped_column(String(64))


class MeetingDecision(Cited, Base):
    """What a meeting decided or took up, where a source says: a short summary in our own
    words."""

    __tablename__ = "meeting_decisions"
    __table_args__ = (
        UniqueConstraint("meeting_id", "position"),
        CheckConstraint("position > 0", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(500))
    summary_ru: Mapped[str | None] = mapped_column(String(500))


class Event(Cited, Base):
    """A dated happening that is not a meeting: an exhibition, a conference."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("end_on IS NULL OR end_on >= start_on", name="period_ordered"),
        one_of("date_precision", DatePrecision),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(500))
    name_ru: Mapped[str | None] = mapped_column(String(500))
    start_on: Mapped[date] = mapped_column(Date, index=True)
    end_on: Mapped[date | None] = mapped_column(Date)
    date_precision: Mapped[str] = mapped_column(String(8))
    place: Mapped[str | None] = mapped_column(String(300))
    country_id: Mapped[int | None] = mapped_column(ForeignKey("countries.id", ondelete="RESTRICT"))
    occasion: Mapped[str | None] = mapped_column(String(500))
    occasion_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    description: Mapped[str | None] = mapped_column(Text)
    description_ru: Mapped[str | None] = mapped_column(Text)


class Activity(Cited, Base):
    """A standing line of the Council's work that the source reports without dates."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"))
    name_en: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    description_ru: Mapped[str | None] = mapped_column(Text)


class ReportedFigure(Cited, Base):
    """A count the source states without itemizing it (meetings held, stages carried out)."""

    __tablename__ = "reported_figures"
    __table_args__ = (
        one_of("qualifier", Qualifier),
        one_of("as_of_precision", DatePrecision),
        CheckConstraint("value >= 0", name="value_not_negative"),
        exactly_one_set("one_subject", "body_id", "operation_id"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    metric: Mapped[str] = mapped_column(String(60), index=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id", ondelete="RESTRICT"))
    operation_id: Mapped[int | None] = mapped_column(
        ForeignKey("operations.id", ondelete="RESTRICT")
    )
    value: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(40))
    qualifier: Mapped[str] = mapped_column(String(10))
    per: Mapped[str | None] = mapped_column(
        String(10), comment="Set when the figure recurs for each period, e.g. 'year'"
    )
    as_reported: Mapped[str] = mapped_column(String(200))
    as_of: Mapped[date] = mapped_column(Date)
    as_of_precision: Mapped[str] = mapped_column(String(8))
    description: Mapped[str | None] = mapped_column(Text)
    description_ru: Mapped[str | None] = mapped_column(Text)
