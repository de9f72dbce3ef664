"""`/api/v1/error-reports`: anyone may report an error on a page (no key); staff list,
read, accept and reject the reports. A report never changes a record."""

from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from app.deps import SessionDep, WriteSessionDep
from app.error_words import preferred_language
from app.feedback import service, writes
from app.feedback.schemas import (
    AcceptIn,
    ErrorReportIn,
    ErrorReportOut,
    ErrorReportReceived,
    RejectIn,
)
from app.http import contract, examples
from app.http.listing import EXPORTS, ListingDep, add_exports
from app.http.representation import represent
from app.http.schemas import NOT_FOUND, PROBLEMS, WRITE_PROBLEMS, Page, Problem
from app.models.enums import ErrorReportStatus
from app.security import client_address
from app.staff.auth import EditorDep

examples.add_examples_file(FilePath(__file__).with_name("examples.json"))
TAG = "error reports"
STAFF_TAG = "staff: error reports"
contract.describe_tag(
    TAG,
    "Tell the registry that a page is wrong: no key needed. Staff review every report.",
    place=45,
)
contract.describe_tag(
    STAFF_TAG,
    "Readers' error reports, with their contact: list, read, accept (naming the correction) "
    "or reject. Editor or admin keys.",
    place=75,
)
TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: {
        "model": Problem,
        "description": "This client sent its share of reports for now, or too many wait for "
        "review; retry after `Retry-After` seconds.",
    }
}
router = APIRouter(tags=[TAG], responses={**PROBLEMS, **TOO_MANY})
staff_router = APIRouter(
    tags=[STAFF_TAG],
    responses={
        **WRITE_PROBLEMS,
        409: {"model": Problem, "description": "The report was reviewed already."},
    },
)
ErrorReportId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The report's id.")]
Status = Annotated[
    ErrorReportStatus | None, Query(description="Only reports in this state (`pending`: to do).")
]


@router.post(
    "/error-reports",
    status_code=202,
    response_model=ErrorReportReceived,
    summary="Report an error on a page",
    operation_id="reportError",
)
def report_error(request: Request, session: WriteSessionDep, body: ErrorReportIn) -> Response:
    """Keeps the report for staff to review (202): it changes no record by itself. The
    page must be one this site serves. A client may send
    `KSOPN_ERROR_REPORT_LIMIT` reports in `KSOPN_ERROR_REPORT_WINDOW_SECONDS` (5 an hour
    by default); then 429 with `Retry-After`. The answer never repeats the contact."""
    language = preferred_language(request.headers.get("accept-language"), ("en", "ru")) or "en"
    row = writes.submit(
        session,
        request.app.state.settings,
        request.app.routes,
        client_address(request),
        body,
        language,
    )
    assert row is not None  # the API has no trap field
    received = {
        "id": row.id,
        "status": row.status,
        "page": row.page,
        "created_at": row.created_at,
    }
    return represent(request, ErrorReportReceived, received, status_code=202)


@staff_router.get(
    "/error-reports",
    response_model=Page[ErrorReportOut],
    summary="List error reports",
    operation_id="listErrorReports",
    responses=EXPORTS,
)
def list_error_reports(caller: EditorDep, listing: ListingDep, status: Status = None) -> Response:
    """Readers' reports, oldest first, with their contact: `status=pending` is what is
    left to review. Editor or admin keys."""
    return listing.respond(
        ErrorReportOut, lambda s, after, limit: service.list_reports(s, status, after, limit)
    )


add_exports(staff_router, list_error_reports, "Error reports")


@staff_router.get(
    "/error-reports/{error_report_id}",
    response_model=ErrorReportOut,
    summary="Read an error report",
    operation_id="getErrorReport",
    responses=NOT_FOUND,
)
def get_error_report(
    request: Request, caller: EditorDep, session: SessionDep, error_report_id: ErrorReportId
) -> Response:
    """A report, with its contact and its review. Editor or admin keys."""
    return represent(request, ErrorReportOut, service.get_report(session, error_report_id))


@staff_router.post(
    "/error-reports/{error_report_id}/accept",
    response_model=ErrorReportOut,
    summary="Accept an error report",
    operation_id="acceptErrorReport",
)
def accept_error_report(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    error_report_id: ErrorReportId,
    body: AcceptIn,
) -> Response:
    """The report was right: correct the record first (PATCH it; the audit log keeps the
    change), then accept the report with a note and the correction (the audit log entry's
    id, the record's path). Accepting changes no record. Audited."""
    writes.accept_report(session, caller, error_report_id, body)
    return represent(request, ErrorReportOut, service.get_report(session, error_report_id))


@staff_router.post(
    "/error-reports/{error_report_id}/reject",
    response_model=ErrorReportOut,
    summary="Reject an error report",
    operation_id="rejectErrorReport",
)
def reject_error_report(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    error_report_id: ErrorReportId,
    body: RejectIn,
) -> Response:
    """The report was wrong, or not about the registry: reject it with a note. Audited."""
    writes.reject_report(session, caller, error_report_id, body)
    return represent(request, ErrorReportOut, service.get_report(session, error_report_id))
