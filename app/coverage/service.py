"""What the registry holds of the public record, and what it lacks: for each operation (its
stages or exercises) and for the Council's meetings, year by year, each item with its
figures and its number of sources, the stated counts ("30 stages by 2020") beside what is
held, and the years for which nothing is held. A gap is what the registry lacks, never a
claim that nothing happened: an item with no stated year is counted apart, never placed in
a year."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Subquery, func, select, union_all
from sqlalchemy.orm import Session

from app.common import cited_columns, dicts
from app.http.schemas import fuzzy
from app.models import (
    Body,
    Claim,
    Meeting,
    MeetingDecision,
    Operation,
    Participation,
    ReportedFigure,
    SeizureReport,
    Source,
    Stage,
    StageResult,
)
from app.models.enums import OperationKind

# The stated counts the coverage sets beside what is held, by what they count.
STAGE_COUNTS = ("stages_carried_out",)
MEETING_COUNTS = ("meetings_held",)


def coverage(session: Session) -> dict[str, Any]:
    """Every operation's stages and every body's meetings, year by year, with the stated
    counts and the gaps; and the registry's sources by kind."""
    groups = [*_operation_groups(session), *_meeting_groups(session)]
    return {"groups": groups, "sources_by_kind": _sources_by_kind(session)}


def _operation_groups(session: Session) -> list[dict[str, Any]]:
    stages = dicts(
        session.execute(
            select(
                Stage.id,
                Stage.operation_id,
                Stage.number,
                Stage.name_en,
                Stage.name_ru,
                Stage.start_on,
                Stage.end_on,
                Stage.hq_city_en,
                Stage.hq_city_ru,
                Stage.place,
            ).order_by(Stage.start_on.is_(None), Stage.start_on, Stage.id)
        ).all()
    )
    sources = _stage_sources(session)
    reports = _counts(session, SeizureReport.stage_id, SeizureReport.alternative_to_id)
    results = _counts(session, StageResult.stage_id, StageResult.alternative_to_id)
    by_operation: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for stage in stages:
        by_operation[stage["operation_id"]].append(stage)
    groups = []
    operations = session.execute(
        select(Operation.id, Operation.slug, Operation.kind, Operation.name_en, Operation.name_ru)
        .order_by(Operation.kind, Operation.id)
    ).all()  # fmt: skip
    for op_id, slug, kind, name_en, name_ru in operations:  # anti-drug operations first
        exercise = kind == OperationKind.TACTICAL_EXERCISE
        items = [
            _stage_item(stage, sources, reports, results, exercise=exercise)
            for stage in by_operation[op_id]
        ]
        counts = _stated(session, ReportedFigure.operation_id == op_id, STAGE_COUNTS)
        group = {
            "kind": "exercises" if exercise else "stages",
            "slug": slug,
            "name_en": name_en,
            "name_ru": name_ru,
        }
        groups.append(_grouped(group, items, counts))
    return groups


def _stage_item(
    stage: dict[str, Any],
    sources: dict[int, set[int]],
    reports: dict[int, int],
    results: dict[int, int],
    *,
    exercise: bool,
) -> dict[str, Any]:
    day = stage["start_on"] or stage["end_on"]
    seizures, others = reports.get(stage["id"], 0), results.get(stage["id"], 0)
    gaps = []
    if day is None:
        gaps.append("dates")
    if exercise and not stage["place"]:
        gaps.append("place")
    if not exercise and not (stage["hq_city_en"] or stage["hq_city_ru"]):
        gaps.append("headquarters")
    if not seizures and not others:
        gaps.append("figures")
    return {
        "id": stage["id"],
        "url": f"/stages/{stage['id']}",
        "number": stage["number"],
        "name_en": stage["name_en"],
        "name_ru": stage["name_ru"],
        "start_on": stage["start_on"],
        "end_on": stage["end_on"],
        "year": day.year if day else None,
        "seizure_reports": seizures,
        "results": others,
        "has_figures": bool(seizures or others),
        "sources": len(sources.get(stage["id"], set())),
        "gaps": gaps,
    }


def _stage_sources(session: Session) -> dict[int, set[int]]:
    """The distinct sources of everything said of each stage: the stage itself, its
    sources' versions, its parties, its seizure reports and its other results."""
    parts: Subquery = union_all(
        select(Stage.id, Stage.source_id),
        select(Claim.stage_id, Claim.source_id).where(Claim.stage_id.is_not(None)),
        select(Participation.stage_id, Participation.source_id).where(
            Participation.stage_id.is_not(None)
        ),
        select(SeizureReport.stage_id, SeizureReport.source_id).where(
            SeizureReport.stage_id.is_not(None)
        ),
        select(StageResult.stage_id, StageResult.source_id),
    ).subquery()
    return _sets(session.execute(select(parts)).all())


