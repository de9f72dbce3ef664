"""Reads of the error reports, for staff: plain Core selects that return dicts."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFoundError
from app.models import ErrorReport
from app.models.enums import ErrorReportStatus
from app.models.versions import in_utc

COLUMNS = (
    ErrorReport.id,
    ErrorReport.created_at,
    ErrorReport.page,
    ErrorReport.what_is_wrong,
    ErrorReport.source_says,
    ErrorReport.source_url,
    ErrorReport.contact,
    ErrorReport.language,
    ErrorReport.status,
    ErrorReport.reviewed_at,
    ErrorReport.reviewed_by,
    ErrorReport.staff_note,
    ErrorReport.correction_audit_id,
    ErrorReport.correction_path,
)


def _as_dict(row: Any) -> dict[str, Any]:
    report = dict(row._mapping)
    for name in ("created_at", "reviewed_at"):  # SQLite gives the stored UTC without a zone
        if report[name] is not None:
            report[name] = in_utc(report[name])
    return report


def list_reports(
    session: Session, status: ErrorReportStatus | None, after_id: int, limit: int
) -> list[dict[str, Any]]:
    """Oldest first: the order staff work through them."""
    stmt = select(*COLUMNS).where(ErrorReport.id > after_id)
    if status is not None:
        stmt = stmt.where(ErrorReport.status == status)
    stmt = stmt.order_by(ErrorReport.id).limit(limit)
    return [_as_dict(row) for row in session.execute(stmt)]


def get_report(session: Session, report_id: int) -> dict[str, Any]:
    row = session.execute(select(*COLUMNS).where(ErrorReport.id == report_id)).first()
    if row is None:
        raise NotFoundError(f"no error report {report_id}")
    return _as_dict(row)
