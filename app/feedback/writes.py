"""Readers' error reports kept, and staff's review of them. A report never changes a record:
staff correct the record through the API, then accept the report naming the correction.
Nothing here commits: the request's session does (a refusal rolls the count back too)."""

import math
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute, Match, Mount

from app import models as m
from app.db import lock_row
from app.error_words import said
from app.errors import ConflictError, TooManyRequestsError
from app.feedback.schemas import AcceptIn, ErrorReportIn, RejectIn
from app.models.enums import ErrorReportStatus
from app.settings import Settings
from app.staff.keys import Caller
from app.writes import body_error, update


def count_report(
    session: Session, settings: Settings, client: str, now: float | None = None
) -> None:
    """Counts one report of `client` in its window, or refuses it (429, Retry-After) when
    the client has sent its share. One upsert, which concurrent processes cannot
    interleave; refused, the request's transaction is rolled back, the count with it."""
    now = time.time() if now is None else now
    window = settings.error_report_window_seconds
    horizon = now - window
    sender = m.ErrorReportSender
    in_window = sender.window_started_at > horizon
    upsert = (
        _insert_for(session)(sender)
        .values(client=client, reports=1, window_started_at=now)
        .on_conflict_do_update(
            index_elements=[sender.client],
            set_={
                "reports": case((in_window, sender.reports + 1), else_=1),
                "window_started_at": case((in_window, sender.window_started_at), else_=now),
            },
        )
        .returning(sender.reports, sender.window_started_at)
    )
    reports, started = session.execute(upsert).one()
    if reports > settings.error_report_limit:
        wait = max(1, math.ceil(started + window - now))
        raise TooManyRequestsError(
            said(
                f"this address has sent {settings.error_report_limit} error reports in a short "
                f"time; send more in {wait} s",
                f"с этого адреса уже отправлено {settings.error_report_limit} сообщений об "
                f"ошибках за короткое время; отправьте ещё через {wait} с",
            ),
            retry_after=wait,
        )
    # Other clients' windows that have passed: forgotten, but rows another transaction is
    # writing (waiting for them could deadlock two of these; the next report forgets them).
    passed = (
        select(sender.client)
        .where(sender.window_started_at <= horizon)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    session.execute(
        delete(sender).where(sender.client.in_(passed)).execution_options(synchronize_session=False)
    )


def _insert_for(session: Session) -> Callable[..., Any]:
    """The dialect's INSERT, which has ON CONFLICT DO UPDATE on both databases."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def check_room(session: Session, settings: Settings) -> None:
    """Refuses a report while too many wait for review: a flood from many addresses, each
    within its own share, is bounded by what staff can read."""
    pending = session.scalar(
        select(func.count())
        .select_from(m.ErrorReport)
        .where(m.ErrorReport.status == ErrorReportStatus.PENDING)
    )
    if (pending or 0) >= settings.error_reports_max_pending:
        raise TooManyRequestsError(
            said(
                "too many error reports are waiting for review; please send yours later",
                "слишком много сообщений об ошибках ждут проверки; отправьте ваше позже",
            ),
            retry_after=settings.error_report_window_seconds,
        )


def check_page(routes: Sequence[BaseRoute], page: str) -> None:
    """The report's page must be one this site serves (a page for people, or an API URL):
    a path of the right form that leads nowhere is a typo staff could not follow."""
    scope = {"type": "http", "method": "GET", "path": urlsplit(page).path, "root_path": ""}
    if not any(
        not isinstance(route, Mount) and route.matches(scope)[0] == Match.FULL
        for route in routes  # not the static files' Mount
    ):
        raise body_error(
            "page",
            said(
                f"this site has no page {page}: copy the path from the address bar",
                f"на этом сайте нет страницы {page}: скопируйте путь из адресной строки",
            ),
        )


def add_report(session: Session, body: ErrorReportIn, language: str) -> m.ErrorReport:
    """Keeps a report, pending. No audit entry: no key made it, and the row itself says
    when it came; staff's review of it is audited."""
    row = m.ErrorReport(
        created_at=datetime.now(UTC),
        page=body.page,
        what_is_wrong=body.what_is_wrong,
        source_says=body.source_says,
        source_url=body.source_url,
        contact=body.contact,
        language=body.language or language,
        status=ErrorReportStatus.PENDING,
    )
    session.add(row)
    session.flush()
    return row


def submit(
    session: Session,
    settings: Settings,
    routes: Sequence[BaseRoute],
    client: str,
    body: ErrorReportIn,
    language: str,
    *,
    trapped: bool = False,
) -> m.ErrorReport | None:
    """A report from the API or the page's form: checked, counted against the client's
    share, kept. `None` when the form's trap field was filled in (`trapped`: a robot):
    counted, not kept, and the sender told nothing different."""
    check_page(routes, body.page)
    count_report(session, settings, client)
    check_room(session, settings)
    if trapped:
        return None
    return add_report(session, body, language)


def _pending(session: Session, report_id: int) -> m.ErrorReport:
    row: m.ErrorReport = lock_row(session, m.ErrorReport, report_id)
    if row.status != ErrorReportStatus.PENDING:
        raise ConflictError(
            said(
                f"error report {report_id} was {row.status} already, by {row.reviewed_by}",
                f"сообщение об ошибке {report_id} уже рассмотрено ({row.status}), "
                f"ключ {row.reviewed_by}",
            ),
        )
    return row


def _review(
    session: Session,
    caller: Caller,
    row: m.ErrorReport,
    status: ErrorReportStatus,
    columns: dict[str, Any],
) -> None:
    update(
        session,
        caller,
        row,
        {
            "status": status,
            "reviewed_at": datetime.now(UTC),
            "reviewed_by": caller.name,
            **columns,
        },
        "the error report",
    )


def accept_report(
    session: Session, caller: Caller, report_id: int, body: AcceptIn
) -> m.ErrorReport:
    """Marks the report accepted, linked to its correction; the record itself was corrected
    through the API (audited there)."""
    row = _pending(session, report_id)
    audit_id = body.correction_audit_id
    if audit_id is not None and session.get(m.AuditEntry, audit_id) is None:
        raise body_error(
            "correction_audit_id",
            said(f"no audit log entry {audit_id}", f"нет записи журнала аудита {audit_id}"),
        )
    _review(
        session,
        caller,
        row,
        ErrorReportStatus.ACCEPTED,
        {
            "staff_note": body.note,
            "correction_audit_id": audit_id,
            "correction_path": body.correction_path,
        },
    )
    return row


def reject_report(
    session: Session, caller: Caller, report_id: int, body: RejectIn
) -> m.ErrorReport:
    row = _pending(session, report_id)
    _review(session, caller, row, ErrorReportStatus.REJECTED, {"staff_note": body.note})
    return row
