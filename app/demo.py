"""A synthetic registry at scale, for benchmarks and load tests (`ksopn demo-data`).

On top of the seed's reference data (countries, organizations, the substance tree,
Channel and Grom), it adds a demonstration operation, hundreds of stages over 1995-2025
with their participants and observers, and seizure reports: per stage, country and branch
of the substance tree, a run of consecutive periods, some stated for a whole branch and
broken down into its substances; a set of multi-year summaries; all three unit kinds and
qualifiers; and a few deliberate duplicates, so that the double-count warnings have
something to find. The same seed gives the same registry.

The seed's own 2017-2019 report is left out: an operation-wide report on the whole substance
tree may overlap every stage report of those years, and the warnings would name them all.
"""

import math
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, DropConstraint

from app.db import bulk_insert
from app.models import (
    Country,
    Operation,
    Participation,
    SeizureReport,
    Source,
    Stage,
    Substance,
)
from app.models.enums import OperationKind, PartyKind, Qualifier, Role, UnitKind
from app.seizures import derived_tables

FIRST_YEAR, LAST_YEAR = 1995, 2025
BATCH = 20_000
SOURCE_SLUG = "ksopn-demo-data"
QUALIFIERS = [Qualifier.EXACT] * 17 + [Qualifier.AT_LEAST] * 2 + [Qualifier.ABOUT]
BROKEN_DOWN = 0.2  # the share of reports stated for a whole branch, with its parts
# Some branches are often measured otherwise than by weight.
OTHER_UNITS = {
    "precursors": (UnitKind.VOLUME, 1_000, 5_000_000),
    "psychotropic-substances": (UnitKind.COUNT, 10, 200_000),
}


