"""The sum tables give exactly what summing the reports gives, on random data, through
inserts, corrections and deletions, and they equal a rebuild from scratch."""

import random
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    Country,
    Operation,
    SeizureListItem,
    SeizureOverlapMember,
    SeizureReport,
    SeizureReportYear,
    SeizureSum,
    SeizureSumBySubstance,
    Source,
    Stage,
    Substance,
)
from app.models.enums import UnitKind
from app.seizures import derived_tables
from app.seizures.service import NO_ID, SeizureFilters, count_seizures, list_seizures
from app.seizures.totals import GROUP_KEYS, _from_sums, seizure_totals

QUALIFIERS = ["exact", "exact", "exact", "at_least", "about", "almost"]


class RandomRegistry:
    def __init__(self, session: Session, seed: int) -> None:
        self.session = session
        self.rng = random.Random(seed)
        self.operations = list(session.scalars(select(Operation.id)))
        self.source_id = session.scalars(select(Source.id)).first()
        self.substances = {s.id: s.parent_id for s in session.scalars(select(Substance))}
        self.countries = list(session.scalars(select(Country.id)))[:4]
        self.stages: list[Stage] = []
        for number in range(1, 4):
            stage = Stage(
                operation_id=self.operations[0],
                number=100 + number,
                start_on=date(2019 + number, 3, 1),
                end_on=date(2019 + number, 3, 20),
                source_id=self.source_id,
                locator="¶8",
            )
            session.add(stage)
            self.stages.append(stage)
        session.flush()
        self.reports: list[SeizureReport] = []

    def report(self, parent: SeizureReport | None = None) -> SeizureReport:
        rng = self.rng
        if parent is None:
            start = date(2018, 1, 1) + timedelta(days=rng.randrange(0, 5 * 365))
            end = start + timedelta(days=rng.choice([0, 10, 60, 200, 500, 900]))
            substance = rng.choice(list(self.substances))
            stage = rng.choice([None, *self.stages])
            unit = rng.choice(["mass", "mass", "mass", "volume", "count"])
            amount = rng.randrange(1_000, 10_000_000)
            fields = {
                "operation_id": stage.operation_id if stage else rng.choice(self.operations),
                "stage_id": stage.id if stage else None,
                "country_id": rng.choice([None, *self.countries]),
                "unit_kind": unit,
            }
        else:
            start, end = parent.period_start, parent.period_end
            children = [s for s, p in self.substances.items() if p == parent.substance_id]
            substance = rng.choice(children or [parent.substance_id])
            amount = rng.randrange(0, max(parent.amount // 4, 1))
            fields = {
                "operation_id": parent.operation_id,
                "stage_id": parent.stage_id,
                "country_id": parent.country_id,
                "unit_kind": parent.unit_kind,
            }
        report = SeizureReport(
            **fields,
            period_start=start,
            period_end=end,
            substance_id=substance,
            amount=amount,
            qualifier=rng.choice(QUALIFIERS),
            as_reported=str(amount),
            parent_id=parent.id if parent else None,
            source_id=self.source_id,
            locator="¶8",
        )
        self.session.add(report)
        self.session.flush()
        self.reports.append(report)
        return report

    def alternative(self, counted: SeizureReport) -> SeizureReport:
        """Another source's version of a report's figure: kept, never counted."""
        version = SeizureReport(
            operation_id=counted.operation_id,
            stage_id=counted.stage_id,
            country_id=counted.country_id,
            unit_kind=counted.unit_kind,
            period_start=counted.period_start,
            period_end=counted.period_end,
            substance_id=counted.substance_id,
            amount=self.rng.randrange(1_000, 10_000_000),
            qualifier=self.rng.choice(QUALIFIERS),
            as_reported="another version",
            alternative_to_id=counted.id,
            source_id=self.source_id,
            locator="¶9",
        )
        self.session.add(version)
        self.session.flush()
        self.reports.append(version)
        return version

    def fill(self, count: int) -> None:
        while len(self.reports) < count:
            parent = self.report()
            if self.rng.random() < 0.2:
                self.alternative(parent)
            for _ in range(self.rng.choice([0, 0, 2, 3])):
                child = self.report(parent)
                if self.rng.random() < 0.3:
                    self.report(child)

    def correct(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            report = rng.choice(self.reports)
            action = rng.choice(["amount", "qualifier", "country", "delete", "unlink", "version"])
            has_parts = any(r.parent_id == report.id for r in self.reports)
            if action == "delete" and not has_parts:
                self.reports.remove(report)
                self.session.delete(report)
            elif action == "amount" and not has_parts:
                report.amount = rng.randrange(0, 1_000)
            elif action == "qualifier":
                report.qualifier = rng.choice(QUALIFIERS)
            elif action == "country" and report.parent_id is None and not has_parts:
                report.country_id = rng.choice([None, *self.countries])
            elif action == "unlink" and report.parent_id is not None:
                report.parent_id = None
            elif action == "version" and report.alternative_to_id is not None:
                report.alternative_to_id = None  # the other version is counted after all
            self.session.flush()


def _filter_sets(registry: RandomRegistry) -> list[SeizureFilters]:
    stage = registry.stages[0]
    return [
        SeizureFilters(),
        SeizureFilters(year=2020),
        SeizureFilters(year=2019, qualifier="at_least"),  # type: ignore[arg-type]
        SeizureFilters(date_from=date(2019, 1, 1), date_to=date(2020, 12, 31)),
        SeizureFilters(date_from=date(2019, 6, 15)),  # cuts a year: read from the reports
        SeizureFilters(operation_id=registry.operations[0]),
        SeizureFilters(stage_id=stage.id),
        SeizureFilters(country_id=registry.countries[0], year=2021),
        SeizureFilters(substance_id=next(iter(registry.substances))),
        SeizureFilters(substance_id=list(registry.substances)[1], year=2020),
        # the filters that name a totals line's reports (`reports_url`)
        SeizureFilters(year=2020, within_window=True),
        SeizureFilters(date_from=date(2019, 1, 1), date_to=date(2020, 12, 31), within_window=False),
        SeizureFilters(period=(date(2019, 3, 1), date(2020, 7, 18))),
        SeizureFilters(has_parts=True),
        SeizureFilters(has_parts=False, counted=True),
        SeizureFilters(substance_id=next(iter(registry.substances)), descendants=False),
        SeizureFilters(unit_kind=UnitKind.MASS, stage_id=NO_ID),
        SeizureFilters(country_id=NO_ID, year=2019),
    ]


def _group_sets() -> list[list[str]]:
    return [[], ["year"], ["year", "substance"], ["substance", "country"], list(GROUP_KEYS)]


def sum_tables(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every derived table's rows, in an order of their own (for a test to compare)."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for model in (SeizureSum, SeizureSumBySubstance):
        columns = [c for c in model.__table__.columns if c.name != "id"]
        tables[model.__tablename__] = sorted(
            tuple(row) for row in session.execute(select(*columns)).all()
        )
    tables["seizure_overlap_members"] = sorted(
        session.scalars(select(SeizureOverlapMember.report_id))
    )
    tables["seizure_report_years"] = sorted(
        tuple(row)
        for row in session.execute(select(SeizureReportYear.year, SeizureReportYear.report_id))
    )
    tables["seizure_list_items"] = sorted(
        tuple(row) for row in session.execute(select(*SeizureListItem.__table__.columns))
    )
    return tables


# Each seed takes some ten seconds: `make test-fast` tries one, `make test` all three.
@pytest.mark.parametrize(
    "seed", [1, pytest.param(2, marks=pytest.mark.slow), pytest.param(3, marks=pytest.mark.slow)]
)
def test_sum_tables_answer_exactly_as_the_reports_do(session: Session, seed: int) -> None:
    registry = RandomRegistry(session, seed)
    registry.fill(120)
    registry.correct(40)
    derived_tables.settle(session)  # what the commit does
    warned = 0
    for filters in _filter_sets(registry):
        for group_by in _group_sets():
            if filters.date_from != date(2019, 6, 15):
                assert _from_sums(filters, group_by) is not None, "the fast path is taken"
            for pro_rata in (False, True):
                fast = seizure_totals(session, filters, group_by, pro_rata=pro_rata)
                slow = seizure_totals(
                    session, filters, group_by, pro_rata=pro_rata, from_reports=True
                )
                assert fast == slow, (filters, group_by, pro_rata)
                warned += bool(fast["warnings"])
    assert warned, "the random data holds overlapping reports, so warnings are compared too"


def test_kept_current_equals_rebuilt(session: Session) -> None:
    registry = RandomRegistry(session, 7)
    registry.fill(150)
    registry.correct(60)
    derived_tables.settle(session)
    kept = sum_tables(session)
    assert kept["seizure_sums"], "the random registry holds reports"
    derived_tables.rebuild(session)
    assert sum_tables(session) == kept


def test_year_index_lists_what_the_periods_say(session: Session) -> None:
    registry = RandomRegistry(session, 11)
    registry.fill(100)
    registry.correct(30)
    derived_tables.settle(session)
    for year in range(2017, 2025):
        listed = [row["id"] for row in list_seizures(session, SeizureFilters(year=year), None)]
        overlapping = sorted(
            r.id for r in registry.reports if r.period_start.year <= year <= r.period_end.year
        )
        seeded = [i for i in listed if i not in {r.id for r in registry.reports}]
        assert [i for i in listed if i not in seeded] == overlapping
        assert count_seizures(session, SeizureFilters(year=year)) == len(listed)
