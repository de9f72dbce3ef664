from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from app.db import lock_row
from app.deps import SessionDep, WriteSessionDep
from app.errors import InvalidParameterError
from app.http import contract, examples
from app.http.listing import (
    CSV,
    EXPORTS,
    ListingDep,
    add_exports,
    csv_cell,
    csv_columns,
    csv_file,
    csv_list,
    download,
    negotiate,
)
from app.http.pagination import EntityId
from app.http.preconditions import locked_for_edit
from app.http.representation import represent, respond
from app.http.schemas import (
    EDIT_PROBLEMS,
    NOT_FOUND,
    PROBLEMS,
    WRITE_PROBLEMS,
    Page,
    Problem,
)
from app.models import SeizureReport, Stage
from app.seizures import service as seizures_service
from app.seizures import writes as seizure_writes
from app.seizures.filters import FiltersDep
from app.seizures.kept_totals import kept_totals
from app.seizures.schemas import (
    SeizureCreate,
    SeizureDetail,
    SeizureOut,
    SeizurePatch,
    SeizureTotals,
    TotalLine,
)
from app.seizures.service import (
    FIRST_DAY,
    LAST_DAY,
    count_seizures,
    list_seizures,
    seizure_csv_chunks,
)
from app.seizures.totals import GROUP_KEYS, Window
from app.staff.auth import EditorDep
from app.staff.idempotency import IdempotencyDep, respond_created
from app.wording import DIVISORS, estimate_in_display_unit

TAG = "seizures"
examples.add_examples_file(Path(__file__).with_name("examples.json"))
contract.describe_tag(
    TAG,
    "Seizure reports, each with its period and source, and totals that count each quantity once.",
    place=20,
)
contract.add_path_examples(report_id=1)
router = APIRouter(responses=PROBLEMS, tags=[TAG])


@router.get(
    "/seizures",
    response_model=Page[SeizureOut],
    summary="List seizure reports",
    operation_id="listSeizures",
    responses=EXPORTS,
)
def seizures(
    session: SessionDep,
    listing: ListingDep,
    filters: FiltersDep,
    top_level_only: Annotated[
        bool, Query(description="Hide breakdown rows (reports with a `parent_id`).")
    ] = False,
    count: Annotated[
        bool, Query(description="Also count every matching report (costs a scan).")
    ] = False,
    allocate: Annotated[
        Literal["pro_rata"] | None,
        Query(
            description="`pro_rata`: give each report's share of the window by days in "
            "`allocated_amount`, as the pro-rata totals count it. Needs a window."
        ),
    ] = None,
) -> Response:
    """Seizure reports with their full period, the years it spans, exact grams and the
    quantity as reported. Filters combine; a report matches a year or a `from`/`to` range
    when its period overlaps it, so `year=2018` also returns a 2017-2019 report: its `years`
    show that the figure is the three years' together, never 2018's own.

    A report with a `parent_id` is part of its parent's quantity (the source's
    "including ..."), not in addition to it; add quantities up with `/seizures/totals`."""
    if allocate is not None and filters.window is None:
        raise InvalidParameterError(
            "allocate",
            "pro_rata gives each report's share of a window: give `year`, `from` or `to`",
        )
    filters = replace(
        filters, top_level_only=top_level_only, allocate_pro_rata=allocate == "pro_rata"
    )
    return listing.respond(
        SeizureOut,
        lambda s, after, limit: list_seizures(s, replace(filters, after_id=after), limit),
        count=count_seizures(session, filters) if count else None,
        shaped=True,
        faster={"csv": lambda s, after: seizure_csv_chunks(s, replace(filters, after_id=after))},
    )


add_exports(router, seizures, "Seizure reports")


GroupBy = Annotated[
    list[str] | None,
    Query(
        description="Keys among "
        + ", ".join(f"`{k}`" for k in GROUP_KEYS)
        + ", comma-separated or repeated (`group_by=year&group_by=substance`); without it, "
        "one group holds the grand total.",
        examples=[["year,substance"]],
    ),
]
TOTALS_CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The totals. Their lines as CSV: `/seizures/totals.csv` (or `format=csv` "
        "or `Accept: text/csv` here)."
    }
}


