"""The year list's pieces kept at commit (app/seizures/list_items.py): a page read from them
is byte for byte the page the joined statement gives, and a page that cannot trust them is
read from the joined statement. `test_kept_current_equals_rebuilt` holds the pieces kept at
each commit equal to a rebuild; tests/http/test_fast_paths.py holds the whole answers equal
to FastAPI's."""

import asyncio
import itertools
from types import SimpleNamespace

import orjson
import pytest
from fastapi import Request
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import LoopReads
from app.http.pagination import encode_cursor, page_url
from app.models import SeizureListItem, SeizureReport, Source
from app.seizures import derived_tables, list_items
from app.seizures.fast_list import _next_page
from app.seizures.list_items import stage_items, year_page, year_page_in_loop
from app.seizures.service import SeizureFilters, list_seizures, list_year_page
from tests.seizures.test_totals_fast_path import RandomRegistry

YEARS = [None, *range(2016, 2027)]


@pytest.fixture
def registry(session: Session) -> RandomRegistry:
    """Reports of many shapes (parts, parts of parts, other sources' versions, corrections),
    their derived tables kept current as at a commit."""
    registry = RandomRegistry(session, 5)
    registry.fill(120)
    registry.correct(40)
    derived_tables.settle(session)
    return registry


def _pages(session: Session, year: int | None, limit: int) -> list[tuple[list[int], bytes]]:
    """Every page of the year's list from the pieces, and each checked against the joined
    statement's page of the same year and cursor."""
    pages, after = [], 0
    while True:
        ids, items = year_page(session, year, after, limit + 1)
        joined = list_year_page(session, year, after, limit + 1)
        assert ids == [row["id"] for row in joined]
        assert orjson.dumps(items) == orjson.dumps(joined), (year, after)
        pages.append((ids, orjson.dumps(items)))
        if len(ids) <= limit:
            return pages
        after = ids[limit - 1]


@pytest.mark.usefixtures("registry")
@pytest.mark.parametrize("limit", [1, 7, 50])
def test_every_page_is_the_joined_statements(session: Session, limit: int) -> None:
    listed = 0
    for year in YEARS:
        for ids, _body in _pages(session, year, limit):
            listed += len(ids)
    assert listed > 200, "the random registry's reports are listed under their years"


@pytest.mark.usefixtures("registry")
def test_the_items_are_written_from_the_pieces(session: Session) -> None:
    _ids, items = year_page(session, 2020, 0, 51)
    assert items
    assert all(isinstance(item, orjson.Fragment) for item in items)


def test_a_report_is_listed_under_each_year_its_period_touches(
    session: Session, registry: RandomRegistry
) -> None:
    report = next(r for r in registry.reports if r.period_start.year < r.period_end.year)
    years = session.scalars(
        select(SeizureListItem.year).where(SeizureListItem.report_id == report.id)
    ).all()
    assert sorted(years) == list(range(report.period_start.year, report.period_end.year + 1))
    ids, _items = year_page(session, None, report.id - 1, 2)
    assert ids[0] == report.id, "listed once without a year"


def test_a_name_changed_by_sql_is_read_at_once(session: Session, registry: RandomRegistry) -> None:
    year = registry.reports[0].period_start.year
    before = orjson.dumps(year_page(session, year, 0, 3)[1])
    session.execute(
        update(Source).where(Source.id == registry.source_id).values(title="A title by SQL")
    )
    _ids, items = year_page(session, year, 0, 3)
    assert all(isinstance(item, orjson.Fragment) for item in items)
    after = orjson.dumps(items)
    assert after != before
    assert b'"title":"A title by SQL"' in after
    assert after == orjson.dumps(list_year_page(session, year, 0, 3))


def test_a_stages_items_are_the_joined_statements(
    session: Session, registry: RandomRegistry
) -> None:
    for stage in registry.stages:
        items, alternatives = stage_items(session, stage.id)
        joined = list_seizures(session, SeizureFilters(stage_id=stage.id), limit=None)
        assert items
        assert all(isinstance(item, orjson.Fragment) for item in items)
        assert orjson.dumps(items) == orjson.dumps(joined), stage.id
        assert alternatives == any(report["alternative_to"] is not None for report in joined)


def test_a_stage_whose_names_moved_is_read_by_the_joined_statement(
    session: Session, registry: RandomRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage_id = registry.stages[0].id
    monkeypatch.setattr(list_items, "_names_at", lambda _session, _key: None)
    items, _alternatives = stage_items(session, stage_id)
    assert items == list_seizures(session, SeizureFilters(stage_id=stage_id), limit=None)


def test_a_part_changes_what_its_whole_adds(session: Session, registry: RandomRegistry) -> None:
    whole = next(r for r in registry.reports if r.parent_id is None and r.alternative_to_id is None)
    part = registry.report(whole)
    part.amount = whole.amount // 2
    session.flush()
    derived_tables.settle(session)
    adds = session.scalar(select(SeizureListItem.adds).where(SeizureListItem.report_id == whole.id))
    parts = session.scalars(select(SeizureReport.amount).where(SeizureReport.parent_id == whole.id))
    assert adds == whole.amount - sum(parts)
    _pages(session, whole.period_start.year, 50)


@pytest.mark.parametrize("public_url", [None, "https://registry.example"])
def test_the_next_pages_url_is_the_one_page_url_makes(public_url: str | None) -> None:
    """The fast path's quicker way to the next page's URL (`fast_list._next_page`) gives
    what `pagination.page_url` gives, whatever the order of the parameters taken."""
    app = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(public_url=public_url)))
    pairs = ["year=2018", "limit=25", f"cursor={encode_cursor([41])}"]
    for count in range(len(pairs) + 1):
        for chosen in itertools.permutations(pairs, count):
            query = "&".join(chosen)
            scope = {
                "type": "http",
                "app": app,
                "path": "/api/v1/seizures",
                "query_string": query.encode(),
                "headers": [(b"host", b"testserver")],
                "scheme": "http",
                "server": ("testserver", 80),
                "root_path": "",
            }
            request = Request(scope)
            cursor = encode_cursor([977])
            assert _next_page(request, cursor) == page_url(request, cursor), query


def test_an_empty_page_is_not_answered_in_the_event_loop(session: Session) -> None:
    """Its `Last-Modified` has no row to come with: it is read in a transaction (in a worker
    thread on PostgreSQL), as `year_page` reads it, not in the loop."""
    reads = LoopReads.for_engine(session.get_bind().engine, 1)

    async def read() -> tuple[object, int]:
        try:
            return await year_page_in_loop(reads, session, 1901, 0, 5), reads.answered
        finally:
            await reads.close()

    assert asyncio.run(read()) == (None, 1)
    assert year_page(session, 1901, 0, 5) == ([], [])
