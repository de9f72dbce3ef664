"""Broader figures: reports that the filters leave out, but that may hold what they ask for.

Empty is not zero. A filter on a country, a stage or a substance can find no figure of its
own while a broader one covers it: a report of no single country (the parties together)
covers each party of its operation; a report of the whole operation covers each of its
stages in its period; the part of a report of a parent substance that its breakdown does
not itemize may hold any substance below it. Such figures are named beside the totals
(`covered_by`), and a substance's lines that such an unitemized part may add to are lower
bounds (`seizure_totals` marks them).
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from app.common import subtree_ids
from app.models import (
    Country,
    Membership,
    Operation,
    Participation,
    SeizureReport,
    Source,
    Stage,
    Substance,
)
from app.models.enums import MembershipStatus, PartyKind, Qualifier
from app.seizures.service import (
    BASE_UNITS,
    NO_ID,
    SeizureFilters,
    conditions,
    covered_amount,
    has_inexact_parts,
    report_target,
)
from app.wording import bound_word

MAX_COVERING = 20  # figures named (the schema says so)
READ_AT_MOST = 200  # reports read to find them (their parts are shown by their parents)


def broader_figures(session: Session, filters: SeizureFilters) -> list[dict[str, Any]]:
    """The reports broader than `filters` in their country, stage or substance that may
    hold what the filters ask for, each shown once by its topmost such report."""
    report = SeizureReport
    relaxed = replace(filters, country_id=None, stage_id=None, substance_id=None)
    broader, each = _broader_conditions(session, filters, report)
    if not broader:
        return []
    found = session.execute(
        select(
            report.id,
            report.parent_id,
            *broader.values(),
            report.amount,
            covered_amount(report).label("covered"),
            has_inexact_parts(report).label("inexact_parts"),
        )
        .where(
            *conditions(relaxed),
            report.alternative_to_id.is_(None),
            or_(*broader.values()),
            *each,
        )
        .order_by(report.id)
        .limit(READ_AT_MOST)
    ).all()
    shown = {row.id: row for row in found}
    # A part is shown by its parent when the parent is broader too (67.6 t, not its parts).
    tops = [row for row in found if row.parent_id not in shown]
    return _described(session, tops, list(broader))


def _broader_conditions(
    session: Session, filters: SeizureFilters, report: Any
) -> tuple[dict[str, Any], list[ColumnElement[bool]]]:
    """For each filter a report can be broader in: the condition that it is (labelled, to
    be read back); and, for each filter, that a report is broader in it or within it."""
    respects: list[tuple[str, ColumnElement[bool] | None, ColumnElement[bool]]] = []
    if filters.country_id not in (None, NO_ID):
        respects.append((
            "country",
            and_(report.country_id.is_(None), _takes_part(filters.country_id)),
            report.country_id == filters.country_id,
        ))  # fmt: skip
    if filters.stage_id not in (None, NO_ID):
        stage = session.get(Stage, filters.stage_id)
        whole_operation = None if stage is None else and_(
            report.stage_id.is_(None),
            report.operation_id == stage.operation_id,
            report.period_start <= stage.end_on,
            report.period_end >= stage.start_on,
        )  # fmt: skip
        respects.append(("stage", whole_operation, report.stage_id == filters.stage_id))
    if filters.substance_id is not None:
        above = _ancestors(session, filters.substance_id)
        # Only an unitemized part can hold it: a fully itemized exact parent cannot.
        counted = report_target(report).counted
        unitemized = None
        if above and counted is not None:
            unitemized = and_(report.substance_id.in_(above), counted)
        below = subtree_ids(session, filters.substance_id) if filters.descendants else set()
        within = report.substance_id.in_(below | {filters.substance_id})
        respects.append(("substance", unitemized, within))
    broader = {
        name: condition.label(f"broader_{name}")
        for name, condition, _ in respects
        if condition is not None
    }
    each = [
        within if condition is None else or_(condition, within) for _, condition, within in respects
    ]
    return broader, each


def _takes_part(country_id: int | None) -> ColumnElement[bool]:
    """Whether the country takes part in the report's operation: named as a party of it or
    of one of its stages, or a member state when the member states take part as a group,
    over some of the report's period."""
    report = SeizureReport
    party = aliased(Participation)
    stage = aliased(Stage)
    named = exists().where(
        party.country_id == country_id,
        or_(
            party.operation_id == report.operation_id,
            party.stage_id.in_(select(stage.id).where(stage.operation_id == report.operation_id)),
        ),
    )
    member = exists().where(
        Membership.country_id == country_id,
        Membership.status == MembershipStatus.MEMBER,
        Membership.valid_from <= report.period_end,
        or_(Membership.valid_to.is_(None), Membership.valid_to >= report.period_start),
    )
    as_member = exists().where(
        party.operation_id == report.operation_id, party.party_kind == PartyKind.MEMBER_STATES
    )
    return or_(named, and_(as_member, member))


