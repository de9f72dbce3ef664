"""Staff writes to stages and their parties (a stage post writes its seizure reports
through app/seizures/writes.py).

Each function validates everything it is given before it writes, writes in the caller's
transaction (never commits), and logs every row it creates, changes or deletes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import models as m
from app.common import by_key, stage_id_of
from app.error_words import said
from app.errors import ConflictError, NotFoundError
from app.models.enums import AuditAction, Qualifier, Role
from app.operations.schemas import (
    HeadquartersIn,
    ParticipationCreate,
    ParticipationPatch,
    StageCreate,
    StagePatch,
)
from app.quantities import QuantityError, parse_count, parse_reported
from app.reference.writes import add_source
from app.rules import chosen_version, period_problem
from app.seizures.writes import SeizureWriter
from app.staff.audit import record, record_created, snapshot
from app.staff.keys import Caller
from app.writes import TAKEN, Refs, add_audited, body_error, delete_audited, insert_new

# -- stages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PostedStage:
    """What a stage post wrote, for its 201 (`app.operations.posted.stage_detail`)."""

    stage: m.Stage
    operation: tuple[str, str, str]  # slug, name_en, name_ru
    participations: list[m.Participation]
    reports: list[m.SeizureReport]  # every one: the seizures, their parts, their versions
    refs: Refs  # names every record the rows point to
    with_results: bool


def post_stage(
    session: Session, caller: Caller, operation_key: str, body: StageCreate
) -> PostedStage:
    """Creates a stage with its parties, results and seizure reports (and the versions of
    them from other sources, and a new source first if one is given): all of it, or
    nothing."""
    operation = _operation(session, operation_key)
    if operation is None:
        raise NotFoundError(f"no operation {operation_key}")
    if body.new_source is not None:
        add_source(session, caller, body.new_source)
    refs = Refs(session)
    source_id = refs.source(body.source)
    hq = body.headquarters or HeadquartersIn()
    stage = m.Stage(
        operation_id=operation.id,
        number=body.number,
        name_en=body.name_en or body.name,
        name_ru=body.name_ru,
        start_on=body.start_on,
        end_on=body.end_on,
        lead_country_id=refs.country(body.lead_country, "lead_country"),
        hq_city_en=hq.city_en,
        hq_city_ru=hq.city_ru,
        hq_country_id=refs.country(hq.country, "headquarters.country"),
        place=body.place,
        description=body.description,
        source_id=source_id,
        locator=body.locator,
    )
    parties = [
        (role, refs.party(entry, f"{name}[{i}]"))
        for role, name, entries in (
            (Role.PARTICIPANT, "participants", body.participants),
            (Role.OBSERVER, "observers", body.observers),
        )
        for i, entry in enumerate(entries)
    ]
    _insert_stage(session, stage, operation_key)
    participations = [
        m.Participation(
            stage_id=stage.id, role=role, source_id=source_id, locator=body.locator, **columns
        )
        for role, columns in parties
    ]
    insert_new(session, participations)
    created: list[m.Base] = [stage, *participations]  # logged in this order, in one statement
    writer = SeizureWriter(session, caller, refs, stage, source_id, body.locator)
    reports = writer.create_all(
        [(s, f"seizures[{i}]") for i, s in enumerate(body.seizures)], parent=None, log=created
    )
    record_created(session, caller, created)
    _results(session, caller, refs, stage, body)
    versions = _seizure_versions(session, caller, refs, reports, body)
    return PostedStage(
        stage,
        (operation.slug, operation.name_en, operation.name_ru),
        participations,
        writer.created + versions,
        refs,
        with_results=bool(body.results),
    )


def _operation(session: Session, key: str) -> Row[int, str, str, str] | None:
    """The operation a post names (by slug, the usual way, or id): id, slug and names."""
    if key.isascii() and key.isdigit():
        found = select(*_OPERATION_NAMED).where(by_key(m.Operation, key))
        return session.connection().execute(found).first()
    return session.connection().execute(_operation_by_slug(), {"slug": key}).first()


_OPERATION_NAMED = (m.Operation.id, m.Operation.slug, m.Operation.name_en, m.Operation.name_ru)


@lru_cache(maxsize=1)
def _operation_by_slug() -> Select[int, str, str, str]:
    """Built once: building it and its cache key took as long as running it on SQLite."""
    return select(*_OPERATION_NAMED).where(m.Operation.slug == bindparam("slug"))


NOT_A_FIGURE = said(
    "name a figure in `results` that is no version of another",
    "укажите показатель из `results`, который сам не является версией другого",
)
OTHER_METRIC = said("a version counts the same thing", "версия считает то же, что и показатель")
OTHER_MEASURE = said(
    "a version measures what its figure does", "версия измеряет то же, что и её показатель"
)
RANKS_FIRST = said(
    "this source ranks before the figure's own (see /methods), so its version is the one "
    "totals use: post it in `seizures` and the other as its version",
    "этот источник стоит по правилу выше источника показателя (см. /methods), и итоги "
    "берут его версию: отправьте её в `seizures`, а другую как её версию",
)


def _ranked(session: Session, source_id: int) -> tuple[str | None, Any]:
    source = session.get_one(m.Source, source_id)
    return source.kind, source.published_on


def _results(
    session: Session, caller: Caller, refs: Refs, stage: m.Stage, body: StageCreate
) -> None:
    """The results, then each version's link: of two versions, the one the rule picks is
    used and the other becomes its alternative."""
    rows: list[m.StageResult] = []
    for i, entry in enumerate(body.results):
        field = f"results[{i}]"
        source_id = (
            refs.source(entry.source, f"{field}.source") if entry.source else stage.source_id
        )
        language = session.get_one(m.Source, source_id).language
        try:
            value, qualifier = (
                ((parsed := parse_reported(entry.as_reported, language)).amount, parsed.qualifier)
                if entry.unit == "grams"
                else parse_count(entry.as_reported, language)
            )
        except QuantityError as error:
            raise body_error(f"{field}.as_reported", error.args[0]) from error
        rows.append(
            m.StageResult(
                stage_id=stage.id, metric=entry.metric, value=value, unit=entry.unit,
                qualifier=qualifier or Qualifier.EXACT, as_reported=entry.as_reported,
                scope=entry.scope, country_id=refs.country(entry.country, f"{field}.country"),
                source_id=source_id, locator=entry.locator or stage.locator,
            )
        )  # fmt: skip
    session.add_all(rows)
    session.flush()
    for i, entry in enumerate(body.results):
        if entry.version_of is None:
            continue
        if entry.version_of >= len(rows) or body.results[entry.version_of].version_of is not None:
            raise body_error(f"results[{i}].version_of", NOT_A_FIGURE)
        other, this = rows[entry.version_of], rows[i]
        if other.metric != this.metric:
            raise body_error(f"results[{i}].version_of", OTHER_METRIC)
        pair = [other, this]
        used = pair[chosen_version(pair, lambda row: _ranked(session, row.source_id))]
        (this if used is other else other).alternative_to_id = used.id
    session.flush()
    for row in rows:
        record(session, caller, AuditAction.CREATE, row, None)


def _seizure_versions(
    session: Session,
    caller: Caller,
    refs: Refs,
    reports: list[m.SeizureReport],
    body: StageCreate,
) -> list[m.SeizureReport]:
    """Other sources' versions of the posted figures. The rule must pick the posted figure
    (its parts hang on it); a version from a source it ranks higher is refused, with what
    to do instead."""
    versions = []
    for i, version in enumerate(body.seizure_versions):
        field = f"seizure_versions[{i}]"
        if version.of >= len(reports):
            raise body_error(
                f"{field}.of",
                said(f"there is no seizures[{version.of}]", f"нет seizures[{version.of}]"),
            )
        counted = reports[version.of]
        source_id = refs.source(version.source, f"{field}.source")
        pair = [counted.source_id, source_id]
        if chosen_version(pair, lambda found: _ranked(session, found)) != 0:
            raise body_error(f"{field}.source", RANKS_FIRST)
        language = session.get_one(m.Source, source_id).language
        try:
            parsed = parse_reported(version.quantity, language)
        except QuantityError as error:
            raise body_error(f"{field}.quantity", error.args[0]) from error
        if parsed.unit_kind != counted.unit_kind:
            raise body_error(f"{field}.quantity", OTHER_MEASURE)
        row = m.SeizureReport(
            operation_id=counted.operation_id, stage_id=counted.stage_id,
            country_id=counted.country_id, period_start=counted.period_start,
            period_end=counted.period_end, substance_id=counted.substance_id,
            unit_kind=parsed.unit_kind, amount=parsed.amount,
            qualifier=parsed.qualifier or Qualifier.EXACT, as_reported=version.quantity,
            alternative_to_id=counted.id, outside_stage=counted.outside_stage,
            source_id=source_id, locator=version.locator,
        )  # fmt: skip
        session.add(row)
        session.flush()
        record(session, caller, AuditAction.CREATE, row, None)
        versions.append(row)
    return versions


def _insert_stage(session: Session, stage: m.Stage, operation_key: str) -> None:
    """Inserts a new stage; a 409 naming the stage that has its number when the number is
    taken, also by a request that took it a moment before: the unique key tells, in the
    one statement, with no savepoint to keep the rest (`insert_new`'s `unless_taken`)."""
    if stage.number is None:  # no number, nothing to take
        insert_new(session, [stage])
        return
    while True:
        insert_new(session, [stage], unless_taken=("operation_id", "number"))
        if stage.id is not None:
            return
        existing = stage_id_of(session, stage.operation_id, stage.number)
        if existing is not None:
            raise _number_taken(operation_key, stage.number, existing)
        # The stage that had the number is gone since (deleted, or its post rolled back).


def _number_taken(operation: str, number: int, existing: int) -> ConflictError:
    return ConflictError(
        said(
            f"operation {operation} already has stage {number}",
            f"у операции `{operation}` уже есть этап {number}",
        ),
        errors=[{"name": "number", "in": "body", "message": TAKEN}],
        extra={"existing": f"/api/v1/stages/{existing}"},
    )


def _taking_number(
    session: Session, stage: m.Stage, number: int, write: Callable[[], None], operation: str
) -> None:
    """`write` gives `stage` the number `number` (a new stage, or a renumbered one); a 409
    naming the stage that has it when it is taken, also by a request that took it between
    our check and our write (the unique key tells, and the savepoint keeps the rest)."""
    existing = stage_id_of(session, stage.operation_id, number)
    if existing is None:
        try:
            with session.begin_nested():
                write()
                session.flush()
            return
        except IntegrityError:
            existing = stage_id_of(session, stage.operation_id, number)
            if existing is None:
                raise
    raise _number_taken(operation, number, existing)


def patch_stage(session: Session, caller: Caller, stage: m.Stage, patch: StagePatch) -> None:
    before = snapshot(stage)
    refs = Refs(session)
    changes = patch.model_dump(exclude_unset=True)
    if "lead_country" in changes:
        stage.lead_country_id = refs.country(changes.pop("lead_country"), "lead_country")
    if "source" in changes:
        stage.source_id = refs.source(changes.pop("source"))
    if "name" in changes:  # the deprecated name of name_en
        changes["name_en"] = changes.pop("name")
    if "headquarters" in changes:
        hq = patch.headquarters or HeadquartersIn()
        changes.pop("headquarters")
        changes["hq_city_en"], changes["hq_city_ru"] = hq.city_en, hq.city_ru
        changes["hq_country_id"] = refs.country(hq.country, "headquarters.country")
    number = changes.pop("number", stage.number)
    if number != stage.number and number is None:
        stage.number = None
    elif number != stage.number:
        operation = session.scalar(
            select(m.Operation.slug).where(m.Operation.id == stage.operation_id)
        )
        _taking_number(
            session, stage, number, lambda: setattr(stage, "number", number), str(operation)
        )
    for name, value in changes.items():
        setattr(stage, name, value)
    if (problem := period_problem(stage.start_on, stage.end_on)) is not None:
        field = "start_on" if "start_on" in changes and "end_on" not in changes else "end_on"
        raise body_error(field, problem)
    if "start_on" in changes or "end_on" in changes:
        _check_reports_inside(session, stage)
    session.flush()
    record(session, caller, AuditAction.UPDATE, stage, before)


def _check_reports_inside(session: Session, stage: m.Stage) -> None:
    """New stage dates must still hold the reports not stated to reach outside them."""
    for field, bound in (("start_on", stage.start_on), ("end_on", stage.end_on)):
        if bound is None:  # an open end holds every report
            continue
        report = m.SeizureReport
        outside_it = (
            report.period_start < bound if field == "start_on" else report.period_end > bound
        )
        outside = session.scalars(
            select(m.SeizureReport.id).where(
                m.SeizureReport.stage_id == stage.id,
                m.SeizureReport.outside_stage.is_(False),
                outside_it,
            )
        ).all()
        if outside:
            urls = ", ".join(f"/api/v1/seizures/{i}" for i in outside)
            raise body_error(
                field,
                said(
                    f"{urls} would fall outside the stage; correct them first",
                    f"{urls} оказались бы вне этапа; сначала исправьте их",
                ),
            )


def delete_stage(session: Session, caller: Caller, stage: m.Stage) -> None:
    """Deletes the stage with its parties and seizure reports; the audit log keeps them all."""
    reports = list(
        session.scalars(select(m.SeizureReport).where(m.SeizureReport.stage_id == stage.id))
    )
    for report in _children_first(reports):
        delete_audited(session, caller, report)
    for participation in session.scalars(
        select(m.Participation).where(m.Participation.stage_id == stage.id)
    ):
        delete_audited(session, caller, participation)
    delete_audited(session, caller, stage)


def _children_first(reports: list[m.SeizureReport]) -> list[m.SeizureReport]:
    """Parts before their wholes, and figures within a broader one before it (a country's
    figure within the stage's total): each delete leaves nothing pointing at a gone row."""
    remaining = {report.id: report for report in reports}
    ordered: list[m.SeizureReport] = []
    while remaining:
        held = {r.parent_id for r in remaining.values()} | {r.within_id for r in remaining.values()}
        leaves = [r for r in remaining.values() if r.id not in held]
        ordered += leaves
        for leaf in leaves:
            del remaining[leaf.id]
    return ordered


# -- seizure reports -------------------------------------------------------------------


# -- participations --------------------------------------------------------------------


def add_participation(
    session: Session, caller: Caller, stage: m.Stage, body: ParticipationCreate
) -> int:
    refs = Refs(session)
    participation = m.Participation(
        stage_id=stage.id,
        role=body.role,
        source_id=refs.source(body.source),
        locator=body.locator,
        **refs.party(body, "party"),
    )
    add_audited(session, caller, participation)
    return participation.id


def patch_participation(
    session: Session, caller: Caller, participation: m.Participation, patch: ParticipationPatch
) -> None:
    before = snapshot(participation)
    changes = patch.model_dump(exclude_unset=True)
    if "source" in changes:
        participation.source_id = Refs(session).source(changes.pop("source"))
    if "detail" in changes:
        participation.party_detail = changes.pop("detail")
    for name, value in changes.items():
        setattr(participation, name, value)
    session.flush()
    record(session, caller, AuditAction.UPDATE, participation, before)


def delete_participation(session: Session, caller: Caller, participation: m.Participation) -> None:
    delete_audited(session, caller, participation)
