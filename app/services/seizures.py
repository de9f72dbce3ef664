"""Rules about seizure reports that the database cannot state as constraints."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, func, select
from sqlalchemy.orm import Session

from app.errors import NotFoundError
from app.models import Country, Operation, SeizureReport, Source, Stage, Substance
from app.models.enums import Qualifier, UnitKind
from app.services.common import cited_columns
from app.services.substances import subtree_ids, subtree_ids_query


def breakdown_problems(
    session: Session,
    parent: SeizureReport,
    parts: Sequence[SeizureReport],
    *,
    parent_label: str,
    part_label: Callable[[int, SeizureReport], str],
) -> list[str]:
    """Why `parts` cannot be the breakdown of `parent` ("including ..."); empty if they can.

    A part has the parent's unit kind, a substance at or under the parent's, and a period
    inside the parent's; the parts together never exceed the parent.
    """
    parent_subtree = subtree_ids(session, parent.substance_id)
    problems = []
    for index, part in enumerate(parts):
        label = part_label(index, part)
        if part.unit_kind != parent.unit_kind:
            problems.append(
                f"{label} is a {part.unit_kind} figure but its parent is {parent.unit_kind}"
            )
        if part.substance_id not in parent_subtree:
            problems.append(f"{label}: its substance is not under the parent's substance")
        if part.period_start < parent.period_start or part.period_end > parent.period_end:
            problems.append(f"{label}: its period lies outside the parent's period")
    covered = sum(part.amount for part in parts if part.unit_kind == parent.unit_kind)
    if covered > parent.amount:
        problems.append(
            f"the parts of {parent_label} add up to {covered}, more than its {parent.amount}"
        )
    return problems


BASE_UNITS = {UnitKind.MASS: "g", UnitKind.VOLUME: "ml", UnitKind.COUNT: "items"}


@dataclass(frozen=True)
class SeizureFilters:
    operation_id: int | None = None
    stage_id: int | None = None
    country_id: int | None = None
    substance_id: int | None = None  # includes the substance's descendants
    year: int | None = None
    date_from: date | None = None  # with date_to: reports whose period overlaps the range
    date_to: date | None = None
    qualifier: Qualifier | None = None
    top_level_only: bool = False  # hide breakdown rows
    report_id: int | None = None
    after_id: int = 0


def list_seizures(
    session: Session, filters: SeizureFilters, limit: int | None
) -> list[dict[str, Any]]:
    stmt = (
        select(
            SeizureReport.id,
            Operation.id.label("operation_id"),
            Operation.slug.label("operation_slug"),
            Operation.name_en.label("operation_name"),
            Stage.id.label("stage_id"),
            Stage.number.label("stage_number"),
            Country.iso3.label("country_iso3"),
            Country.name_en.label("country_name"),
            SeizureReport.period_start,
            SeizureReport.period_end,
            Substance.slug.label("substance_slug"),
            Substance.name_en.label("substance_name_en"),
            Substance.name_ru.label("substance_name_ru"),
            SeizureReport.unit_kind,
            SeizureReport.amount,
            SeizureReport.qualifier,
            SeizureReport.cases,
            SeizureReport.as_reported,
            SeizureReport.parent_id,
            SeizureReport.outside_stage,
            *cited_columns(SeizureReport.locator),
        )
        .join(Operation, Operation.id == SeizureReport.operation_id)
        .outerjoin(Stage, Stage.id == SeizureReport.stage_id)
        .outerjoin(Country, Country.id == SeizureReport.country_id)
        .join(Substance, Substance.id == SeizureReport.substance_id)
        .join(Source, Source.id == SeizureReport.source_id)
        .where(*conditions(filters))
        .order_by(SeizureReport.id)
        .limit(limit)
    )
    return [_seizure_out(row._mapping) for row in session.execute(stmt)]


def count_seizures(session: Session, filters: SeizureFilters) -> int:
    stmt = select(func.count()).select_from(SeizureReport).where(*conditions(filters))
    return session.scalar(stmt) or 0


def conditions(
    filters: SeizureFilters,
    report: type[SeizureReport] = SeizureReport,
    *,
    subtree_name: str = "subtree",
) -> list[ColumnElement[bool]]:
    """The WHERE clause of `filters`, on `report` (the table, or an alias of it); each alias
    in one statement needs its own `subtree_name`."""
    where = [report.id > filters.after_id] if filters.after_id else []
    if filters.report_id is not None:
        where.append(report.id == filters.report_id)
    if filters.operation_id is not None:
        where.append(report.operation_id == filters.operation_id)
    if filters.stage_id is not None:
        where.append(report.stage_id == filters.stage_id)
    if filters.country_id is not None:
        where.append(report.country_id == filters.country_id)
    if filters.substance_id is not None:
        subtree = subtree_ids_query(filters.substance_id, subtree_name)
        where.append(report.substance_id.in_(subtree))
    if filters.qualifier is not None:
        where.append(report.qualifier == filters.qualifier)
    if filters.top_level_only:
        where.append(report.parent_id.is_(None))
    # A report matches a year or a date range when its period overlaps it.
    if filters.year is not None:
        where.append(report.period_start <= date(filters.year, 12, 31))
        where.append(report.period_end >= date(filters.year, 1, 1))
    if filters.date_from is not None:
        where.append(report.period_end >= filters.date_from)
    if filters.date_to is not None:
        where.append(report.period_start <= filters.date_to)
    return where


def _seizure_out(row: RowMapping) -> dict[str, Any]:
    start, end = row["period_start"], row["period_end"]
    grams = row["amount"] if row["unit_kind"] == UnitKind.MASS else None
    return {
        "id": row["id"],
        "operation": {
            "id": row["operation_id"],
            "slug": row["operation_slug"],
            "name_en": row["operation_name"],
        },
        "stage": (
            {"id": row["stage_id"], "number": row["stage_number"]} if row["stage_id"] else None
        ),
        "country": (
            {"iso3": row["country_iso3"], "name_en": row["country_name"]}
            if row["country_iso3"]
            else None
        ),
        "period_start": start,
        "period_end": end,
        "years": list(range(start.year, end.year + 1)),
        "substance": {
            "slug": row["substance_slug"],
            "name_en": row["substance_name_en"],
            "name_ru": row["substance_name_ru"],
        },
        "unit_kind": row["unit_kind"],
        "amount": row["amount"],
        "unit": BASE_UNITS[UnitKind(row["unit_kind"])],
        "quantity_grams": grams,
        "quantity_kg": None if grams is None else grams / 1000,
        "qualifier": row["qualifier"],
        "cases": row["cases"],
        "as_reported": row["as_reported"],
        "parent_id": row["parent_id"],
        "outside_stage": row["outside_stage"],
        "source": {
            "id": row["source_id"],
            "slug": row["source_slug"],
            "title": row["source_title"],
            "locator": row["source_locator"],
        },
    }


def get_seizure(session: Session, report_id: int) -> dict[str, Any]:
    rows = list_seizures(session, SeizureFilters(report_id=report_id), limit=1)
    if not rows:
        raise NotFoundError(f"no seizure report {report_id}")
    return rows[0]
