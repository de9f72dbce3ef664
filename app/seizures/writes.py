"""Staff writes to seizure reports: a stage's reports with their breakdowns, and corrections.

Each function validates everything it is given before it writes, writes in the caller's
transaction (never commits), and logs every row it creates, changes or deletes.
"""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app import models as m
from app.db import lock_row
from app.error_words import joined, said
from app.errors import ConflictError
from app.http import bodies as w
from app.models.enums import AuditAction, Qualifier
from app.quantities import QuantityError, UnreadableQuantityError, parse_quantity
from app.rules import (
    breakdown_problems,
    chosen_version,
    period_problem,
    qualifier_problem,
    set_within,
    within_problems,
)
from app.seizures import derived_tables
from app.seizures.schemas import MAX_PART_DEPTH, SeizureCreate, SeizureIn, SeizurePatch
from app.staff.audit import record, record_created, snapshot
from app.staff.keys import Caller
from app.writes import Refs, body_error, delete_audited, field_at, insert_new


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
        raise body_error(field, joined([error.args[0], w.QUANTITY_FORMS])) from error
    except QuantityError as error:
        raise body_error(field, error.args[0]) from error
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
    # Every report made, parts too, in the order of their ids.
    created: list[m.SeizureReport] = dataclasses.field(default_factory=list)

    def create(
        self, entry: SeizureIn, field: str, parent: m.SeizureReport | None
    ) -> m.SeizureReport:
        return self.create_all([(entry, field)], parent)[0]

    def create_all(
        self,
        entries: list[tuple[SeizureIn, str]],
        parent: m.SeizureReport | None,
        *,
        log: list[m.Base] | None = None,
    ) -> list[m.SeizureReport]:
        """Creates reports with their parts, a level of the breakdowns at a time: one
        statement gives a level its ids, which the next level's parts point to. Every report
        made, parts too, is logged: at once, or, given `log`, added to it for the caller to
        log with its own records in one statement (`record_created`)."""
        level = [(entry, field, parent) for entry, field in entries]
        created: list[m.SeizureReport] = []
        parts_of: dict[int, tuple[str, list[m.SeizureReport]]] = {}
        while level:
            built = [
                (self.build(entry, field, above), entry, field) for entry, field, above in level
            ]
            reports = [report for report, _, _ in built]
            derived_tables.inserting(self.session, [report.parent_id for report in reports])
            insert_new(self.session, reports)
            derived_tables.inserted(self.session, reports)
            for report in reports:
                if report.parent_id in parts_of:
                    parts_of[report.parent_id][1].append(report)
            created += reports
            level = []
            for report, entry, field in built:
                if entry.parts:
                    parts_of[report.id] = (field, [])
                    level += [
                        (part, field_at(field, f"parts[{i}]"), report)
                        for i, part in enumerate(entry.parts)
                    ]
        if log is None:
            record_created(self.session, self.caller, created)
        else:
            log += created
        by_id = {report.id: report for report in created}
        for report_id, (field, parts) in reversed(parts_of.items()):
            # What the client knows these reports by is their place in the body.
            check_breakdown(
                self.session,
                by_id[report_id],
                parts,
                field=field or "parts",
                parent_label=field or THIS_REPORT["whole"],
                part_label=_at_position(field),
            )
        self.created += created
        return created[: len(entries)]  # the first level: the entries themselves

    def build(
        self, entry: SeizureIn, field: str, parent: m.SeizureReport | None
    ) -> m.SeizureReport:
        start = entry.period_start or (parent.period_start if parent else self.stage.start_on)
        end = entry.period_end or (parent.period_end if parent else self.stage.end_on)
        if start is None or end is None:
            missing = "period_start" if start is None else "period_end"
            raise body_error(
                field_at(field, missing),
                said("the stage has no dates; give the period", "у этапа нет дат; укажите период"),
            )
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
    message = said(
        "the period reaches outside the stage's dates; set outside_stage to say so",
        "период выходит за даты этапа; если так и есть, отметьте outside_stage",
    )
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
        raise body_error(field, joined(problems))