def _sets(rows: Iterable[Any]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    for subject, source in rows:
        found[subject].add(source)
    return found


def _counts(session: Session, subject: Any, alternative_to: Any) -> dict[int, int]:
    """Figures per stage, each counted once: other sources' versions are not more figures."""
    rows = session.execute(
        select(subject, func.count())
        .where(subject.is_not(None), alternative_to.is_(None))
        .group_by(subject)
    ).all()
    return dict(rows)  # a list of rows: dict() of a Result would read its keys()


def _meeting_groups(session: Session) -> list[dict[str, Any]]:
    meetings = dicts(
        session.execute(
            select(
                Meeting.id,
                Meeting.body_id,
                Meeting.number,
                Meeting.held_on,
                Meeting.date_precision,
                Meeting.place,
                Meeting.chair,
            ).order_by(Meeting.held_on.is_(None), Meeting.held_on, Meeting.number, Meeting.id)
        ).all()
    )
    parts: Subquery = union_all(
        select(Meeting.id, Meeting.source_id),
        select(Meeting.id, Meeting.chair_source_id).where(Meeting.chair_source_id.is_not(None)),
        select(Claim.meeting_id, Claim.source_id).where(Claim.meeting_id.is_not(None)),
        select(MeetingDecision.meeting_id, MeetingDecision.source_id),
    ).subquery()
    sources = _sets(session.execute(select(parts)).all())
    decisions = dict(
        session.execute(
            select(MeetingDecision.meeting_id, func.count()).group_by(MeetingDecision.meeting_id)
        ).all()
    )
    by_body: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for meeting in meetings:
        by_body[meeting["body_id"]].append(meeting)
    groups = []
    bodies = session.execute(
        select(
            Body.id, Body.slug, Body.name_en, Body.name_ru, Body.acronym_en, Body.acronym_ru
        ).order_by(Body.id)
    ).all()
    for body_id, slug, name_en, name_ru, acronym_en, acronym_ru in bodies:
        counts = _stated(session, ReportedFigure.body_id == body_id, MEETING_COUNTS)
        if not by_body[body_id] and not counts:
            continue
        items = [_meeting_item(m, sources, decisions) for m in by_body[body_id]]
        group = {
            "kind": "meetings",
            "slug": slug,
            "name_en": name_en,
            "name_ru": name_ru,
            "acronym_en": acronym_en,
            "acronym_ru": acronym_ru,
        }
        groups.append(_grouped(group, items, counts))
    return groups


def _meeting_item(
    meeting: dict[str, Any], sources: dict[int, set[int]], decisions: dict[int, int]
) -> dict[str, Any]:
    held = meeting["held_on"]
    gaps = [
        gap
        for gap, missing in (
            ("date", held is None),
            ("place", not meeting["place"]),
            ("chair", not meeting["chair"]),
            ("decisions", not decisions.get(meeting["id"])),
        )
        if missing
    ]
    return {
        "id": meeting["id"],
        "url": None,
        "number": meeting["number"],
        "held_on": fuzzy(held, meeting["date_precision"]) if held else None,
        "place": meeting["place"],
        "year": held.year if held else None,
        "decisions": decisions.get(meeting["id"], 0),
        "has_figures": False,
        "sources": len(sources.get(meeting["id"], set())),
        "gaps": gaps,
    }


def _stated(session: Session, subject: Any, metrics: tuple[str, ...]) -> list[dict[str, Any]]:
    return dicts(
        session.execute(
            select(
                ReportedFigure.metric,
                ReportedFigure.value,
                ReportedFigure.qualifier,
                ReportedFigure.as_reported,
                ReportedFigure.as_of,
                ReportedFigure.as_of_precision,
                Source.publisher,
                Source.publisher_ru,
                *cited_columns(ReportedFigure.locator),
            )
            .join(Source, Source.id == ReportedFigure.source_id)
            .where(subject, ReportedFigure.metric.in_(metrics))
            .order_by(ReportedFigure.as_of, ReportedFigure.id)
        ).all()
    )


def _grouped(
    group: dict[str, Any], items: list[dict[str, Any]], counts: list[dict[str, Any]]
) -> dict[str, Any]:
    """The group's items by year, its stated counts each beside what is held by then, and
    the years between its first and last held item for which nothing is held."""
    years: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        if item["year"] is not None:
            years[item["year"]].append(item)
    undated = [item for item in items if item["year"] is None]
    stated = []
    for count in counts:
        as_of = count.pop("as_of")
        until = as_of.year
        stated.append(
            {
                **count,
                "as_of": fuzzy(as_of, count.pop("as_of_precision")),
                "held_by_then": sum(len(found) for year, found in years.items() if year <= until),
                "undated": len(undated),
            }
        )
    held_years = sorted(years)
    missing = (
        [y for y in range(held_years[0], held_years[-1] + 1) if y not in years]
        if held_years
        else []
    )
    return {
        **group,
        "held": len(items),
        "dated": len(items) - len(undated),
        "with_figures": sum(1 for item in items if item["has_figures"]),
        "stated_counts": stated,
        "years": [{"year": year, "items": years[year]} for year in held_years],
        "undated": undated,
        "years_without": missing,
    }


def _sources_by_kind(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Source.kind, func.count())
        .where(Source.is_example.is_(False))
        .group_by(Source.kind)
        .order_by(func.count().desc(), Source.kind)
    )
    return [{"kind": kind, "count": count} for kind, count in rows]