@dataclass
class Plan:
    """How many of each thing a registry of `reports` seizure reports gets."""

    reports: int
    stages: int = field(init=False)

    def __post_init__(self) -> None:
        # About 1,000 reports a stage, so that the periods of one stage, country and branch
        # stay apart (2 days each in a 30-day stage) and only the planted duplicates overlap.
        self.stages = max(3, self.reports // 1_000)


@dataclass(frozen=True)
class Tree:
    """The substance branches under the root: each branch node and its leaves."""

    branches: list[tuple[int, str, list[int]]]

    @classmethod
    def load(cls, session: Session) -> "Tree":
        rows = session.execute(select(Substance.id, Substance.slug, Substance.parent_id)).all()
        parent_of = {row.id: row.parent_id for row in rows}
        roots = [s for s, p in parent_of.items() if p is None]
        branches = []
        for row in sorted(rows):
            if row.parent_id in roots:
                leaves = sorted(s for s, p in parent_of.items() if p == row.id)
                branches.append((row.id, row.slug, leaves))
        return cls(branches)

    def rows_per_report(self) -> float:
        """Rows a stage report takes on average, its breakdown parts included."""
        parts = [BROKEN_DOWN * len(leaves) for _, _, leaves in self.branches]
        return 1 + sum(parts) / len(parts)


def fill(
    session: Session, reports: int, seed: int, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Adds about `reports` seizure reports (and their stages) to a seeded database."""
    rng = random.Random(seed)
    advance = progress or (lambda _: None)
    # The seed's reports go (see the module's note), the parts of parts first: a level
    # a statement, as a part's parent may itself be a part (the public record nests them).
    report = SeizureReport
    # Nothing is kept within a gone row. Only rows that hold a link are updated: on
    # PostgreSQL, rewriting a row as it was is a HOT update, and a HOT-updated row deleted
    # in the same transaction leaves every index `_checked_once` builds unusable until the
    # transaction ends (pg_index.indcheckxmin), so the derived tables' rebuild summed each
    # report's parts by reading the whole table (200,000 reports: no end in sight).
    linked = report.within_id.is_not(None)
    session.execute(update(report).where(linked).values(within_id=None))
    while session.scalar(select(report.id).limit(1)) is not None:
        parents = select(report.parent_id).where(report.parent_id.is_not(None))
        session.execute(delete(report).where(report.id.not_in(parents)))
    plan = Plan(reports)
    source_id = _demo_source(session)
    operation_ids = _operations(session, source_id)
    countries = list(session.scalars(select(Country.id).order_by(Country.id)))
    tree = Tree.load(session)
    stages = _stages(session, rng, plan, operation_ids, countries, source_id)
    participations = _participations(session, rng, stages, countries, source_id)
    connection = session.connection()
    writer = _ReportWriter(connection, _next_id(session, SeizureReport), advance)
    with _checked_once(connection, SeizureReport):
        _multi_year_reports(rng, writer, operation_ids[-1], countries, tree, source_id)
        _stage_reports(rng, writer, plan, stages, countries, tree, source_id)
        writer.flush()
    _reset_sequences(session)
    with _checked_once(connection, *derived_tables.MODELS):
        derived_tables.rebuild(session)
    # Planner statistics: without them SQLite walks the wrong index on a million rows.
    session.execute(text("ANALYZE"))
    return {
        "stages": len(stages),
        "participations": participations,
        "seizure_reports": writer.written,
    }


@contextmanager
def _checked_once(connection: Connection, *models: Any) -> Iterator[None]:
    """The tables' indexes, and on PostgreSQL their foreign keys, dropped while rows go in
    and made again over all of them at the end, in the same transaction: an index built
    once over a million rows costs a fraction of one kept up row by row, and a foreign key
    checked in one join a fraction of one checked row by row (PostgreSQL, a million
    reports: the whole import took 73 s with only the reports' indexes dropped, 53 s with
    their foreign keys too, 46 s with the derived tables' as well)."""
    tables = [model.__table__ for model in models]
    indexes = [index for table in tables for index in table.indexes]
    keys = []
    if connection.dialect.name == "postgresql":  # SQLite cannot drop a constraint
        keys = [key for table in tables for key in table.foreign_key_constraints]
    for key in keys:
        connection.execute(DropConstraint(key))
    for index in indexes:
        index.drop(connection)
    yield
    for index in indexes:
        index.create(connection)
    for key in keys:
        connection.execute(AddConstraint(key))


def _demo_source(session: Session) -> int:
    source = session.scalar(select(Source.id).where(Source.slug == SOURCE_SLUG))
    if source is not None:
        return source
    row = Source(
        slug=SOURCE_SLUG,
        title="Synthetic registry generated by `ksopn demo-data` (not real figures)",
        publisher="KSOPN registry",
        published_on=date(2026, 1, 1),
        published_precision="year",
        language="en",
        locator_scheme="free text: the stage or summary a row was generated for",
    )
    session.add(row)
    session.flush()
    return row.id


def _operations(session: Session, source_id: int) -> list[int]:
    """Channel, Grom, and an operation that holds the multi-year summaries."""
    ids = list(session.scalars(select(Operation.id).order_by(Operation.id)))
    summary = Operation(
        slug="demo-regional-summaries",
        kind=OperationKind.ANTI_DRUG_OPERATION,
        name_en="Regional summaries (synthetic)",
        name_ru="Региональные сводки (синтетические)",
        aliases_en=[],
        aliases_ru=[],
        source_id=source_id,
        locator="generated",
    )
    session.add(summary)
    session.flush()
    return [*ids, summary.id]


def _next_id(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1


def _stages(
    session: Session,
    rng: random.Random,
    plan: Plan,
    operation_ids: list[int],
    countries: list[int],
    source_id: int,
) -> list[dict[str, Any]]:
    staged = operation_ids[:-1]
    span = (date(LAST_YEAR, 12, 1) - date(FIRST_YEAR, 1, 1)).days
    first_id = _next_id(session, Stage)
    numbers = dict.fromkeys(staged, 0)
    rows = []
    for index in range(plan.stages):
        start = date(FIRST_YEAR, 1, 1) + timedelta(days=span * index // plan.stages)
        operation_id = staged[index % len(staged)]
        numbers[operation_id] += 1
        rows.append(
            {
                "id": first_id + index,
                "operation_id": operation_id,
                "number": 1000 + numbers[operation_id],
                "name_en": f"Stage {numbers[operation_id]} (synthetic)",
                "start_on": start,
                "end_on": start + timedelta(days=29),
                "lead_country_id": rng.choice(countries),
                "source_id": source_id,
                "locator": f"stage {index + 1}",
            }
        )
    session.execute(insert(Stage), rows)
    return rows


def _participations(
    session: Session,
    rng: random.Random,
    stages: list[dict[str, Any]],
    countries: list[int],
    source_id: int,
) -> int:
    first_id = _next_id(session, Participation)
    rows: list[dict[str, Any]] = []
    for stage in stages:
        observers = rng.sample(countries, k=min(2, len(countries)))
        for country in countries:
            role = Role.OBSERVER if country in observers else Role.PARTICIPANT
            rows.append(
                {
                    "id": first_id + len(rows),
                    "stage_id": stage["id"],
                    "party_kind": PartyKind.COUNTRY,
                    "country_id": country,
                    "role": role,
                    "source_id": source_id,
                    "locator": stage["locator"],
                }
            )
    session.execute(insert(Participation), rows)
    return len(rows)


class _ReportWriter:
    """Buffers report rows and inserts them in large batches with given ids."""

    def __init__(self, connection: Connection, first_id: int, advance: Callable[[int], None]):
        self.connection = connection
        self.next_id = first_id
        self.advance = advance
        self.rows: list[dict[str, Any]] = []
        self.written = 0

    def add(self, **row: Any) -> int:
        row["id"] = self.next_id
        self.next_id += 1
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()
        return int(row["id"])

    def flush(self) -> None:
        if not self.rows:
            return
        columns = list(self.rows[0])
        rows = ([row[column] for column in columns] for row in self.rows)
        bulk_insert(self.connection, SeizureReport.__tablename__, columns, rows)
        self.written += len(self.rows)
        self.advance(len(self.rows))
        self.rows = []


def _quantity(rng: random.Random, branch_slug: str) -> tuple[str, int]:
    if branch_slug in OTHER_UNITS and rng.random() < 0.5:
        unit_kind, low, high = OTHER_UNITS[branch_slug]
        return unit_kind, rng.randrange(low, high)
    return UnitKind.MASS, int(rng.lognormvariate(10, 2.5)) + 1


def _as_reported(unit_kind: str, amount: int) -> str:
    if unit_kind == UnitKind.VOLUME:
        return f"{amount / 1000:g} l"
    if unit_kind == UnitKind.COUNT:
        return f"{amount} tablets"
    kilograms, grams = divmod(amount, 1000)
    return f"{kilograms} kg {grams} g" if kilograms else f"{grams} g"


def _stage_reports(
    rng: random.Random,
    writer: "_ReportWriter",
    plan: Plan,
    stages: list[dict[str, Any]],
    countries: list[int],
    tree: Tree,
    source_id: int,
) -> None:
    """Per stage, country and branch: consecutive 2-day periods, so that none overlap."""
    slots = [(s, c, b) for s in stages for c in countries for b in tree.branches]
    left = plan.reports - writer.written - len(writer.rows)
    per_slot = min(15, max(1, math.ceil(left / tree.rows_per_report() / len(slots))))
    for stage, country, (branch, slug, leaves) in slots:
        for step in range(per_slot):
            if writer.written + len(writer.rows) >= plan.reports:
                return
            start = stage["start_on"] + timedelta(days=(2 * step) % 30)
            common = {
                "operation_id": stage["operation_id"],
                "stage_id": stage["id"],
                "country_id": country,
                "period_start": start,
                "period_end": start + timedelta(days=1),
                "source_id": source_id,
                "locator": stage["locator"],
            }
            _report(rng, writer, common, branch, slug, leaves)
            if rng.random() < 0.0005:  # a duplicate a clerk entered twice
                _report(rng, writer, common, branch, slug, leaves)


def _report(
    rng: random.Random,
    writer: "_ReportWriter",
    common: dict[str, Any],
    branch: int,
    branch_slug: str,
    leaves: list[int],
) -> None:
    unit_kind, amount = _quantity(rng, branch_slug)
    broken_down = bool(leaves) and rng.random() < BROKEN_DOWN
    substance = branch if broken_down or not leaves else rng.choice(leaves)
    parent = writer.add(
        **common,
        substance_id=substance,
        unit_kind=unit_kind,
        amount=amount,
        qualifier=rng.choice(QUALIFIERS),
        cases=rng.randrange(1, 400) if rng.random() < 0.7 else None,
        as_reported=_as_reported(unit_kind, amount),
        parent_id=None,
        outside_stage=False,
    )
    if broken_down:
        left = amount
        for leaf in leaves:
            part = rng.randrange(0, left // 2 + 1)
            left -= part
            writer.add(
                **common,
                substance_id=leaf,
                unit_kind=unit_kind,
                amount=part,
                qualifier=Qualifier.EXACT,
                cases=None,
                as_reported=_as_reported(unit_kind, part),
                parent_id=parent,
                outside_stage=False,
            )


def _multi_year_reports(
    rng: random.Random,
    writer: "_ReportWriter",
    operation_id: int,
    countries: list[int],
    tree: Tree,
    source_id: int,
) -> None:
    """Per country and branch, three-year summaries in consecutive windows, with parts."""
    for country in countries:
        for branch, slug, leaves in tree.branches:
            for first in range(FIRST_YEAR, LAST_YEAR - 1, 3):
                common = {
                    "operation_id": operation_id,
                    "stage_id": None,
                    "country_id": country,
                    "period_start": date(first, 1, 1),
                    "period_end": date(first + 2, 12, 31),
                    "source_id": source_id,
                    "locator": f"summary {first}-{first + 2}",
                }
                _report(rng, writer, common, branch, slug, leaves)


def _reset_sequences(session: Session) -> None:
    """PostgreSQL's id sequences must continue after the ids given here."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("stages", "participations", "seizure_reports"):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )
