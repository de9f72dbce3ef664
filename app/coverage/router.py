"""`GET /coverage`: what the registry holds of the public record, and its gaps."""

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from app.coverage import service
from app.coverage.schemas import Coverage
from app.deps import SessionDep
from app.http import contract, examples
from app.http.listing import CSV, add_exports, csv_file, download, negotiate
from app.http.representation import represent
from app.http.schemas import PROBLEMS

TAG = "coverage"
examples.add_examples_file(Path(__file__).with_name("examples.json"))
contract.describe_tag(
    TAG,
    "What the registry holds of the public record, year by year and operation by operation, "
    "and what it lacks.",
    place=40,
)
router = APIRouter(responses=PROBLEMS, tags=[TAG])
CSV_HEADER = (
    "group_kind", "group", "year", "id", "number", "name_en", "name_ru", "date",
    "seizure_reports", "results", "decisions", "has_figures", "sources", "gaps",
)  # fmt: skip


@router.get(
    "/coverage",
    response_model=Coverage,
    summary="What the registry holds, and its gaps",
    operation_id="getCoverage",
    responses={200: {"description": "The coverage. As CSV: `/coverage.csv`."}},
)
def get_coverage(
    request: Request,
    session: SessionDep,
    format_: Annotated[
        Literal["json", "csv"] | None,
        Query(alias="format", include_in_schema=False, description="`csv`: one row an item."),
    ] = None,
) -> Response:
    """For each operation (its stages, or its exercises) and each Council body (its
    meetings): the items held, year by year, each with its number of figures and of
    sources and what no source states of it (`gaps`); the items with no stated year apart;
    the counts sources state (`stated_counts`: "thirty stages" as of 2020) beside the items
    held by then; the years with none held. And the registry's sources by kind."""
    found = service.coverage(session)
    if negotiate(format_, request.headers.get("accept")) == CSV.extension:
        return download(request, "coverage", CSV, csv_file(CSV_HEADER, _rows(found)))
    return represent(request, Coverage, found)


add_exports(
    router,
    get_coverage,
    "Coverage",
    formats=["csv"],
    note=" One row per item (stage, exercise or meeting), `gaps` `;`-joined; the stated "
    "counts and the sources by kind stay in the JSON answer.",
)


def _rows(found: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for group in found["groups"]:
        items = [item for year in group["years"] for item in year["items"]] + group["undated"]
        for item in items:
            held = item.get("held_on")
            day = item.get("start_on") or (held.date if held else None)
            rows.append(
                [
                    group["kind"], group["slug"], item["year"] or "", item["id"],
                    item["number"] or "", item.get("name_en") or "", item.get("name_ru") or "",
                    day.isoformat() if day else "", item.get("seizure_reports", 0),
                    item.get("results", 0), item.get("decisions", 0),
                    "true" if item["has_figures"] else "false", item["sources"],
                    ";".join(item["gaps"]),
                ]
            )  # fmt: skip
    return rows
