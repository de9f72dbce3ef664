"""What readers tell the registry: reports of an error on a page (app/feedback/), and the
count of reports per client that limits how many one client may send."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Double, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, one_of
from app.models.enums import ErrorReportStatus


class ErrorReport(Base):
    """A reader's report that a page is wrong. Never changes a record by itself: staff
    review it, correct the record through the API if it is right, and accept it naming the
    correction, or reject it. `contact` is personal data: only staff ever see it."""

    __tablename__ = "error_reports"
    __table_args__ = (
        one_of("status", ErrorReportStatus),
        CheckConstraint("language IN ('en', 'ru')", name="language_valid"),
        Index("ix_error_reports_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    page: Mapped[str] = mapped_column(String(500), comment="The path of the page, and its query")
    what_is_wrong: Mapped[str] = mapped_column(Text)
    source_says: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(String(500))
    # Personal data: the audit log leaves it out (app/staff/audit.py).
    contact: Mapped[str | None] = mapped_column(
        String(200), comment="Personal data: staff only", info={"personal": True}
    )
    language: Mapped[str] = mapped_column(String(2), comment="The language it was sent in")
    status: Mapped[str] = mapped_column(String(10))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(100), comment="The API key's name")
    staff_note: Mapped[str | None] = mapped_column(Text)
    correction_audit_id: Mapped[int | None] = mapped_column(
        ForeignKey("audit_log.id", ondelete="SET NULL"),
        comment="The audit log entry of the correction, when it was accepted",
    )
    correction_path: Mapped[str | None] = mapped_column(
        String(500), comment="The page or API path of the corrected record"
    )


class ErrorReportSender(Base):
    """Reports one client sent in its current window. In the database, not a process's
    memory, so that every server process counts the same reports (as `auth_failures`)."""

    __tablename__ = "error_report_senders"

    client: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="The address counted (app/security.py)"
    )
    reports: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[float] = mapped_column(
        Double, index=True, comment="Seconds since the epoch of the window's first report"
    )
