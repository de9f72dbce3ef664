"""Staff writes to stages, their parties and their seizure reports.

Each function validates everything it is given before it writes, writes in the caller's
transaction (never commits), and logs every row it creates, changes or deletes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import models as m
from app.common import by_key
from app.db import lock_row
from app.errors import ConflictError, InvalidParameterError, NotFoundError
from app.models.enums import AuditAction, PartyKind, Qualifier, Role
from app.quantities import QuantityError, parse_quantity
from app.rules import breakdown_problems, period_problem, qualifier_problem
from app.schemas import writes as w
from app.staff.audit import record, snapshot
from app.staff.keys import Caller

MEMBER_STATES_PARTY = "member-states"


def body_error(field: str, message: str) -> InvalidParameterError:
    return InvalidParameterError(field, message, location="body")


class Refs:
    """Turns the names a request uses (slugs, ISO codes) into ids, naming the field if unknown."""

    # Small tables that a stage names many rows of: read whole at the first name, so that
    # ten seizure reports cost one query, not ten.
    READ_WHOLE = (m.Country, m.Substance)

    def __init__(self, session: Session) -> None:
        self.session = session
        self._known: dict[tuple[Any, str], int] = {}  # a stage names KAZ many times
        self._read_whole: set[Any] = set()

    def _id(self, model: Any, column: Any, value: str, field: str, what: str) -> int:
        first_of_table = model in self.READ_WHOLE and model not in self._read_whole
        if (model, value) not in self._known and first_of_table:
            self._read_whole.add(model)
            rows = self.session.execute(select(column, model.id))
            self._known.update({(model, key): int(id_) for key, id_ in rows})
        if (model, value) not in self._known:
            found = None  # a table read whole holds every name it has
            if model not in self._read_whole:
                found = self.session.scalar(select(model.id).where(column == value))
            if found is None:
                raise body_error(field, f"no {what} {value!r}")
            self._known[(model, value)] = int(found)
        return self._known[(model, value)]

    def source(self, slug: str, field: str = "source") -> int:
        return self._id(m.Source, m.Source.slug, slug, field, "source")

    def country(self, iso3: str | None, field: str) -> int | None:
        if iso3 is None:
            return None
        return self._id(m.Country, m.Country.iso3, iso3, field, "country")

    def organization(self, slug: str | None, field: str) -> int | None:
        if slug is None:
            return None
        return self._id(m.Organization, m.Organization.slug, slug, field, "organization")

    def substance(self, slug: str, field: str) -> int:
        return self._id(m.Substance, m.Substance.slug, slug, field, "substance")

    def body(self, slug: str | None, field: str) -> int | None:
        if slug is None:
            return None
        return self._id(m.Body, m.Body.slug, slug, field, "body")

    def operation(self, slug: str | None, field: str) -> int | None:
        if slug is None:
            return None
        return self._id(m.Operation, m.Operation.slug, slug, field, "operation")

    def party(self, entry: w.PartyIn | str, field: str) -> dict[str, Any]:
        party = entry if isinstance(entry, w.PartyIn) else w.PartyIn(party=entry)
        columns: dict[str, Any] = {
            "country_id": None,
            "organization_id": None,
            "party_detail": party.detail,
            "regularity": party.regularity,
        }
        if party.party == MEMBER_STATES_PARTY:
            columns["party_kind"] = PartyKind.MEMBER_STATES
        elif len(party.party) == 3 and party.party.isupper():
            columns["party_kind"] = PartyKind.COUNTRY
            columns["country_id"] = self.country(party.party, field)
        else:
            columns["party_kind"] = PartyKind.ORGANIZATION
            columns["organization_id"] = self.organization(party.party, field)
        return columns


def quantity_columns(
    quantity: w.QuantityIn,
    qualifier: Qualifier | None,
    field: str,
    *,
    default_qualifier: Qualifier = Qualifier.EXACT,
    qualifier_field: str | None = None,
) -> dict[str, Any]:
    """Amount, unit kind, qualifier and the phrase as reported.

    The qualifier is the one given, else the one the phrase states ("more than"), else
    `default_qualifier`.
    """
    phrase = quantity if isinstance(quantity, str) else f"{quantity.amount:f} {quantity.unit}"
    try:
        parsed = parse_quantity(phrase)
    except QuantityError as error:
        raise body_error(field, str(error)) from error
    if (problem := qualifier_problem(qualifier, parsed.qualifier, phrase)) is not None:
        raise body_error(qualifier_field or field, problem)
    return {
        "unit_kind": parsed.unit_kind,
        "amount": parsed.amount,
        "qualifier": qualifier or parsed.qualifier or default_qualifier,
        "as_reported": phrase,
    }


def _at(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# -- stages ----------------------------------------------------------------------------


def post_stage(session: Session, caller: Caller, operation_key: str, body: w.StageCreate) -> int:
    """Creates a stage with its parties and seizure reports: all of it, or nothing."""
    operation_id = session.scalar(select(m.Operation.id).where(by_key(m.Operation, operation_key)))
    if operation_id is None:
        raise NotFoundError(f"no operation {operation_key}")
    refs = Refs(session)
    source_id = refs.source(body.source)
    stage = m.Stage(
        operation_id=operation_id,
        number=body.number,
        name=body.name,
        start_on=body.start_on,
        end_on=body.end_on,
        lead_country_id=refs.country(body.lead_country, "lead_country"),
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
    record(session, caller, AuditAction.CREATE, stage, None)
    participations = [
        m.Participation(
            stage_id=stage.id, role=role, source_id=source_id, locator=body.locator, **columns
        )
        for role, columns in parties
    ]
    session.add_all(participations)
    session.flush()  # one flush for all: each one's audit entry needs its id
    for participation in participations:
        record(session, caller, AuditAction.CREATE, participation, None)
    writer = SeizureWriter(session, caller, refs, stage, source_id, body.locator)
    writer.create_all([(s, f"seizures[{i}]") for i, s in enumerate(body.seizures)], parent=None)
    return stage.id


def _insert_stage(session: Session, stage: m.Stage, operation_key: str) -> None:
    _taking_number(session, stage, stage.number, lambda: session.add(stage), operation_key)


def _taking_number(
    session: Session, stage: m.Stage, number: int, write: Callable[[], None], operation: str
) -> None:
    """`write` gives `stage` the number `number` (a new stage, or a renumbered one); a 409
    naming the stage that has it when it is taken, also by a request that took it between
    our check and our write (the unique key tells, and the savepoint keeps the rest)."""
    existing = _stage_with_number(session, stage.operation_id, number)
    if existing is None:
        try:
            with session.begin_nested():
                write()
                session.flush()
            return
        except IntegrityError:
            existing = _stage_with_number(session, stage.operation_id, number)
            if existing is None:
                raise
    raise ConflictError(
        f"operation {operation} already has stage {number}",
        errors=[{"name": "number", "in": "body", "message": "taken"}],
        extra={"existing": f"/api/v1/stages/{existing}"},
    )


def _stage_with_number(session: Session, operation_id: int, number: int) -> int | None:
    return session.scalar(
        select(m.Stage.id).where(m.Stage.operation_id == operation_id, m.Stage.number == number)
    )


def _add(session: Session, caller: Caller, row: m.Base) -> None:
    session.add(row)
    session.flush()
    record(session, caller, AuditAction.CREATE, row, None)


def patch_stage(session: Session, caller: Caller, stage: m.Stage, patch: w.StagePatch) -> None:
    before = snapshot(stage)
    refs = Refs(session)
    changes = patch.model_dump(exclude_unset=True)
    if "lead_country" in changes:
        stage.lead_country_id = refs.country(changes.pop("lead_country"), "lead_country")
    if "source" in changes:
        stage.source_id = refs.source(changes.pop("source"))
    number = changes.pop("number", stage.number)
    if number != stage.number:
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
            raise body_error(field, f"{urls} would fall outside the stage; correct them first")


def delete_stage(session: Session, caller: Caller, stage: m.Stage) -> None:
    """Deletes the stage with its parties and seizure reports; the audit log keeps them all."""
    reports = list(
        session.scalars(select(m.SeizureReport).where(m.SeizureReport.stage_id == stage.id))
    )
    for report in _children_first(reports):
        _delete(session, caller, report)
    for participation in session.scalars(
        select(m.Participation).where(m.Participation.stage_id == stage.id)
    ):
        _delete(session, caller, participation)
    _delete(session, caller, stage)


def _children_first(reports: list[m.SeizureReport]) -> list[m.SeizureReport]:
    remaining = {report.id: report for report in reports}
    ordered: list[m.SeizureReport] = []
    while remaining:
        parents = {r.parent_id for r in remaining.values()}
        leaves = [r for r in remaining.values() if r.id not in parents]
        ordered += leaves
        for leaf in leaves:
            del remaining[leaf.id]
    return ordered


def _delete(session: Session, caller: Caller, row: m.Base) -> None:
    record(session, caller, AuditAction.DELETE, row, snapshot(row))
    session.delete(row)
    session.flush()


# -- seizure reports -------------------------------------------------------------------


@dataclass
class SeizureWriter:
    """Creates seizure reports (with their parts) on one stage."""

    session: Session
    caller: Caller
    refs: Refs
    stage: m.Stage
    source_id: int
    locator: str

    def create(
        self, entry: w.SeizureIn, field: str, parent: m.SeizureReport | None
    ) -> m.SeizureReport:
        return self.create_all([(entry, field)], parent)[0]

    def create_all(
        self, entries: list[tuple[w.SeizureIn, str]], parent: m.SeizureReport | None
    ) -> list[m.SeizureReport]:
        """Creates reports with their parts, a level of the breakdowns at a time: one flush
        gives a level its ids, which the next level's parts point to."""
        level = [(entry, field, parent) for entry, field in entries]
        created: list[m.SeizureReport] = []
        parts_of: dict[int, tuple[str, list[m.SeizureReport]]] = {}
        while level:
            built = [
                (self._build(entry, field, above), entry, field) for entry, field, above in level
            ]
            self.session.add_all([report for report, _, _ in built])
            self.session.flush()
            for report, _, _ in built:
                record(self.session, self.caller, AuditAction.CREATE, report, None)
                if report.parent_id in parts_of:
                    parts_of[report.parent_id][1].append(report)
            created += [report for report, _, _ in built]
            level = []
            for report, entry, field in built:
                if entry.parts:
                    parts_of[report.id] = (field, [])
                    level += [
                        (part, _at(field, f"parts[{i}]"), report)
                        for i, part in enumerate(entry.parts)
                    ]
        by_id = {report.id: report for report in created}
        for report_id, (field, parts) in reversed(parts_of.items()):
            check_breakdown(self.session, by_id[report_id], parts, field)
        return created[: len(entries)]  # the first level: the entries themselves

    def _build(
        self, entry: w.SeizureIn, field: str, parent: m.SeizureReport | None
    ) -> m.SeizureReport:
        start = entry.period_start or (parent.period_start if parent else self.stage.start_on)
        end = entry.period_end or (parent.period_end if parent else self.stage.end_on)
        if start is None or end is None:
            missing = "period_start" if start is None else "period_end"
            raise body_error(_at(field, missing), "the stage has no dates; give the period")
        if (problem := period_problem(start, end)) is not None:
            raise body_error(_at(field, "period_end"), problem)
        if not entry.outside_stage:
            check_inside_stage(self.stage, start, end, field)
        country = entry.country
        return m.SeizureReport(
            operation_id=self.stage.operation_id,
            stage_id=self.stage.id,
            country_id=(
                self.refs.country(country, _at(field, "country"))
                if country
                else (parent.country_id if parent else None)
            ),
            period_start=start,
            period_end=end,
            substance_id=self.refs.substance(entry.substance, _at(field, "substance")),
            cases=entry.cases,
            parent_id=parent.id if parent else None,
            outside_stage=entry.outside_stage,
            source_id=self.source_id,
            locator=entry.locator or self.locator,
            **quantity_columns(entry.quantity, entry.qualifier, _at(field, "quantity")),
        )


