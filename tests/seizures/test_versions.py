"""Other sources' versions of a figure are kept and shown, never added; an "almost" figure
makes its total an estimate (issue 23)."""

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Operation, SeizureReport, Source, Substance
from app.seizures import derived_tables
from app.seizures.service import SeizureFilters, get_seizure_detail, list_seizures
from app.seizures.totals import seizure_totals

PERIOD = (date(2031, 5, 1), date(2031, 5, 9))  # no seeded report reaches it


def _report(
    session: Session, phrase: str, amount: int, qualifier: str, **more: object
) -> SeizureReport:
    report = SeizureReport(
        operation_id=session.scalar(select(Operation.id).where(Operation.slug == "channel")),
        substance_id=session.scalar(select(Substance.id).where(Substance.slug == "heroin")),
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        unit_kind="mass",
        amount=amount,
        qualifier=qualifier,
        as_reported=phrase,
        source_id=session.scalar(select(Source.id)),
        locator="¶1",
        **more,
    )
    session.add(report)
    session.flush()
    return report


def _total(session: Session, *, from_reports: bool) -> dict[str, Any]:
    filters = SeizureFilters(year=2031)
    (line,) = seizure_totals(session, filters, [], from_reports=from_reports)["groups"]
    assert isinstance(line, dict)
    return line


def test_an_alternative_is_shown_and_never_added(session: Session) -> None:
    counted = _report(session, "more than 9 tons", 9_000_000, "at_least")
    other = _report(session, "2.5 t", 2_500_000, "exact", alternative_to_id=counted.id)
    derived_tables.settle(session)
    for from_reports in (False, True):
        line = _total(session, from_reports=from_reports)
        assert (line["amount"], line["reports"]) == (9_000_000, 1)
    rows = {row["id"]: row for row in list_seizures(session, SeizureFilters(year=2031), None)}
    assert rows[other.id]["alternative_to"] == counted.id
    assert rows[other.id]["counted_amount"] == 0
    assert rows[counted.id]["counted_amount"] == 9_000_000
    detail = get_seizure_detail(session, counted.id)
    assert detail["sources_disagree"]
    assert [version["id"] for version in detail["alternatives"]] == [other.id]
    assert [v["id"] for v in get_seizure_detail(session, other.id)["alternatives"]] == [counted.id]


def test_a_total_with_an_almost_figure_is_about(session: Session) -> None:
    _report(session, "3 t", 3_000_000, "exact")
    _report(session, "почти 2 т", 2_000_000, "almost")
    derived_tables.settle(session)
    for from_reports in (False, True):
        line = _total(session, from_reports=from_reports)
        assert (line["amount"], line["qualifier"]) == (5_000_000, "about")