def _at_position(field: str) -> PartLabel:
    """Parts posted in one body, by their place in it: `seizures[0].parts[1]`."""
    return lambda index, _: field_at(field, f"parts[{index}]")


def _known_as(report: m.SeizureReport, written: m.SeizureReport, role: str) -> str:
    """A stored report as the client knows it: `this report` for the one the request
    writes, any other by its URL. `role` is the report's place in the message, "whole" or
    "part", which the Russian says in two cases."""
    return THIS_REPORT[role] if report.id == written.id else f"/api/v1/seizures/{report.id}"


# "the parts of this report" / "части этой сводки"; "this report: its period" / "эта сводка"
THIS_REPORT = {
    "whole": said("this report", "этой сводки"),
    "part": said("this report", "эта сводка"),
}


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
        parent_label=_known_as(parent, written, "whole"),
        part_label=lambda _, part: _known_as(part, written, "part"),
    )


def add_seizure(session: Session, caller: Caller, stage: m.Stage, body: SeizureCreate) -> int:
    refs = Refs(session)
    if body.alternative_to is not None:
        return _add_version(session, caller, refs, stage, body)
    parent = None
    if body.parent_id is not None:
        parent = session.get(m.SeizureReport, body.parent_id)
        if parent is None or parent.stage_id != stage.id:
            raise body_error(
                "parent_id",
                said(
                    f"no seizure report {body.parent_id} on this stage",
                    f"на этом этапе нет сводки об изъятии {body.parent_id}",
                ),
            )
        _check_depth_under(session, parent, body)
    writer = SeizureWriter(session, caller, refs, stage, refs.source(body.source), body.locator)
    report = writer.create(body, "", parent=parent)
    if parent is not None:
        check_stored_breakdown(session, parent, report, "parent_id")
        if body.within is not None:
            raise body_error("within", PART_FOLLOWS_ITS_WHOLE)
        set_within(session, report, parent.within_id)
    elif body.within is not None:
        _put_within(session, report, body.within)
    return report.id


PART_FOLLOWS_ITS_WHOLE = said(
    "a part is within what its top report is within: set `within` on that report",
    "часть входит в то же, во что входит её верхняя сводка: укажите `within` у неё",
)


def _put_within(session: Session, report: m.SeizureReport, cover_id: int) -> None:
    """Puts a top report, with its parts, within the broader figure `cover_id`."""
    cover = session.get(m.SeizureReport, cover_id)
    if cover is None:
        raise body_error(
            "within", said(f"no seizure report {cover_id}", f"нет сводки об изъятии {cover_id}")
        )
    if problems := within_problems(session, cover, [report]):
        raise body_error("within", problems[0])
    set_within(session, report, cover.id)
    session.flush()


def _check_within_after_edit(session: Session, report: m.SeizureReport) -> None:
    """An edit keeps the report inside the figure it is within, and the figures within it
    inside it."""
    if report.within_id is not None and report.parent_id is None:
        cover = session.get_one(m.SeizureReport, report.within_id)
        if problems := within_problems(session, cover, [report]):
            raise body_error("within", problems[0])
    held = list(session.scalars(select(m.SeizureReport).where(_top_within(report.id))))
    if held and (problems := within_problems(session, report, held)):
        raise body_error("", problems[0])


def _top_within(report_id: int) -> Any:
    return and_(m.SeizureReport.within_id == report_id, m.SeizureReport.parent_id.is_(None))