def check_inside_stage(stage: m.Stage, start: date, end: date, field: str) -> None:
    message = "the period reaches outside the stage's dates; set outside_stage to say so"
    if stage.start_on and start < stage.start_on:
        raise body_error(_at(field, "period_start"), message)
    if stage.end_on and end > stage.end_on:
        raise body_error(_at(field, "period_end"), message)


def check_breakdown(
    session: Session, parent: m.SeizureReport, parts: list[m.SeizureReport], field: str
) -> None:
    problems = breakdown_problems(
        session,
        parent,
        parts,
        parent_label=field or f"report {parent.id}",
        part_label=lambda _, part: f"part {part.id}",
    )
    if problems:
        raise body_error(field or "parts", "; ".join(problems))


def add_seizure(session: Session, caller: Caller, stage: m.Stage, body: w.SeizureCreate) -> int:
    refs = Refs(session)
    parent = None
    if body.parent_id is not None:
        parent = session.get(m.SeizureReport, body.parent_id)
        if parent is None or parent.stage_id != stage.id:
            raise body_error("parent_id", f"no seizure report {body.parent_id} on this stage")
    writer = SeizureWriter(session, caller, refs, stage, refs.source(body.source), body.locator)
    report = writer.create(body, "", parent=parent)
    if parent is not None:
        check_breakdown(session, parent, _parts_of(session, parent), "parent_id")
    return report.id


