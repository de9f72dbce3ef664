"""Staff writes to seizure reports: a stage's reports with their breakdowns, and corrections.

Each function validates everything it is given before it writes, writes in the caller's
transaction (never commits), and logs every row it creates, changes or deletes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import models as m
from app.db import lock_row
from app.errors import ConflictError
from app.http import bodies as w
from app.models.enums import AuditAction, Qualifier
from app.quantities import QuantityError, UnreadableQuantityError, parse_quantity
from app.rules import breakdown_problems, period_problem, qualifier_problem
from app.seizures.schemas import MAX_PART_DEPTH, SeizureCreate, SeizureIn, SeizurePatch
from app.staff.audit import record, snapshot
from app.staff.keys import Caller
from app.writes import Refs, body_error, delete_audited, field_at


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
    except UnreadableQuantityError as error:
        raise body_error(field, f"{error}; {w.QUANTITY_FORMS}") from error
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
        self, entry: SeizureIn, field: str, parent: m.SeizureReport | None
    ) -> m.SeizureReport:
        return self.create_all([(entry, field)], parent)[0]

    def create_all(
        self, entries: list[tuple[SeizureIn, str]], parent: m.SeizureReport | None
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
                        (part, field_at(field, f"parts[{i}]"), report)
                        for i, part in enumerate(entry.parts)
                    ]
        by_id = {report.id: report for report in created}
        for report_id, (field, parts) in reversed(parts_of.items()):
            # What the client knows these reports by is their place in the body.
            check_breakdown(
                self.session,
                by_id[report_id],
                parts,
                field=field or "parts",
                parent_label=field or "this report",
                part_label=_at_position(field),
            )
        return created[: len(entries)]  # the first level: the entries themselves

    def _build(
        self, entry: SeizureIn, field: str, parent: m.SeizureReport | None
    ) -> m.SeizureReport:
        start = entry.period_start or (parent.period_start if parent else self.stage.start_on)
        end = entry.period_end or (parent.period_end if parent else self.stage.end_on)
        if start is None or end is None:
            missing = "period_start" if start is None else "period_end"
            raise body_error(field_at(field, missing), "the stage has no dates; give the period")
        if (problem := period_problem(start, end)) is not None:
            raise body_error(field_at(field, "period_end"), problem)
        if not entry.outside_stage:
            check_inside_stage(self.stage, start, end, field)
        country = entry.country
        return m.SeizureReport(
            operation_id=self.stage.operation_id,
            stage_id=self.stage.id,
            country_id=(
                self.refs.country(country, field_at(field, "country"))
                if country
                else (parent.country_id if parent else None)
            ),
            period_start=start,
            period_end=end,
            substance_id=self.refs.substance(entry.substance, field_at(field, "substance")),
            cases=entry.cases,
            parent_id=parent.id if parent else None,
            outside_stage=entry.outside_stage,
            source_id=self.source_id,
            locator=entry.locator or self.locator,
            **quantity_columns(entry.quantity, entry.qualifier, field_at(field, "quantity")),
        )


def check_inside_stage(stage: m.Stage, start: date, end: date, field: str) -> None:
    message = "the period reaches outside the stage's dates; set outside_stage to say so"
    if stage.start_on and start < stage.start_on:
        raise body_error(field_at(field, "period_start"), message)
    if stage.end_on and end > stage.end_on:
        raise body_error(field_at(field, "period_end"), message)


PartLabel = Callable[[int, m.SeizureReport], str]


def check_breakdown(
    session: Session,
    parent: m.SeizureReport,
    parts: list[m.SeizureReport],
    *,
    field: str,
    parent_label: str,
    part_label: PartLabel,
) -> None:
    """A 422 naming `field` when `parts` cannot be the breakdown of `parent`."""
    problems = breakdown_problems(
        session, parent, parts, parent_label=parent_label, part_label=part_label
    )
    if problems:
        raise body_error(field, "; ".join(problems))


def _at_position(field: str) -> PartLabel:
    """Parts posted in one body, by their place in it: `seizures[0].parts[1]`."""
    return lambda index, _: field_at(field, f"parts[{index}]")


def _known_as(report: m.SeizureReport, written: m.SeizureReport) -> str:
    """A stored report as the client knows it: `this report` for the one the request
    writes, any other by its URL."""
    return "this report" if report.id == written.id else f"/api/v1/seizures/{report.id}"


def check_stored_breakdown(
    session: Session, parent: m.SeizureReport, written: m.SeizureReport, field: str
) -> None:
    """The breakdown of a stored report, once `written`, the parent or a part, changed."""
    if not (parts := _parts_of(session, parent)):
        return
    check_breakdown(
        session,
        parent,
        parts,
        field=field,
        parent_label=_known_as(parent, written),
        part_label=lambda _, part: _known_as(part, written),
    )


def add_seizure(session: Session, caller: Caller, stage: m.Stage, body: SeizureCreate) -> int:
    refs = Refs(session)
    parent = None
    if body.parent_id is not None:
        parent = session.get(m.SeizureReport, body.parent_id)
        if parent is None or parent.stage_id != stage.id:
            raise body_error("parent_id", f"no seizure report {body.parent_id} on this stage")
        _check_depth_under(session, parent, body)
    writer = SeizureWriter(session, caller, refs, stage, refs.source(body.source), body.locator)
    report = writer.create(body, "", parent=parent)
    if parent is not None:
        check_stored_breakdown(session, parent, report, "parent_id")
    return report.id


def _check_depth_under(session: Session, parent: m.SeizureReport, body: SeizureIn) -> None:
    """A report added as a part keeps its breakdown within MAX_PART_DEPTH levels, as the
    reports of a posted stage do (their own check is in the schema)."""
    parent_level, above = 0, parent.parent_id
    while above is not None:
        parent_level += 1
        above = session.scalar(select(m.SeizureReport.parent_id).where(m.SeizureReport.id == above))
    deepest = parent_level + 1 + body.depth()
    if deepest > MAX_PART_DEPTH:
        raise body_error(
            "parent_id",
            f"parts nest at most {MAX_PART_DEPTH} levels below their report: report "
            f"{parent.id} is on level {parent_level} of its breakdown, so this report's "
            f"parts would reach level {deepest}",
        )


def _parts_of(session: Session, report: m.SeizureReport) -> list[m.SeizureReport]:
    return list(
        session.scalars(select(m.SeizureReport).where(m.SeizureReport.parent_id == report.id))
    )


def patch_seizure(
    session: Session, caller: Caller, report: m.SeizureReport, patch: SeizurePatch
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
        check_stored_breakdown(session, parent, report, "quantity")
    check_stored_breakdown(session, report, report, "quantity")
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
            "the report has parts; delete them first",
            extra={"parts": [f"/api/v1/seizures/{part.id}" for part in parts]},
        )
    delete_audited(session, caller, report)