@router.get(
    "/seizures/totals",
    response_model=SeizureTotals,
    summary="Sum seizure reports, each quantity once, with citations",
    operation_id="getSeizureTotals",
    responses=TOTALS_CSV,
)
def totals(
    request: Request,
    session: SessionDep,
    filters: FiltersDep,
    group_by: GroupBy = None,
    allocate: Annotated[
        Literal["pro_rata"] | None,
        Query(
            description="`pro_rata`: a report reaching beyond the window (or, with "
            "`group_by=year`, beyond one year) gives each its share by days, marked "
            "`estimated` and `about`. Needs a window or `group_by=year`."
        ),
    ] = None,
    format_: Annotated[
        Literal["json", "csv"] | None,
        Query(
            alias="format",
            include_in_schema=False,  # documented as `/seizures/totals.csv`
            description="`csv`: the lines as a CSV download.",
        ),
    ] = None,
) -> Response:
    """Sums of the matching seizure reports, per unit kind (grams, millilitres and items are
    never added together), grouped as asked: integers in base units, each carrying the
    qualifier of what it adds up (a sum with a "more than" part is a lower bound), and
    marked `estimated` where it holds a pro-rata share.

    - Each quantity counts once: a breakdown row is part of its parent, and the part of a
      parent that no breakdown row names is its own line, `unspecified: true` and
      `derived: true`; the parent's stated figure is in `stated_totals`.
    - With a window (`year`, `from`, `to`), only reports whose period lies inside it are
      summed in `groups`; a report reaching beyond it goes to `beyond_window` with its
      period, unsplit, unless `allocate=pro_rata`. With `group_by=year`, the same holds for
      each calendar year.
    - A total with any "at least" part is `at_least`; with any "about" part, `about`.
    - Each line names its sources and locators, counts its reports, and gives
      `reports_url`, which lists exactly them.
    - Reports that could describe the same seizures but are not linked are counted, and each
      such pair is named in `warnings`."""
    keys = _group_keys(group_by)
    if allocate is not None and filters.window is None and "year" not in keys:
        raise InvalidParameterError(
            "allocate",
            "pro_rata splits a report by the days that fall in a window or in each year: "
            "give `year`, `from` or `to`, or `group_by=year`",
        )
    kept = kept_totals(request, session, filters, keys, pro_rata=allocate == "pro_rata")
    if negotiate(format_, request.headers.get("accept")) == CSV.extension:
        return _totals_csv(request, kept.body, filters.window)
    return respond(request, kept.json)


add_exports(
    router,
    totals,
    "Seizure totals",
    formats=["csv"],
    note=" One row per line of `groups` and `beyond_window`, `section` naming which: the "
    "line's keys, flags and citations (`source locator`, `;`-joined). The stated totals and "
    "warnings stay in the JSON answer.",
)


def _totals_csv(request: Request, body: dict[str, Any], window: Window | None) -> Response:
    """One row per line of `groups` and `beyond_window`, its citations `source locator`
    joined by `;`. The stated totals and warnings stay in the JSON answer. Each row says
    the dates it covers and, for an estimate, how it was made; an estimate's quantities are
    rounded as the pages round them (the JSON answer keeps its exact grams)."""
    columns = [path for path in csv_columns(TotalLine) if path[0] != "sources"]
    header = ["section", *("_".join(path) for path in columns), "sources", *CSV_EXTRA]
    ready = orjson.loads(orjson.dumps(body))  # dates and enums as the JSON answer has them
    basis = (body["allocation"] or {}).get("basis", "")
    rows = (
        [
            section,
            *(csv_cell(shown, path) for path in columns),
            csv_list(f"{cite['source']} {cite['locator']}" for cite in line["sources"]),
            *_covers(section, line, window),
            basis if line["estimated"] else "",
        ]
        for section in ("groups", "beyond_window")
        for line in ready[section]
        for shown in [estimate_rounded(line)]
    )
    return download(request, "seizure-totals", CSV, csv_file(header, rows))


# The totals CSV's columns after the line's own: the dates a line covers, and how an
# estimated line was made.
CSV_EXTRA = ("covers_from", "covers_to", "allocation_basis")


def _covers(section: str, line: dict[str, Any], window: Window | None) -> tuple[str, str]:
    """The first and last day a line's figure covers: its period beyond the window, its
    year (within the window), or the window; empty where no window bounds it."""
    if section == "beyond_window":
        return str(line["period_start"]), str(line["period_end"])
    first, last = window or (FIRST_DAY, LAST_DAY)
    if line.get("year") is not None:
        year = int(line["year"])
        first, last = max(first, date(year, 1, 1)), min(last, date(year, 12, 31))
    return (
        "" if first == FIRST_DAY else first.isoformat(),
        "" if last == LAST_DAY else last.isoformat(),
    )