def _ancestors(session: Session, substance_id: int) -> list[int]:
    parent_of = {
        row.id: row.parent_id for row in session.execute(select(Substance.id, Substance.parent_id))
    }
    found: list[int] = []
    node = parent_of.get(substance_id)
    while node is not None and node not in found:
        found.append(node)
        node = parent_of.get(node)
    return found


def _described(session: Session, rows: Sequence[Any], names: list[str]) -> list[dict[str, Any]]:
    if not rows:
        return []
    report = SeizureReport
    ids = [row.id for row in rows[:MAX_COVERING]]
    details = {
        row.id: row
        for row in session.execute(
            select(
                report.id,
                report.period_start,
                report.period_end,
                report.unit_kind,
                report.qualifier,
                report.as_reported,
                report.locator,
                Source.slug.label("source"),
                Operation.slug.label("operation_slug"),
                Operation.name_en.label("operation_name_en"),
                Operation.name_ru.label("operation_name_ru"),
                Operation.id.label("operation_id"),
                Country.iso3,
                Country.name_en.label("country_name_en"),
                Country.name_ru.label("country_name_ru"),
                Stage.id.label("stage_id"),
                Stage.number.label("stage_number"),
                Substance.slug.label("substance_slug"),
                Substance.name_en.label("substance_name_en"),
                Substance.name_ru.label("substance_name_ru"),
            )
            .join(Source, Source.id == report.source_id)
            .join(Operation, Operation.id == report.operation_id)
            .join(Substance, Substance.id == report.substance_id)
            .outerjoin(Country, Country.id == report.country_id)
            .outerjoin(Stage, Stage.id == report.stage_id)
            .where(report.id.in_(ids))
        )
    }
    return [_figure(row, details[row.id], names) for row in rows[:MAX_COVERING]]


def _figure(row: Any, detail: Any, names: list[str]) -> dict[str, Any]:
    broader_in = [name for name in names if getattr(row, f"broader_{name}")]
    unitemized = row.amount - row.covered
    if detail.qualifier != Qualifier.EXACT or row.inexact_parts:
        unitemized_qualifier = Qualifier.AT_LEAST if detail.qualifier == "at_least" else "about"
    else:
        unitemized_qualifier = Qualifier.EXACT
    return {
        "report_id": row.id,
        "broader_in": broader_in,
        "operation": {
            "id": detail.operation_id,
            "slug": detail.operation_slug,
            "name_en": detail.operation_name_en,
            "name_ru": detail.operation_name_ru,
        },
        "country": (
            {
                "iso3": detail.iso3,
                "name_en": detail.country_name_en,
                "name_ru": detail.country_name_ru,
            }
            if detail.iso3
            else None
        ),
        "stage": (
            {"id": detail.stage_id, "number": detail.stage_number} if detail.stage_id else None
        ),
        "substance": {
            "slug": detail.substance_slug,
            "name_en": detail.substance_name_en,
            "name_ru": detail.substance_name_ru,
        },
        "period_start": detail.period_start,
        "period_end": detail.period_end,
        "unit_kind": detail.unit_kind,
        "amount": row.amount,
        "unit": BASE_UNITS[detail.unit_kind],
        "qualifier": detail.qualifier,
        "as_reported": detail.as_reported,
        "bound_word": bound_word(detail.as_reported) if detail.qualifier == "at_least" else None,
        "unitemized_amount": unitemized if "substance" in broader_in else None,
        "unitemized_qualifier": unitemized_qualifier if "substance" in broader_in else None,
        "source": detail.source,
        "locator": detail.locator,
        "report_url": f"/api/v1/seizures/{row.id}",
    }


def covers_line(figure: dict[str, Any], line: dict[str, Any], window: Any) -> bool:
    """Whether a figure broader in its substance may add to a line: the same unit kind,
    and the line's other keys and dates compatible with the figure's."""
    if "substance" not in figure["broader_in"] or figure["unit_kind"] != line["unit_kind"]:
        return False
    for key, ref in (("operation", "slug"), ("country", "iso3"), ("stage", "id")):
        named, figure_named = line.get(key), figure[key]
        if named is not None and figure_named is not None and named[ref] != figure_named[ref]:
            return False
    first, last = _line_dates(line, window)
    return bool(figure["period_start"] <= last and figure["period_end"] >= first)


def _line_dates(line: dict[str, Any], window: Any) -> tuple[date, date]:
    if line.get("period_start") is not None:
        return line["period_start"], line["period_end"]
    first, last = window or (date(1, 1, 1), date(9999, 12, 31))
    if line.get("year") is not None:
        first, last = max(first, date(line["year"], 1, 1)), min(last, date(line["year"], 12, 31))
    return first, last
