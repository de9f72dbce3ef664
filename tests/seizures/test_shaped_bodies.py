"""The hot read paths write their bodies with orjson, skipping the response model's
validation pass (see `app.http.representation`). That is only sound while the services build
exactly the model's shape: these tests hold the two serializations byte-equal on synthetic
data with every unit kind, qualifier, breakdown and multi-year period."""

from itertools import combinations
from typing import Any

import orjson
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import demo
from app.http.representation import render
from app.http.schemas import Page
from app.models import SeizureReport
from app.seizures.schemas import SeizureDetail, SeizureOut, SeizureTotals
from app.seizures.service import SeizureFilters, get_seizure_detail, list_seizures
from app.seizures.totals import GROUP_KEYS, seizure_totals


@pytest.fixture
def registry(session: Session) -> Session:
    demo.fill(session, reports=1500, seed=11)
    return session


@pytest.mark.parametrize(
    "filters",
    [SeizureFilters(), SeizureFilters(year=2018), SeizureFilters(top_level_only=True)],
    ids=["all", "year", "top-level"],
)
def test_a_page_of_reports_is_what_the_model_writes(
    registry: Session, filters: SeizureFilters
) -> None:
    rows = list_seizures(registry, filters, 500)
    assert len(rows) > 50
    body: dict[str, Any] = {"items": rows, "next": None, "cursor": None, "count": None}
    assert orjson.dumps(body) == render(Page[SeizureOut], body)


GROUPINGS = [list(keys) for size in range(3) for keys in combinations(GROUP_KEYS, size)]


@pytest.mark.parametrize("group_by", GROUPINGS, ids=lambda keys: ",".join(keys) or "none")
@pytest.mark.parametrize("pro_rata", [False, True], ids=["unsplit", "pro-rata"])
def test_totals_are_what_the_model_writes(
    registry: Session, group_by: list[str], pro_rata: bool
) -> None:
    body = seizure_totals(registry, SeizureFilters(), group_by, pro_rata=pro_rata)
    assert body["groups"]
    assert orjson.dumps(body) == render(SeizureTotals, body, exclude_unset=True)


def test_every_report_is_what_the_model_writes(registry: Session) -> None:
    """`get_seizure_detail` as the record's route writes it (`represent(..., shaped=True)`),
    with its alternatives: two reports made alternatives of a third."""
    ids = list(registry.scalars(select(SeizureReport.id).order_by(SeizureReport.id)))
    counted, *others = ids[10], ids[11], ids[500]
    registry.execute(
        update(SeizureReport).where(SeizureReport.id.in_(others)).values(alternative_to_id=counted)
    )
    for report_id in ids:
        body = get_seizure_detail(registry, report_id)
        assert orjson.dumps(body) == render(SeizureDetail, body)
    assert len(get_seizure_detail(registry, counted)["alternatives"]) == 2
    assert [v["id"] for v in get_seizure_detail(registry, others[1])["alternatives"]] == [
        counted,
        others[0],
    ]
