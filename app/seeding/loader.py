"""Loads seed files: validate everything first, then upsert by natural keys in one transaction.

The caller owns the transaction: a `SeedError` anywhere means the caller rolls back and
nothing of the seed is kept.
"""

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, MultipleResultsFound
from sqlalchemy.orm import Session

from app import models as m
from app.common import subtree_ids
from app.models.base import entity_name
from app.models.enums import ClaimField, Qualifier
from app.quantities import QuantityError, parse_count, parse_quantity, parse_reported
from app.rules import (
    breakdown_problems,
    chosen_version,
    party_kind,
    period_problem,
    qualifier_problem,
    set_within,
    within_problems,
)
from app.seeding import schema as s
from app.seizures import derived_tables

Row = TypeVar("Row", bound=m.Base)


class SeedError(Exception):
    def __init__(self, file: Path | str, entry: str, message: str) -> None:
        super().__init__(f"{file}: {entry}: {message}")
        self.file = str(file)
        self.entry = entry
        self.message = message


class _EntryError(Exception):
    """A problem found while applying one entry; becomes a SeedError naming the entry."""


@dataclass
class Tally:
    """What a load did, per table."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, table: str, outcome: str) -> None:
        self.counts.setdefault(table, Counter())[outcome] += 1

    @property
    def changed(self) -> int:
        return sum(c["inserted"] + c["updated"] for c in self.counts.values())


@dataclass(frozen=True)
class SeedDocument:
    path: Path
    content: s.SeedFile

    def entries(self) -> int:
        return sum(len(getattr(self.content, name)) for name in s.SeedFile.model_fields)


def read_seed_files(directory: Path, *, subfolders: bool = True) -> list[SeedDocument]:
    """Every seed file in `directory` and (unless told not to) its subfolders
    (`channel/2018.yaml`), in path order; the sections are applied in dependency order
    whatever file holds them."""
    find = directory.rglob if subfolders else directory.glob
    paths = sorted(find("*.yaml")) + sorted(find("*.yml"))
    if not paths:
        raise SeedError(directory, "-", "no *.yaml seed files here")
    return [read_seed_file(path) for path in paths]


def read_seed_file(path: Path) -> SeedDocument:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise SeedError(path, "-", f"not valid YAML: {error}") from error
    try:
        return SeedDocument(path, s.SeedFile.model_validate(raw))
    except ValidationError as error:
        first = error.errors()[0]
        entry = _describe_location(raw, first["loc"])
        raise SeedError(path, entry, first["msg"]) from error


def _describe_location(raw: Any, loc: tuple[int | str, ...]) -> str:
    """'operations[0] (channel).participations[2]' from a pydantic error location."""
    parts: list[str] = []
    node = raw
    for step in loc:
        if isinstance(step, int):
            parts[-1] += f"[{step}]"
            node = node[step] if isinstance(node, list) and step < len(node) else None
            key = _natural_key(node)
            if key:
                parts[-1] += f" ({key})"
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts) or "-"


def _natural_key(node: Any) -> str | None:
    if not isinstance(node, dict):
        return None
    for name in ("slug", "iso3", "substance", "country", "organization", "number"):
        if name in node:
            return str(node[name])
    return None


def apply_seeds(
    session: Session, documents: list[SeedDocument], on_entry: Callable[[], None] | None = None
) -> Tally:
    loader = _Loader(session, on_entry or (lambda: None))
    for section, apply in loader.sections():
        for document in documents:
            for index, entry in enumerate(getattr(document.content, section)):
                label = f"{section}[{index}]" + (f" ({k})" if (k := _key_of(entry)) else "")
                try:
                    apply(entry)
                except (_EntryError, QuantityError) as error:
                    raise SeedError(document.path, label, str(error)) from error
                loader.on_entry()
    substances = loader.tally.counts.get("substances", Counter())
    if substances["inserted"] + substances["updated"]:
        # Moving a substance in the tree changes which reports may overlap.
        session.flush()
        derived_tables.rebuild(session)
    return loader.tally


def _key_of(entry: s.Entry) -> str | None:
    return _natural_key(entry.model_dump())


class _Loader:
    def __init__(self, session: Session, on_entry: Callable[[], None]) -> None:
        self.session = session
        self.on_entry = on_entry
        self.tally = Tally()
        self._ids: dict[tuple[type[m.Base], str], int] = {}

    def sections(self) -> list[tuple[str, Callable[[Any], None]]]:
        return [
            ("sources", self.source),
            ("countries", self.country),
            ("organizations", self.organization),
            ("substances", self.substance),
            ("memberships", self.membership),
            ("bodies", self.body),
            ("documents", self.document),
            ("activities", self.activity),
            ("events", self.event),
            ("operations", self.operation),
            ("stages", self.record_stage),
            ("meetings", self.meeting),
            ("membership_statements", self.membership_statement),
            ("reported_figures", self.reported_figure),
            ("seizure_reports", self.seizure_report),
            ("summary_covers", self.summary_cover),
        ]

    # -- lookups -------------------------------------------------------------------------

    def id_of(self, model: type[m.Base], key: str, value: str) -> int:
        cached = self._ids.get((model, value))
        if cached is not None:
            return cached
        found = self.session.scalar(select(model.id).where(getattr(model, key) == value))  # type: ignore[attr-defined]
        if found is None:
            raise _EntryError(f"unknown {entity_name(model)} {value!r}")
        self._ids[(model, value)] = found
        return int(found)

    def maybe_id(self, model: type[m.Base], key: str, value: str | None) -> int | None:
        return None if value is None else self.id_of(model, key, value)

    def source_of(self, citation: s.Citation) -> m.Source:
        """The cited source's row (its language reads figures, its kind and date rank them)."""
        source_id = self.id_of(m.Source, "slug", citation.source)
        return self.session.get_one(m.Source, source_id)

    def rank_key(self, citation: s.Citation) -> tuple[str | None, Any]:
        source = self.source_of(citation)
        return source.kind, source.published_on

    def cite(self, citation: s.Citation | None) -> dict[str, Any]:
        if citation is None:
            return {"source_id": None, "locator": None}
        return {
            "source_id": self.id_of(m.Source, "slug", citation.source),
            "locator": citation.locator,
        }

    # -- the one write primitive ---------------------------------------------------------

    def upsert(self, model: type[Row], key: dict[str, Any], values: dict[str, Any]) -> Row:
        table = model.__tablename__
        with self._flushing(table):
            row = self.session.scalars(select(model).filter_by(**key)).one_or_none()
            if row is None:
                row = model(**key, **values)
                self.session.add(row)
                self.tally.add(table, "inserted")
            else:
                changed = {k: v for k, v in values.items() if getattr(row, k) != v}
                for name, value in changed.items():
                    setattr(row, name, value)
                self.tally.add(table, "updated" if changed else "unchanged")
        return row

    @contextmanager
    def _flushing(self, table: str) -> Iterator[None]:
        try:
            yield
            self.session.flush()
        except MultipleResultsFound as error:
            raise _EntryError(f"{table} holds more than one row for this entry") from error
        except IntegrityError as error:
            raise _EntryError(f"the database refused it: {error.orig}") from error

    # -- sections ------------------------------------------------------------------------

    def source(self, e: s.SourceEntry) -> None:
        self.upsert(
            m.Source,
            {"slug": e.slug},
            {
                "title": e.title,
                "publisher": e.publisher,
                "publisher_ru": e.publisher_ru,
                "published_on": e.published.value if e.published else None,
                "published_precision": e.published.precision if e.published else None,
                "language": e.language,
                "url": e.url,
                "accessed_on": e.accessed,
                "reference": e.reference,
                "locator_scheme": e.locator_scheme,
                "locator_scheme_ru": e.locator_scheme_ru,
                "is_example": e.example,
                "kind": e.kind,
                "reliability_note": e.reliability_note,
            },
        )

    def _names(self, e: s.NamedEntry) -> dict[str, Any]:
        return {
            "name_en": e.name_en,
            "name_ru": e.name_ru,
            "aliases_en": list(e.aliases_en),
            "aliases_ru": list(e.aliases_ru),
        }

    def country(self, e: s.CountryEntry) -> None:
        self.upsert(m.Country, {"iso3": e.iso3}, {**self._names(e), **self.cite(e.cite)})

    def organization(self, e: s.OrganizationEntry) -> None:
        self.upsert(
            m.Organization,
            {"slug": e.slug},
            {
                **self._names(e),
                "kind": e.kind,
                "acronym_en": e.acronym_en,
                "acronym_ru": e.acronym_ru,
                "country_id": self.maybe_id(m.Country, "iso3", e.country),
                "parent_id": self.maybe_id(m.Organization, "slug", e.parent),
                "description": e.description,
                **self.cite(e.cite),
            },
        )

    def substance(self, e: s.SubstanceEntry) -> None:
        self.upsert(
            m.Substance,
            {"slug": e.slug},
            {
                **self._names(e),
                "parent_id": self.maybe_id(m.Substance, "slug", e.parent),
                "description": e.description,
            },
        )

    def membership(self, e: s.MembershipEntry) -> None:
        country_id = self.id_of(m.Country, "iso3", e.country)
        organization_id = self.id_of(m.Organization, "slug", e.organization)
        self.upsert(
            m.Membership,
            {
                "country_id": country_id,
                "organization_id": organization_id,
                "valid_from": e.valid_from,
            },
            {"status": e.status, "valid_to": e.valid_to, **self.cite(e.cite)},
        )
        self._check_memberships_disjoint(country_id, organization_id)

    def _check_memberships_disjoint(self, country_id: int, organization_id: int) -> None:
        periods = self.session.execute(
            select(m.Membership.valid_from, m.Membership.valid_to)
            .filter_by(country_id=country_id, organization_id=organization_id)
            .order_by(m.Membership.valid_from)
        ).all()
        for (_, earlier_end), (later_start, _) in pairwise(periods):
            if earlier_end is None or earlier_end >= later_start:
                raise _EntryError(f"overlaps another membership period starting {later_start}")

    def body(self, e: s.BodyEntry) -> None:
        self.upsert(
            m.Body,
            {"slug": e.slug},
            {
                "name_en": e.name_en,
                "name_ru": e.name_ru,
                "acronym_en": e.acronym_en,
                "acronym_ru": e.acronym_ru,
                "parent_id": self.maybe_id(m.Body, "slug", e.parent),
                "organization_id": self.maybe_id(m.Organization, "slug", e.organization),
                "established_on": e.established_on,
                "purpose": e.purpose,
                **self.cite(e.cite),
            },
        )

    def document(self, e: s.DocumentEntry) -> None:
        start, end = e.period or (None, None)
        self.upsert(
            m.Document,
            {"slug": e.slug},
            {
                "kind": e.kind,
                "title_en": e.title_en,
                "title_ru": e.title_ru,
                "issuer_id": self.maybe_id(m.Organization, "slug", e.issuer),
                "adopted_on": e.adopted.value if e.adopted else None,
                "adopted_precision": e.adopted.precision if e.adopted else None,
                "period_start_year": start,
                "period_end_year": end,
                "status": e.status,
                "parent_id": self.maybe_id(m.Document, "slug", e.parent),
                "body_id": self.maybe_id(m.Body, "slug", e.body),
                "body_relation": e.body_relation,
                "summary": e.summary,
                "summary_ru": e.summary_ru,
                **self.cite(e.cite),
            },
        )

    def activity(self, e: s.ActivityEntry) -> None:
        row = self.upsert(
            m.Activity,
            {"slug": e.slug},
            {
                "body_id": self.id_of(m.Body, "slug", e.body),
                "name_en": e.name_en,
                "name_ru": e.name_ru,
                "description": e.description,
                "description_ru": e.description_ru,
                **self.cite(e.cite),
            },
        )
        self.participations({"activity_id": row.id}, e.participations)

    def event(self, e: s.EventEntry) -> None:
        row = self.upsert(
            m.Event,
            {"slug": e.slug},
            {
                "kind": e.kind,
                "name_en": e.name_en,
                "name_ru": e.name_ru,
                "start_on": e.start_on,
                "end_on": e.end_on,
                "date_precision": e.date_precision,
                "place": e.place,
                "country_id": self.maybe_id(m.Country, "iso3", e.country),
                "occasion": e.occasion,
                "occasion_organization_id": self.maybe_id(
                    m.Organization, "slug", e.occasion_organization
                ),
                "description": e.description,
                "description_ru": e.description_ru,
                **self.cite(e.cite),
            },
        )
        self.participations({"event_id": row.id}, e.participations)

    def participations(self, target: dict[str, int], entries: list[s.ParticipationEntry]) -> None:
        for p in entries:
            kind = party_kind(
                member_states=bool(p.member_states), country=p.country, organization=p.organization
            )
            self.upsert(
                m.Participation,
                {
                    **target,
                    "party_kind": kind,
                    "country_id": self.maybe_id(m.Country, "iso3", p.country),
                    "organization_id": self.maybe_id(m.Organization, "slug", p.organization),
                    "role": p.role,
                },
                {
                    "party_detail": p.party_detail,
                    "party_detail_ru": p.party_detail_ru,
                    "regularity": p.regularity,
                    **self.cite(p.cite),
                },
            )

    def operation(self, e: s.OperationEntry) -> None:
        row = self.upsert(
            m.Operation,
            {"slug": e.slug},
            {
                **self._names(e),
                "kind": e.kind,
                "body_id": self.maybe_id(m.Body, "slug", e.body),
                "description": e.description,
                "description_ru": e.description_ru,
                **self.cite(e.cite),
            },
        )
        for status in e.statuses:
            self.upsert(
                m.OperationStatus,
                {"operation_id": row.id, "status_en": status.status_en},
                {
                    "status_ru": status.status_ru,
                    "valid_from": status.valid_from.value if status.valid_from else None,
                    "valid_from_precision": (
                        status.valid_from.precision if status.valid_from else None
                    ),
                    "decision_id": self.maybe_id(m.Document, "slug", status.decision),
                    **self.cite(status.cite),
                },
            )
        for position, objective in enumerate(e.objectives, start=1):
            self.upsert(
                m.ExerciseObjective,
                {"operation_id": row.id, "position": position},
                {
                    "summary": objective.summary,
                    "summary_ru": objective.summary_ru,
                    **self.cite(objective.cite),
                },
            )
        for assessment in e.assessments:
            self.upsert(
                m.Assessment,
                {
                    "operation_id": row.id,
                    "assessor_kind": assessment.assessor,
                    "organization_id": self.maybe_id(
                        m.Organization, "slug", assessment.organization
                    ),
                },
                {
                    "channel": assessment.channel,
                    "verdict": assessment.verdict,
                    **self.cite(assessment.cite),
                },
            )
        self.participations({"operation_id": row.id}, e.participations)
        for stage in e.stages:
            self.stage(row.id, stage)

    def stage(self, operation_id: int, e: s.StageEntry) -> None:
        row = self.upsert(
            m.Stage,
            {"operation_id": operation_id, "number": e.number},
            {
                "name": e.name,
                "start_on": e.start_on,
                "end_on": e.end_on,
                "lead_country_id": self.maybe_id(m.Country, "iso3", e.lead_country),
                "description": e.description,
                "description_ru": e.description_ru,
                **self.cite(e.cite),
            },
        )
        self.participations({"stage_id": row.id}, e.participations)

    def reported_figure(self, e: s.ReportedFigureEntry) -> None:
        self.upsert(
            m.ReportedFigure,
            {"slug": e.slug},
            {
                "metric": e.metric,
                "body_id": self.maybe_id(m.Body, "slug", e.body),
                "operation_id": self.maybe_id(m.Operation, "slug", e.operation),
                "value": e.value,
                "unit": e.unit,
                "qualifier": e.qualifier,
                "per": e.per,
                "as_reported": e.as_reported,
                "as_of": e.as_of.value,
                "as_of_precision": e.as_of.precision,
                "description": e.description,
                "description_ru": e.description_ru,
                **self.cite(e.cite),
            },
        )

    def seizure_report(self, e: s.SeizureReportEntry) -> None:
        operation_id = self.id_of(m.Operation, "slug", e.operation)
        stage_id = None
        if e.stage is not None:
            stage_id = self.session.scalar(
                select(m.Stage.id).filter_by(operation_id=operation_id, number=e.stage)
            )
            if stage_id is None:
                raise _EntryError(f"operation {e.operation!r} has no stage {e.stage}")
        scope = {"operation_id": operation_id, "stage_id": stage_id}
        row = self._seizure(e, scope, e.period, e.country, parent=None, label=e.substance)
        if e.covers_stages:
            self._covered_stages(row, e.covers_stages)

    def summary_cover(self, e: s.SummaryCoverEntry) -> None:
        summaries = list(
            self.session.scalars(
                select(m.SeizureReport).where(
                    m.SeizureReport.operation_id == self.id_of(m.Operation, "slug", e.operation),
                    m.SeizureReport.stage_id.is_(None),
                    m.SeizureReport.parent_id.is_(None),
                    m.SeizureReport.alternative_to_id.is_(None),
                    m.SeizureReport.period_start == e.period[0],
                    m.SeizureReport.period_end == e.period[1],
                    m.SeizureReport.substance_id == self.id_of(m.Substance, "slug", e.substance),
                )
            )
        )
        if len(summaries) != 1:
            raise _EntryError(
                f"{len(summaries)} top-level figures of {e.substance} for "
                f"{e.period[0]}/{e.period[1]} and no stage; name exactly one"
            )
        self._covered_stages(summaries[0], e.covers_stages)

    def _covered_stages(self, summary: m.SeizureReport, stages: list[str]) -> None:
        """The stages' counted top-level figures under the summary's substance, with their
        breakdowns, are `within` it: a year's figure is never added beside the stages it
        covers, and keeps its own breakdown by substance."""
        subtree = subtree_ids(self.session, summary.substance_id)
        tops: list[m.SeizureReport] = []
        for slug in stages:
            stage_id = self.id_of(m.Stage, "slug", slug)
            found = list(
                self.session.scalars(
                    select(m.SeizureReport).where(
                        m.SeizureReport.stage_id == stage_id,
                        m.SeizureReport.parent_id.is_(None),
                        m.SeizureReport.alternative_to_id.is_(None),
                        m.SeizureReport.substance_id.in_(subtree),
                    )
                )
            )
            if not found:
                raise _EntryError(f"stage {slug!r} has no figure this summary could cover")
            tops += found
        if problems := within_problems(self.session, summary, tops):
            raise _EntryError("; ".join(problems))
        for report in tops:
            set_within(self.session, report, summary.id)
        self.session.flush()

    def _seizure(
        self,
        e: s.SeizurePartEntry,
        scope: dict[str, Any],
        period: tuple[Any, Any],
        country: str | None,
        parent: m.SeizureReport | None,
        label: str,
    ) -> m.SeizureReport:
        if (problem := period_problem(*period)) is not None:
            raise _EntryError(f"{label}: {problem}")
        quantity = parse_quantity(e.quantity)
        if (problem := qualifier_problem(e.qualifier, quantity.qualifier, e.quantity)) is not None:
            raise _EntryError(f"{label}: {problem}")
        substance_id = self.id_of(m.Substance, "slug", e.substance)
        row = self.upsert(
            m.SeizureReport,
            {
                **scope,
                "country_id": self.maybe_id(m.Country, "iso3", country),
                "substance_id": substance_id,
                "period_start": period[0],
                "period_end": period[1],
                "parent_id": parent.id if parent else None,
            },
            {
                "unit_kind": quantity.unit_kind,
                "amount": quantity.amount,
                "qualifier": e.qualifier or quantity.qualifier or Qualifier.EXACT,
                "cases": e.cases,
                "as_reported": e.quantity,
                **self.cite(e.cite),
            },
        )
        children = [
            self._seizure(
                part,
                scope,
                part.period or period,
                part.country or country,
                parent=row,
                label=f"{label} > {part.substance}",
            )
            for part in e.parts
        ]
        if children:
            self._check_breakdown(row, children, label)
        return row

    def _check_breakdown(
        self, parent: m.SeizureReport, children: list[m.SeizureReport], label: str
    ) -> None:
        problems = breakdown_problems(
            self.session,
            parent,
            children,
            parent_label=label,
            part_label=lambda index, _: f"part {index}",
        )
        if problems:
            raise _EntryError("; ".join(problems))

    # -- the public record (issue 23) -----------------------------------------------------

    def chosen(self, versions: list[Any]) -> tuple[Any, list[Any]]:
        """The version the rule uses, and the others."""
        index = chosen_version(versions, lambda v: self.rank_key(v.cite))
        return versions[index], versions[:index] + versions[index + 1 :]

    def claims_by_field(self, claims: list[s.ClaimEntry]) -> dict[str, s.ClaimEntry]:
        """Per field, the claim the rule uses among those that state a full value."""
        found: dict[str, s.ClaimEntry] = {}
        for field_ in ClaimField:
            valued = [c for c in claims if c.field == field_ and c.value is not None]
            if valued:
                found[field_] = self.chosen(valued)[0]
        return found

    def record_stage(self, e: s.RecordStageEntry) -> None:
        operation_id = self.id_of(m.Operation, "slug", e.operation)
        chosen = self.claims_by_field(e.claims)
        start, end = (_day(chosen.get(f)) for f in (ClaimField.START_ON, ClaimField.END_ON))
        if (problem := period_problem(start, end)) is not None:
            raise _EntryError(problem)
        hq = chosen.get(ClaimField.HQ_CITY)
        row = self.upsert(
            m.Stage,
            {"slug": e.slug},
            {
                "operation_id": operation_id,
                "number": e.number,
                "name_en": e.name_en,
                "name_ru": e.name_ru,
                "start_on": start,
                "end_on": end,
                "hq_city_en": self._city(e.claims, "en"),
                "hq_city_ru": self._city(e.claims, "ru"),
                "hq_country_id": self.maybe_id(m.Country, "iso3", hq.country if hq else None),
                "place": e.place,
                "description": e.description,
                "description_ru": e.description_ru,
                **self.cite(e.cite),
            },
        )
        self.claims({"stage_id": row.id}, e.claims)
        self.participations({"stage_id": row.id}, e.participations)
        self.results(row, e.results)
        self.stage_seizures(row, e.seizures)

    def _city(self, claims: list[s.ClaimEntry], lang: str) -> str | None:
        """The city as the chosen source of that language names it, or else the registry's
        translation (`twin`) of the chosen source of the other language."""
        cities = [c for c in claims if c.field == ClaimField.HQ_CITY and c.lang == lang]
        if cities:
            named: str | None = self.chosen(cities)[0].value
            return named
        others = [c for c in claims if c.field == ClaimField.HQ_CITY and c.lang]
        translated: str | None = self.chosen(others)[0].twin if others else None
        return translated

    def claims(self, subject: dict[str, int], claims: list[s.ClaimEntry]) -> None:
        for c in claims:
            self.upsert(
                m.Claim,
                {**subject, "field": c.field, **self.cite(c.cite), "as_reported": c.as_reported},
                {"value": c.value, "note": c.note, "note_ru": c.note_ru},
            )

    def results(self, stage: m.Stage, results: list[s.ResultEntry]) -> None:
        groups: dict[tuple[Any, ...], list[s.ResultEntry]] = {}
        for r in results:
            groups.setdefault((r.metric, r.scope, r.country, r.unit), []).append(r)
        for versions in groups.values():
            counted, others = self.chosen(versions)
            used = self._result(stage, counted, None)
            for other in others:
                self._result(stage, other, used.id)

    def _result(
        self, stage: m.Stage, r: s.ResultEntry, alternative_to: int | None
    ) -> m.StageResult:
        language = self.source_of(r.cite).language
        if r.unit in ("grams",):
            quantity = parse_reported(r.as_reported, language)
            value, qualifier = quantity.amount, quantity.qualifier
        else:
            value, qualifier = parse_count(r.as_reported, language)
        return self.upsert(
            m.StageResult,
            {"stage_id": stage.id, "metric": r.metric, **self.cite(r.cite),
             "as_reported": r.as_reported},
            {
                "value": value,
                "unit": r.unit,
                "qualifier": qualifier or Qualifier.EXACT,
                "scope": r.scope,
                "country_id": self.maybe_id(m.Country, "iso3", r.country),
                "alternative_to_id": alternative_to,
                "note": r.note,
                "note_ru": r.note_ru,
            },
        )  # fmt: skip

    def stage_seizures(self, stage: m.Stage, entries: list[s.StageSeizureEntry]) -> None:
        """Wholes first, then their parts; among versions of one figure, the rule's choice
        is the counted report and the others its alternatives. A part (`within`) belongs to
        the counted figure of that substance with its period, in its country and scope or
        in none."""
        counted: dict[tuple[Any, ...], m.SeizureReport] = {}
        children: dict[tuple[Any, ...], list[m.SeizureReport]] = {}
        for depth in range(_MAX_DEPTH):
            groups: dict[tuple[Any, ...], list[s.StageSeizureEntry]] = {}
            for e in entries:
                if _depth(e, entries) == depth:
                    groups.setdefault(_figure_key(e), []).append(e)
            for key, versions in groups.items():
                whole = None if key[0] is None else _whole_of(key, counted)
                if key[0] is not None and whole is None:
                    raise _EntryError(f"{key[1]}: no figure of {key[0]} it could be within")
                used, others = self.chosen(versions)
                parent = counted[whole] if whole else None
                counted[key] = row = self._stage_seizure(stage, used, parent, None)
                if whole:
                    children.setdefault(whole, []).append(row)
                for other in others:
                    self._stage_seizure(stage, other, None, row.id)
        self._among(counted, entries)
        for whole, parts in children.items():
            problems = breakdown_problems(
                self.session, counted[whole], parts, parent_label=whole[1],
                part_label=lambda _, part: part.as_reported,
            )  # fmt: skip
            if problems:
                raise _EntryError("; ".join(problems))

    def _among(
        self, counted: dict[tuple[Any, ...], m.SeizureReport], entries: list[s.StageSeizureEntry]
    ) -> None:
        """Each counted figure `among` another is within it, with its breakdown."""
        for e in entries:
            if e.among is None or e.within is not None:
                if e.among is not None:
                    raise _EntryError(f"{e.as_reported}: a figure is `within` or `among`, not both")
                continue
            figure = counted[_figure_key(e)]
            others = {key: row for key, row in counted.items() if row is not figure}
            holder = _whole_of((e.among, *_figure_key(e)[1:]), others)
            if holder is None:
                raise _EntryError(f"{e.as_reported}: no figure of {e.among} it could be among")
            cover = counted[holder]
            if problems := within_problems(self.session, cover, [figure]):
                raise _EntryError("; ".join(problems))
            set_within(self.session, figure, cover.id)
        self.session.flush()

    def _stage_seizure(
        self,
        stage: m.Stage,
        e: s.StageSeizureEntry,
        parent: m.SeizureReport | None,
        alternative_to: int | None,
    ) -> m.SeizureReport:
        period = e.period or (stage.start_on, stage.end_on)
        if period[0] is None or period[1] is None:
            raise _EntryError(f"{e.substance}: the stage has no dates; give the figure a period")
        if (problem := period_problem(*period)) is not None:
            raise _EntryError(f"{e.substance}: {problem}")
        quantity = parse_reported(e.as_reported, self.source_of(e.cite).language)
        scope = {
            "operation_id": stage.operation_id,
            "stage_id": stage.id,
            "country_id": self.maybe_id(m.Country, "iso3", e.country),
            "substance_id": self.id_of(m.Substance, "slug", e.substance),
            "period_start": period[0],
            "period_end": period[1],
            "scope": e.scope,
        }
        # A whole's key leaves its parent out: a year's summary may have made it a part.
        if alternative_to is not None:
            key = {**scope, "alternative_to_id": alternative_to, **self.cite(e.cite)}
        elif parent is not None:
            key = {**scope, "parent_id": parent.id, "alternative_to_id": None}
        else:
            key = {**scope, "alternative_to_id": None}
        values = {
            "alternative_to_id": alternative_to,
            "unit_kind": quantity.unit_kind,
            "amount": quantity.amount,
            "qualifier": quantity.qualifier or Qualifier.EXACT,
            "as_reported": e.as_reported,
            **self.cite(e.cite),
        }
        return self.upsert(m.SeizureReport, key, {k: v for k, v in values.items() if k not in key})

    def meeting(self, e: s.MeetingEntry) -> None:
        held = self.claims_by_field(e.claims).get(ClaimField.HELD_ON)
        held_on = s.PartialDate.model_validate(s._parse_partial_date(held.value)) if held else None
        chair = (
            {"chair": e.chair.name, "chair_source_id": self.cite(e.chair.cite)["source_id"],
             "chair_locator": e.chair.cite.locator}
            if e.chair else {"chair": None, "chair_source_id": None, "chair_locator": None}
        )  # fmt: skip
        row = self.upsert(
            m.Meeting,
            {"slug": e.slug},
            {
                "body_id": self.id_of(m.Body, "slug", e.body),
                "number": e.number,
                "held_on": held_on.value if held_on else None,
                "date_precision": held_on.precision if held_on else None,
                "place": e.place,
                "country_id": self.maybe_id(m.Country, "iso3", e.country),
                "summary": e.summary,
                "summary_ru": e.summary_ru,
                **chair,
                **self.cite(e.cite),
            },
        )
        self.claims({"meeting_id": row.id}, e.claims)
        for position, decision in enumerate(e.decisions, start=1):
            self.upsert(
                m.MeetingDecision,
                {"meeting_id": row.id, "position": position},
                {
                    "summary": decision.summary,
                    "summary_ru": decision.summary_ru,
                    **self.cite(decision.cite),
                },
            )

    def membership_statement(self, e: s.MembershipStatementEntry) -> None:
        self.upsert(
            m.MembershipStatement,
            {"slug": e.slug},
            {
                "country_id": self.id_of(m.Country, "iso3", e.country),
                "organization_id": self.id_of(m.Organization, "slug", e.organization),
                "kind": e.kind,
                "stated_on": e.stated.value if e.stated else None,
                "stated_precision": e.stated.precision if e.stated else None,
                "as_reported": e.as_reported,
                "summary": e.summary,
                "note": e.note,
                **self.cite(e.cite),
            },
        )


