"""The seizures' own CSV export (`seizure_csv_chunks`, with the fields the database writes
in `app.seizures.csv_sql`) writes byte for byte what the generic writer writes, for every
report of the seed's record and of a demo registry, with awkward values in each field it
reads as bytes or writes itself: quotes, commas, line breaks, a formula's first
characters, Russian text, no value, and kilograms whose float text is long or short."""

import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import String, func, literal, select
from sqlalchemy.orm import Session

from app import demo
from app.http.listing import CSV, csv_text
from app.models import Country, Operation, SeizureReport, Source, Stage, Substance
from app.seizures import csv_sql, derived_tables, service
from app.seizures.schemas import SeizureOut
from app.seizures.service import THOUSANDTHS, SeizureFilters, list_seizures, seizure_csv_chunks

AWKWARD = [
    "=1+2", "+7 g", "-7 g", "@SUM(A1)", "\tindented", "\rreturn", "a, b", 'say "x"',
    "two\nlines", "cr\r\nlf", '"', ",", "'=already", "", " leading space", "semi;colon",
    'Героин, 5 кг "чистый"', "=ГЕРОИН", "¶8", "back\\slash", "tab\tinside", "trailing\n",
]  # fmt: skip
AMOUNTS = [
    0, 1, 5, 50, 500, 999, 1000, 1001, 3220, 5000, 123_456_789, 10**14, 10**15 - 1, 10**15,
    10**15 + 1, 2**53 + 1, 9 * 10**17,
]  # fmt: skip
FILTERS = {
    "all": SeizureFilters(),
    "window": SeizureFilters(date_from=date(2018, 1, 1), date_to=date(2019, 12, 31)),
    "pro-rata": SeizureFilters(
        date_from=date(2018, 3, 1), date_to=date(2019, 6, 30), allocate_pro_rata=True
    ),
    "year": SeizureFilters(year=2018),
    "no-parts": SeizureFilters(has_parts=False),
}


def _add_awkward_reports(session: Session) -> None:
    """A report for each awkward text, in `as_reported`, `scope` and `locator`, with every
    unit, amounts from AMOUNTS, periods in, across and beyond the windows of FILTERS, and
    parts, alternatives and reports within another among them."""
    operation = session.scalars(select(Operation).order_by(Operation.id)).first()
    source_id = session.scalar(select(Source.id).order_by(Source.id))
    substances = list(session.scalars(select(Substance.id).order_by(Substance.id)))
    countries = [None, *session.scalars(select(Country.id).order_by(Country.id))]
    assert operation is not None
    assert source_id is not None
    stage = Stage(
        operation_id=operation.id, number=9_001, start_on=date(2018, 5, 1),
        end_on=date(2018, 5, 31), source_id=source_id, locator="¶1",
    )  # fmt: skip
    session.add(stage)
    session.flush()
    added: list[SeizureReport] = []
    for n, text in enumerate(AWKWARD * 2):
        start = date(2017, 11, 1) + timedelta(days=37 * n)
        report = SeizureReport(
            operation_id=operation.id,
            stage_id=stage.id if n % 3 == 0 else None,
            country_id=countries[n % len(countries)],
            period_start=start,
            period_end=start + timedelta(days=(0, 30, 400, 800)[n % 4]),
            substance_id=substances[n % len(substances)],
            unit_kind=("mass", "volume", "count")[n % 3 if n < len(AWKWARD) else 0],
            amount=AMOUNTS[n % len(AMOUNTS)],
            qualifier=("exact", "about", "at_least")[n % 3],
            cases=None if n % 2 else n,
            as_reported=text,
            scope=AWKWARD[-1 - n % len(AWKWARD)] if n % 4 else None,
            locator=text[:64] or "¶2",
            outside_stage=n % 5 == 0,
            parent_id=added[n - 1].id if n % 7 == 6 else None,
            alternative_to_id=added[n - 2].id if n % 11 == 10 else None,
            within_id=added[0].id if n % 13 == 12 else None,
            source_id=source_id,
        )
        session.add(report)
        session.flush()
        added.append(report)
    derived_tables.settle(session)


def _both(session: Session, filters: SeizureFilters) -> tuple[bytes, bytes]:
    generic = CSV.write(SeizureOut, iter([list_seizures(session, filters, None)]))
    own = CSV.write_own(SeizureOut, seizure_csv_chunks(session, filters))
    return b"".join(generic), b"".join(own)


@pytest.mark.parametrize("size", [5000, 1], ids=["batches", "a-row-a-batch"])
def test_the_seed_record_with_awkward_values(
    session: Session, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    """A row a batch: each awkward text is alone in its batch (`service._plain`)."""
    original = service.driver_batches

    def batches(session: Session, stmt: Any) -> Iterator[Sequence[Sequence[Any]]]:
        for batch in original(session, stmt):
            yield from (batch[start : start + size] for start in range(0, len(batch), size))

    monkeypatch.setattr(service, "driver_batches", batches)
    _add_awkward_reports(session)
    for name, filters in FILTERS.items():
        generic, own = _both(session, filters)
        assert own == generic, name
        assert generic.count(b"\r\n") > 10


def test_a_demo_registry_with_awkward_values(session: Session) -> None:
    demo.fill(session, reports=1_200, seed=5)
    _add_awkward_reports(session)
    assert (session.scalar(select(func.count()).select_from(SeizureReport)) or 0) > 1_000
    for name, filters in FILTERS.items():
        generic, own = _both(session, filters)
        assert own == generic, name


@pytest.mark.parametrize("text", [*AWKWARD, None])
def test_the_databases_csv_text_is_pythons(session: Session, text: str | None) -> None:
    dialect = session.get_bind().dialect.name
    written = session.scalar(select(csv_sql.csv_text(literal(text, String), dialect)))
    assert (written or "") == csv_text(text)


def test_kilograms_are_pythons_float_text() -> None:
    rng = random.Random(1)
    grams = [*range(3000), *(rng.randrange(csv_sql.EXACT_GRAMS_BELOW) for _ in range(20_000))]
    grams += [csv_sql.EXACT_GRAMS_BELOW - 1 - n for n in range(1000)]
    for amount in grams:
        kilograms = b"%d.%b" % (amount // 1000, THOUSANDTHS[amount % 1000])
        assert kilograms == repr(amount / 1000).encode(), amount


def test_period_keys_give_their_dates(session: Session) -> None:
    dialect = session.get_bind().dialect.name
    periods = session.execute(
        select(SeizureReport.period_start, SeizureReport.period_end, csv_sql.period_key(dialect))
    ).all()
    assert periods
    for start, end, key in periods:
        assert csv_sql.period_dates(key) == (str(start), str(end))