def _parts_of(session: Session, report: m.SeizureReport) -> list[m.SeizureReport]:
    return list(
        session.scalars(select(m.SeizureReport).where(m.SeizureReport.parent_id == report.id))
    )


def patch_seizure(
    session: Session, caller: Caller, report: m.SeizureReport, patch: w.SeizurePatch
) -> None:
    before = snapshot(report)
    refs = Refs(session)
    changes = patch.model_dump(exclude_unset=True)
    if "quantity" in changes or "qualifier" in changes:
        quantity = patch.quantity if patch.quantity is not None else report.as_reported
        columns = quantity_columns(
            quantity,
            patch.qualifier,
            "quantity",
            default_qualifier=Qualifier(report.qualifier),
            qualifier_field="qualifier" if "quantity" not in changes else "quantity",
        )
        for name, value in columns.items():
            setattr(report, name, value)
    if "substance" in changes:
        report.substance_id = refs.substance(changes["substance"], "substance")
    if "country" in changes:
        report.country_id = refs.country(changes["country"], "country")
    if "source" in changes:
        report.source_id = refs.source(changes["source"])
    for name in ("period_start", "period_end", "cases", "locator", "outside_stage"):
        if name in changes:
            setattr(report, name, changes[name])
    if (problem := period_problem(report.period_start, report.period_end)) is not None:
        field = "period_start" if "period_end" not in changes else "period_end"
        raise body_error(field, problem)
    dates_touched = {"period_start", "period_end", "outside_stage"} & changes.keys()
    if dates_touched and not report.outside_stage and report.stage_id is not None:
        stage = session.get(m.Stage, report.stage_id)
        assert stage is not None
        check_inside_stage(stage, report.period_start, report.period_end, "")
    session.flush()
    if report.parent_id is not None:
        parent = session.get(m.SeizureReport, report.parent_id)
        assert parent is not None
        check_breakdown(session, parent, _parts_of(session, parent), "quantity")
    if parts := _parts_of(session, report):
        check_breakdown(session, report, parts, "quantity")
    record(session, caller, AuditAction.UPDATE, report, before)