def _add_version(
    session: Session, caller: Caller, refs: Refs, stage: m.Stage, body: SeizureCreate
) -> int:
    """Another source's version of a stored figure: written beside it with `alternative_to`,
    so totals count the figure once. The figure must stay the one the rule picks."""
    counted = session.get(m.SeizureReport, body.alternative_to)
    if counted is None or counted.stage_id != stage.id or counted.alternative_to_id is not None:
        raise body_error("alternative_to", NOT_A_COUNTED_FIGURE)
    for given, problem in (
        ("parent_id", body.parent_id is not None),
        ("parts", bool(body.parts)),
        ("within", body.within is not None),
        ("substance", refs.substance(body.substance, "substance") != counted.substance_id),
    ):
        if problem:
            raise body_error(given, VERSION_RULES[given])
    source_id = refs.source(body.source)
    pair = [counted.source_id, source_id]
    if chosen_version(pair, lambda found: _source_rank_of(session, found)) != 0:
        raise body_error("source", VERSION_RANKS_FIRST)
    writer = SeizureWriter(session, caller, refs, stage, source_id, body.locator)
    # The same period as its figure unless the version says otherwise.
    dated = body.model_copy(
        update={
            "period_start": body.period_start or counted.period_start,
            "period_end": body.period_end or counted.period_end,
        }
    )
    version = writer.build(dated, "", None)
    if version.unit_kind != counted.unit_kind:
        raise body_error("quantity", VERSION_RULES["quantity"])
    version.alternative_to_id = counted.id
    session.add(version)
    session.flush()
    record(session, caller, AuditAction.CREATE, version, None)
    return version.id


def _source_rank_of(session: Session, source_id: int) -> tuple[str | None, date | None]:
    source = session.get_one(m.Source, source_id)
    return source.kind, source.published_on


NOT_A_COUNTED_FIGURE = said(
    "name a seizure report of this stage that is no version of another",
    "укажите сводку об изъятии этого этапа, которая сама не является версией другой",
)
VERSION_RULES = {
    "parent_id": said(
        "a version stands beside its figure, not as a part: leave parent_id out",
        "версия стоит рядом со своим показателем, а не частью: не передавайте parent_id",
    ),
    "parts": said(
        "a version has no parts of its own; its figure's breakdown counts",
        "у версии нет своих частей; считается разбивка её показателя",
    ),
    "within": said(
        "a version is never counted, so it is within nothing: its figure's `within` holds",
        "версия никогда не считается и ни во что не входит: действует `within` её показателя",
    ),
    "substance": said(
        "a version is of the same substance as its figure",
        "версия относится к тому же веществу, что и её показатель",
    ),
    "quantity": said(
        "a version measures what its figure does", "версия измеряет то же, что и её показатель"
    ),
}
VERSION_RANKS_FIRST = said(
    "this source ranks before the figure's own (see /methods), so its version is the one "
    "totals use: correct the figure (PATCH its quantity and source) and post the other as "
    "its version",
    "этот источник стоит по правилу выше источника показателя (см. /methods), и итоги "
    "берут его версию: исправьте показатель (PATCH его количества и источника), а другую "
    "отправьте как его версию",
)


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
            said(
                f"parts nest at most {MAX_PART_DEPTH} levels below their report: report "
                f"{parent.id} is on level {parent_level} of its breakdown, so this report's "
                f"parts would reach level {deepest}",
                f"части вкладываются не глубже {MAX_PART_DEPTH} уровней под своей сводкой: "
                f"сводка {parent.id} стоит на уровне {parent_level} своей разбивки, и части "
                f"этой сводки дошли бы до уровня {deepest}",
            ),
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
    if "within" in changes:
        if report.parent_id is not None:
            raise body_error("within", PART_FOLLOWS_ITS_WHOLE)
        if patch.within is None:
            set_within(session, report, None)
        else:
            _put_within(session, report, patch.within)
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
    _check_within_after_edit(session, report)
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
    held = session.scalars(select(m.SeizureReport.id).where(_top_within(report.id))).all()
    if held:
        raise ConflictError(
            said(
                "other reports are within this one; take them out of it first (PATCH their "
                "`within` to null)",
                "в эту сводку входят другие; сначала выведите их из неё (PATCH их `within` в null)",
            ),
            extra={"within": [f"/api/v1/seizures/{held_id}" for held_id in held]},
        )
    if parts := _parts_of(session, report):
        raise ConflictError(
            said(
                "the report has parts; delete them first",
                "у сводки есть части; сначала удалите их",
            ),
            extra={"parts": [f"/api/v1/seizures/{part.id}" for part in parts]},
        )
    delete_audited(session, caller, report)
