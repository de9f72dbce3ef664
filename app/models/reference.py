"""Reference entities: sources, countries, organizations, memberships, substances."""

from datetime import date

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    IDS_NEVER_REUSED,
    Base,
    Cited,
    Named,
    OptionallyCited,
    one_of,
    precision_goes_with,
)
from app.models.enums import (
    DatePrecision,
    MembershipStatus,
    OrganizationKind,
    SourceKind,
    StatementKind,
)


class Source(Base):
    __tablename__ = "sources"
    __table_args__ = (
        one_of("published_precision", DatePrecision),
        precision_goes_with("published_on", "published_precision"),
        CheckConstraint("length(language) = 2", name="language_iso_639_1"),
        one_of("kind", SourceKind),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    publisher: Mapped[str] = mapped_column(String(300))
    publisher_ru: Mapped[str | None] = mapped_column(String(300))
    published_on: Mapped[date | None] = mapped_column(Date)
    published_precision: Mapped[str | None] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(2))
    url: Mapped[str | None] = mapped_column(String(1000))
    accessed_on: Mapped[date | None] = mapped_column(
        Date, comment="When the project last read the source at its URL"
    )
    reference: Mapped[str | None] = mapped_column(
        String(300),
        comment="The identifier of the project's archived copy (a document id), never a path",
    )
    locator_scheme: Mapped[str] = mapped_column(
        Text, comment="How a locator in this source is to be read"
    )
    locator_scheme_ru: Mapped[str | None] = mapped_column(Text)
    is_example: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=false(),
        comment="A made-up source for examples and demonstrations: no fact citing it is real",
    )
    kind: Mapped[str | None] = mapped_column(
        String(16), comment="Who published it; ranks versions that disagree (app.rules)"
    )
    reliability_note: Mapped[str | None] = mapped_column(
        Text, comment="Why the source is weak (a repost, a rewrite), where it is"
    )


class Country(Named, OptionallyCited, Base):
    __tablename__ = "countries"
    __table_args__ = (
        CheckConstraint("length(iso3) = 3 AND upper(iso3) = iso3", name="iso3_format"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    iso3: Mapped[str] = mapped_column(String(3), unique=True)


class Organization(Named, OptionallyCited, Base):
    __tablename__ = "organizations"
    __table_args__ = (
        one_of("kind", OrganizationKind),
        CheckConstraint("parent_id <> id", name="not_own_parent"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    acronym_en: Mapped[str | None] = mapped_column(String(40))
    acronym_ru: Mapped[str | None] = mapped_column(String(40))
    country_id: Mapped[int | None] = mapped_column(
        ForeignKey("countries.id", ondelete="RESTRICT"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text)

    def search_terms(self) -> list[str]:
        return [*super().search_terms(), self.acronym_en or "", self.acronym_ru or ""]


class Membership(Cited, Base):
    """A country's membership of an organization (the CSTO) over a period."""

    __tablename__ = "memberships"
    __table_args__ = (
        one_of("status", MembershipStatus),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period_ordered"),
        UniqueConstraint("country_id", "organization_id", "valid_from"),
        Index("ix_memberships_period", "organization_id", "valid_from", "valid_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country_id: Mapped[int] = mapped_column(ForeignKey("countries.id", ondelete="RESTRICT"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    status: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class Substance(Named, Base):
    """A node of the substance taxonomy; a query for a node includes its descendants."""

    __tablename__ = "substances"
    __table_args__ = (CheckConstraint("parent_id <> id", name="not_own_parent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("substances.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text)

    parent: Mapped["Substance | None"] = relationship(remote_side=[id], lazy="raise")


class MembershipStatement(Cited, Base):
    """A dated statement about a country's part in an organization (Armenia's freeze of its
    participation in 2024), kept as the source states it. Membership periods are not
    changed by it: sources disagree on whether any formal step was taken."""

    __tablename__ = "membership_statements"
    __table_args__ = (
        one_of("kind", StatementKind),
        one_of("stated_precision", DatePrecision),
        precision_goes_with("stated_on", "stated_precision"),
        UniqueConstraint("slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100))
    country_id: Mapped[int] = mapped_column(
        ForeignKey("countries.id", ondelete="RESTRICT"), index=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    kind: Mapped[str] = mapped_column(String(32))
    stated_on: Mapped[date | None] = mapped_column(Date)
    stated_precision: Mapped[str | None] = mapped_column(String(8))
    as_reported: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text, comment="Our own words")
    note: Mapped[str | None] = mapped_column(Text, comment="How the date was read, caveats")