def lock_breakdown(session: Session, report_id: int) -> None:
    """Locks what a change to a report is checked against, before the report itself.

    A report's quantity is checked against its parent and siblings. All of a stage's
    reports change under the stage's lock (as posting and deleting stages take it); a
    report with no stage, under the lock of the top report of its breakdown.
    """
    row = session.execute(
        select(m.SeizureReport.stage_id, m.SeizureReport.parent_id).where(
            m.SeizureReport.id == report_id
        )
    ).first()
    if row is None:
        return
    if row.stage_id is not None:
        lock_row(session, m.Stage, row.stage_id)
        return
    top, parent_id = report_id, row.parent_id
    while parent_id is not None:
        top = parent_id
        parent_id = session.scalar(
            select(m.SeizureReport.parent_id).where(m.SeizureReport.id == parent_id)
        )
    if top != report_id:
        lock_row(session, m.SeizureReport, top)


def delete_seizure(session: Session, caller: Caller, report: m.SeizureReport) -> None:
    if parts := _parts_of(session, report):
        raise ConflictError(
            f"seizure report {report.id} has parts; delete them first",
            extra={"parts": [f"/api/v1/seizures/{part.id}" for part in parts]},
        )
    _delete(session, caller, report)


# -- participations --------------------------------------------------------------------


def add_participation(
    session: Session, caller: Caller, stage: m.Stage, body: w.ParticipationCreate
) -> int:
    refs = Refs(session)
    participation = m.Participation(
        stage_id=stage.id,
        role=body.role,
        source_id=refs.source(body.source),
        locator=body.locator,
        **refs.party(body, "party"),
    )
    _add(session, caller, participation)
    return participation.id


def patch_participation(
    session: Session, caller: Caller, participation: m.Participation, patch: w.ParticipationPatch
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
    _delete(session, caller, participation)
