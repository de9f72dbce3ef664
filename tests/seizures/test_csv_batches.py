"""The seizures' own CSV export reads its rows in batches, and what each batch's reports'
parts cover in one range query (`_covered_between`): it must write what the generic writer
writes when a batch ends between a report and its parts, or a part comes before its parent."""

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.http.listing import CSV
from app.models import Country, SeizureReport, Stage, Substance
from app.seizures import derived_tables, service
from app.seizures.schemas import SeizureOut
from app.seizures.service import SeizureFilters, list_seizures, seizure_csv_chunks


def _add_reports(session: Session) -> None:
    """Beside the seed's report and its five parts: a stage's report whose parts nest, one
    of them written before its parent; their `as_reported` needs quoting in CSV."""
    substances = dict(session.execute(select(Substance.slug, Substance.id)).all())
    operation_id, source_id = session.execute(
        select(SeizureReport.operation_id, SeizureReport.source_id).limit(1)
    ).one()
    assert session.scalar(select(func.count()).where(SeizureReport.parent_id.is_not(None)))
    stage = Stage(
        operation_id=operation_id,
        number=101,
        start_on=date(2018, 5, 10),
        end_on=date(2018, 5, 20),
        source_id=source_id,
        locator="¶8",
    )
    session.add(stage)
    session.flush()
    kaz = session.scalar(select(Country.id).where(Country.iso3 == "KAZ"))

    def report(substance: str, amount: int, parent: SeizureReport | None = None) -> SeizureReport:
        added = SeizureReport(
            operation_id=operation_id,
            stage_id=stage.id,
            country_id=kaz,
            period_start=date(2018, 5, 10),
            period_end=date(2018, 5, 20),
            substance_id=substances[substance],
            unit_kind="mass",
            amount=amount,
            qualifier="exact",
            as_reported=f'"{amount}", in grams',
            parent_id=parent.id if parent else None,
            source_id=source_id,
            locator="¶8",
        )
        session.add(added)
        session.flush()
        return added

    opioids = report("opioids", 2_000_000)  # a part, written before its parent
    whole = report("controlled-substances", 5_000_000)
    opioids.parent_id = whole.id
    report("opium", 500_000, parent=opioids)
    report("heroin", 300_000, parent=opioids)
    report("cannabis", 1_000_000, parent=whole)
    derived_tables.settle(session)


@pytest.fixture
def reports(session: Session) -> Session:
    _add_reports(session)
    return session


def _per_parent(session: Session) -> dict[int, int]:
    """What each report's parts add up to, summed in the plainest way."""
    rows = session.execute(
        text(
            "SELECT parent_id, SUM(amount) FROM seizure_reports"
            " WHERE parent_id IS NOT NULL GROUP BY parent_id"
        )
    )
    return {parent: int(total) for parent, total in rows}


@pytest.mark.parametrize(
    "filters",
    [
        SeizureFilters(),
        SeizureFilters(date_from=date(2018, 1, 1), date_to=date(2018, 12, 31)),
        SeizureFilters(has_parts=False),
    ],
    ids=["all", "windowed", "no-parts"],
)
@pytest.mark.parametrize("size", [1, 2, 5000])
def test_every_batch_size_writes_the_generic_csv(
    reports: Session, monkeypatch: pytest.MonkeyPatch, filters: SeizureFilters, size: int
) -> None:
    original = service.driver_batches
    sizes: list[int] = []

    def small_batches(session: Session, stmt: Any) -> Iterator[Sequence[Sequence[Any]]]:
        for batch in original(session, stmt):
            for start in range(0, len(batch), size):
                piece = batch[start : start + size]
                sizes.append(len(piece))
                yield piece

    monkeypatch.setattr(service, "driver_batches", small_batches)
    generic = b"".join(CSV.write(SeizureOut, iter([list_seizures(reports, filters, None)])))
    own = b"".join(CSV.write_own(SeizureOut, seizure_csv_chunks(reports, filters)))
    assert own == generic
    assert sum(sizes) == generic.count(b"\r\n") - 1 > 3  # every row, past the header
    assert max(sizes) <= size


def test_covered_ranges_add_up_to_the_parts(reports: Session) -> None:
    """Any cut of the ids into ranges gives each report with parts its whole sum, once."""
    expected = _per_parent(reports)
    assert len(expected) >= 3
    last = reports.scalar(select(func.max(SeizureReport.id)))
    assert last is not None
    for width in (1, 2, 3, last):
        found: dict[int, int] = {}
        for first in range(1, last + 1, width):
            part = service._covered_between(reports, first, min(first + width - 1, last))
            assert all(first <= parent < first + width for parent in part)
            found |= part
        assert found == expected, width


def test_the_export_runs_without_jit_on_postgresql(session: Session) -> None:
    """Its cursor opened without JIT compiling the statement first (`_without_jit`)."""
    list(seizure_csv_chunks(session, SeizureFilters()))
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's JIT")
    assert session.scalar(text("SELECT current_setting('jit')")) == "off"