def estimate_rounded(line: dict[str, Any]) -> dict[str, Any]:
    """An estimated line's quantities rounded as `wording.rounded_estimate` rounds them
    (three significant figures, never finer than a whole kilogram, litre or item): the
    exact grams of a pro-rata share are arithmetic, not a figure any source gives."""
    if not line["estimated"]:
        return line
    shown = estimate_in_display_unit(int(line["amount"]), str(line["unit_kind"]))
    amount = int(shown * DIVISORS[str(line["unit_kind"])])
    mass = line["quantity_grams"] is not None
    return line | {
        "amount": amount,
        "quantity_grams": amount if mass else None,
        "quantity_kg": float(shown) if mass else None,
    }


def _group_keys(group_by: list[str] | None) -> list[str]:
    if not group_by:
        return []
    keys = [key.strip() for value in group_by for key in value.split(",")]
    unknown = [key for key in keys if key not in GROUP_KEYS]
    if unknown:
        raise InvalidParameterError(
            "group_by", f"unknown key {unknown[0]!r}; use any of {', '.join(GROUP_KEYS)}"
        )
    if len(set(keys)) != len(keys):
        raise InvalidParameterError("group_by", "a key is named twice")
    return keys


@router.get(
    "/seizures/{report_id:int}",
    response_model=SeizureDetail,
    summary="Get a seizure report",
    operation_id="getSeizure",
    responses=NOT_FOUND,
)
def get_seizure(request: Request, session: SessionDep, report_id: EntityId) -> Response:
    """A seizure report by id, with the other sources' versions of its figure."""
    return report_answer(request, session, report_id)


def report_answer(request: Request, session: Session, report_id: int) -> Response:
    """The report's answer, of the route and its fast path (app/seizures/fast_reads.py),
    written without the model's validation pass, which took a tenth of the fast path's
    time: tests/seizures/test_shaped_bodies.py holds the two byte-equal."""
    found = seizures_service.get_seizure_detail(session, report_id)
    return represent(request, SeizureDetail, found, shaped=True)


async def _report_for_edit(
    request: Request, session: WriteSessionDep, report_id: EntityId
) -> Callable[[], SeizureReport]:
    """The report of the URL, locked with its whole breakdown (a part's change is checked
    against its parent's total), once If-Match names its current version. Locked when the
    handler calls it: after the body is validated, so a broken body is a 422 first."""

    def load() -> SeizureReport:
        seizure_writes.lock_breakdown(session, report_id)
        read = partial(seizures_service.get_seizure_detail, session)
        report: SeizureReport = locked_for_edit(
            request, session, SeizureReport, report_id, SeizureDetail, read
        )
        return report

    return load


ReportForEdit = Annotated[Callable[[], SeizureReport], Depends(_report_for_edit)]
staff_router = APIRouter(tags=["staff: stages"], responses=PROBLEMS)


@staff_router.post(
    "/stages/{stage_id:int}/seizures",
    status_code=201,
    response_model=SeizureOut,
    summary="Add a seizure report to a stage",
    operation_id="addSeizure",
    responses=WRITE_PROBLEMS,
)
def add_seizure(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    stage_id: EntityId,
    body: SeizureCreate,
) -> Response:
    """Adds a report (with its parts) to an existing stage; with `parent_id`, a part of an
    existing report, checked not to exceed it."""

    def make() -> tuple[Any, Any, str]:
        stage = lock_row(session, Stage, stage_id)
        report_id = seizure_writes.add_seizure(session, caller, stage, body)
        return (
            SeizureOut,
            seizures_service.get_seizure(session, report_id),
            f"/api/v1/seizures/{report_id}",
        )

    return respond_created(request, session, caller, idem, make)


@staff_router.patch(
    "/seizures/{report_id:int}",
    response_model=SeizureOut,
    summary="Correct a seizure report",
    operation_id="patchSeizure",
    responses=EDIT_PROBLEMS,
)
def patch_seizure(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    report_for_edit: ReportForEdit,
    report_id: EntityId,
    body: SeizurePatch,
) -> Response:
    """Changes the fields given; breakdowns are checked again. Needs `If-Match`."""
    seizure_writes.patch_seizure(session, caller, report_for_edit(), body)
    return represent(request, SeizureOut, seizures_service.get_seizure(session, report_id))


@staff_router.delete(
    "/seizures/{report_id:int}",
    status_code=204,
    summary="Delete a seizure report",
    operation_id="deleteSeizure",
    responses={**EDIT_PROBLEMS, 409: {"model": Problem, "description": "It has parts."}},
)
def delete_seizure(
    caller: EditorDep, session: WriteSessionDep, report_for_edit: ReportForEdit
) -> Response:
    """Deletes a report that has no parts. Needs `If-Match`."""
    seizure_writes.delete_seizure(session, caller, report_for_edit())
    return Response(status_code=204)