_MAX_DEPTH = 6


def _day(claim: s.ClaimEntry | None) -> Any:
    """A stage's date from its chosen claim: only a full date (a day with its year)."""
    if claim is None or claim.value is None:
        return None
    found = s.PartialDate.model_validate(s._parse_partial_date(claim.value))
    if found.precision != "day":
        raise _EntryError(f"{claim.field}: {claim.value!r} is no full date (YYYY-MM-DD)")
    return found.value


def _figure_key(e: s.StageSeizureEntry) -> tuple[Any, ...]:
    """What makes two stage figures versions of one: within, substance, country, scope,
    period."""
    return (e.within, e.substance, e.country, e.scope, e.period)


def _whole_of(key: tuple[Any, ...], counted: dict[tuple[Any, ...], Any]) -> Any:
    """The key of the counted figure a part's `within` names: same substance and period,
    the part's country and scope or none."""
    within, _, country, scope, period = key
    fits = [
        k for k in counted
        if k[1] == within and k[4] == period and k[2] in (None, country) and k[3] in (None, scope)
    ]  # fmt: skip
    return max(fits, key=lambda k: (k[2] is not None, k[3] is not None), default=None)


def _depth(e: s.StageSeizureEntry, entries: list[s.StageSeizureEntry]) -> int:
    """How many `within` steps lead from a figure to a whole that is within nothing."""
    depth, within, seen = 0, e.within, set()
    while within is not None and within not in seen:
        seen.add(within)
        depth += 1
        holder = next((x for x in entries if x.substance == within), None)
        within = holder.within if holder else None
    return depth
