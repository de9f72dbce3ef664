"""The fast paths of the year list, a report, the totals and a stage (app/http/fast_path.py,
app/seizures/fast_list.py, app/seizures/fast_reads.py, app/operations/fast_reads.py) answer
exactly as FastAPI's routes do: over thousands of URLs (every year of a demo registry and
beyond it, many limits, the pages their `next` links lead to, every report and stage and ids
of none, the totals of every year by every grouping, each asked as it is and as HEAD, gzip
and revalidations),
two apps on one database, one with the fast paths and one without, give the same status,
the same headers in the same order and the same bytes. The fast path must have answered
every URL meant for it, and none of the near misses, which FastAPI answers."""

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from itertools import combinations
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import demo
from app.db import make_engine
from app.http.fast_path import FastPaths
from app.http.kept_answers import KeptAnswers
from app.http.pagination import encode_cursor
from app.main import create_app
from app.models import SeizureReport, Stage, StageResult
from app.seizures import fast_reads
from app.seizures.totals import GROUP_KEYS
from app.settings import Settings
from tests.helpers import seed_database

pytestmark = pytest.mark.anyio
LIST = "/api/v1/seizures"
LIMITS = [None, 1, 2, 3, 5, 10, 100, 1000]
PAGES_FOLLOWED = 4  # of each year and limit: the first and the three its `next` links give
Layer = TypeVar("Layer")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def demo_url(new_database: Callable[[], str]) -> str:
    """A database of its own, committed: the two apps read it in sessions of their own."""
    url = new_database()
    seed_database(url, then=lambda session: demo.fill(session, reports=600, seed=25))
    return url


@pytest.fixture
async def clients(demo_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with app_pair(demo_url) as pair:
        yield pair


@asynccontextmanager
async def app_pair(url: str) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """The app with its fast paths and without, each started (its lifespan) and asked in
    process."""
    async with AsyncExitStack() as stack:
        pair = []
        for fast in (True, False):
            app = create_app(Settings(database_url=url, fast_paths=fast))
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            client = httpx.AsyncClient(transport=transport, base_url="http://registry.test")
            pair.append(await stack.enter_async_context(client))
        yield pair[0], pair[1]


def layer_of(client: httpx.AsyncClient, kind: type[Layer]) -> Layer:
    """A layer of the client's app (its stack is built on the first request)."""
    layer: Any = client._transport.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, kind):
        layer = layer.app
    return layer


def answered_short(client: httpx.AsyncClient) -> int:
    """Requests answered without FastAPI's routing: by the fast path, or with an answer
    kept for the same request (app/http/kept_answers.py, asked again by the variants)."""
    return layer_of(client, FastPaths).hits + layer_of(client, KeptAnswers).given


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes  # as sent, compressed or not

    def header(self, name: str) -> str:
        return httpx.Headers(self.headers)[name]

    def json(self) -> Any:
        assert self.header("content-type") == "application/json"
        return json.loads(self.body)


async def ask(client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str]) -> Answer:
    async with client.stream(method, url, headers=headers) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
        return Answer(response.status_code, response.headers.raw, sent_bytes(response, body))


class Comparison:
    """Asks both apps and compares; counts the fast path's answers."""

    def __init__(self, fast: httpx.AsyncClient, slow: httpx.AsyncClient) -> None:
        self.fast, self.slow = fast, slow
        self.compared = 0

    async def same(
        self, url: str, *, method: str = "GET", answered_fast: bool = True, **headers: Any
    ) -> Answer:
        hits = answered_short(self.fast) if self.compared else 0
        sent = {"Accept-Encoding": "identity", **headers}
        fast = await ask(self.fast, method, url, sent)
        slow = await ask(self.slow, method, url, sent)
        assert fast == slow, f"{method} {url} {headers}"
        hits_now = answered_short(self.fast)
        assert hits_now - hits == (1 if answered_fast else 0), f"{method} {url} {headers}"
        self.compared += 1
        return fast


def sent_bytes(response: httpx.Response, body: bytes) -> bytes:
    """The body as sent, but the time a gzip stream names in its header (bytes 4-7, MTIME,
    RFC 1952 2.3.1): starlette-compress writes the second it compressed in, so two answers
    a second apart differ there, whoever made them."""
    if response.headers.get("content-encoding") == "gzip":
        return body[:4] + b"\0\0\0\0" + body[8:]
    return body


def list_url(year: int | None, limit: int | None) -> str:
    params = [f"year={year}"] if year is not None else []
    params += [f"limit={limit}"] if limit is not None else []
    return LIST + ("?" + "&".join(params) if params else "")


def years_of(demo_url: str) -> list[int | None]:
    """Every year a report's period touches, one before and one after."""
    engine = make_engine(demo_url)
    try:
        with Session(engine) as session:
            first, last = session.execute(
                select(func.min(SeizureReport.period_start), func.max(SeizureReport.period_end))
            ).one()
    finally:
        engine.dispose()
    return [None, *range(first.year - 1, last.year + 2)]


async def test_the_year_list_answers_as_fastapi_does(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], demo_url: str
) -> None:
    compare = Comparison(*clients)
    pages = 0
    for year in years_of(demo_url):
        for limit in LIMITS:
            url: str | None = list_url(year, limit)
            for _ in range(PAGES_FOLLOWED):
                assert url is not None
                answer = await compare.same(url)
                assert answer.status == 200
                await _variant(compare, url, answer, pages)
                pages += 1
                url = answer.json()["next"]
                if url is None:
                    break
    assert compare.compared > 1000
    # Most pages were read in the event loop, on its own connections (app.db.LoopReads).
    assert clients[0]._transport.app.state.loop_reads.answered > pages // 2  # type: ignore[attr-defined]


async def _variant(compare: Comparison, url: str, answer: Answer, turn: int) -> None:
    """The same URL as browsers and caches ask it, one way each turn."""
    etag, modified = answer.header("ETag"), answer.header("Last-Modified")
    ways: list[dict[str, Any]] = [
        {"method": "HEAD"},
        {"Accept-Encoding": "gzip"},
        {"Accept-Encoding": "gzip, br, zstd", "Accept": "*/*"},
        {"If-None-Match": etag},
        {"If-None-Match": etag[:-1] + '-gzip"', "Accept-Encoding": "gzip"},
        {"If-Modified-Since": modified, "Accept": "application/json"},
    ]
    await compare.same(url, **ways[turn % len(ways)])


NEAR_MISSES = [
    "year=02018",
    "year=%32018",
    "year=+2018",
    "year=1899",
    "year=2101",
    "year=",
    "year",
    "year=2018&year=2019",
    "year=2018&",
    "&year=2018",
    "limit=0",
    "limit=1001",
    "limit=010",
    "limit=-1",
    "year=2018&foo=1",
    "year=2018&format=csv",
    "year=2018&format=json",
    "year=2018&as_of=2020-01-01",
    "year=2018&top_level_only=true",
    "year=2018&count=true",
    "year=2018&cursor=",
    "year=2018&cursor=%%%",
    "year=2018&cursor=" + encode_cursor([-1]),
    "year=2018&cursor=" + encode_cursor([True]),
    "year=2018&cursor=" + encode_cursor(["7"]),
    "year=2018&cursor=" + encode_cursor([7, 8]),
    "year=2018&cursor=" + encode_cursor([7]) + "==",
    "year=2018&cursor=" + encode_cursor([2**31]),
    "year=2018&limit=5&cursor=" + encode_cursor([7]) + "&cursor=" + encode_cursor([9]),
]


async def test_what_the_fast_path_does_not_take_goes_to_fastapi(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    compare = Comparison(*clients)
    await compare.same(LIST + "?year=2018")  # builds the stack
    for query in NEAR_MISSES:
        await compare.same(f"{LIST}?{query}", answered_fast=False)
    for headers in (
        {"Accept": "text/csv"},
        {"Accept": "application/json;q=0"},
        {"Accept": "application/x-ndjson"},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic eDp5"},
    ):
        await compare.same(LIST + "?year=2018&limit=3", answered_fast=False, **headers)
    await compare.same(LIST + ".csv?year=2018", answered_fast=False)
    await compare.same(LIST + "?year=2018", method="POST", answered_fast=False)
    # What the transport makes of a URL first, the fast path answers as the route would.
    await compare.same(LIST + "/?year=2018&limit=3")
    await compare.same(LIST + "?year=2018&limit=3&cursor=" + encode_cursor([7]))
    await compare.same(LIST + "?cursor=" + encode_cursor([0]) + "&limit=2&year=2019")


REPORT = "/api/v1/seizures/{}"


def report_ids(demo_url: str) -> list[int]:
    engine = make_engine(demo_url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(SeizureReport.id).order_by(SeizureReport.id)))
    finally:
        engine.dispose()


async def test_every_report_answers_as_fastapi_does(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], demo_url: str
) -> None:
    compare = Comparison(*clients)
    ids = report_ids(demo_url)
    assert len(ids) >= 600
    # Ids of no report: the route's 404, which the fast path leaves to it.
    missing = [ids[-1] + 1, ids[-1] + 2, 10_000_000, 2**31 - 1]
    for turn, report_id in enumerate(ids):
        answer = await compare.same(REPORT.format(report_id))
        assert answer.json()["id"] == report_id
        await _variant(compare, REPORT.format(report_id), answer, turn)
    for report_id in missing:
        answer = await compare.same(REPORT.format(report_id), answered_fast=False)
        assert answer.status == 404
        assert answer.header("content-type") == "application/problem+json"
        await compare.same(
            REPORT.format(report_id), answered_fast=False, **{"Accept-Language": "ru"}
        )


async def test_a_report_and_kept_totals_are_read_in_the_event_loop(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    demo_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Their answers read by one statement on the loop's connection (app.db.LoopReads):
    with the worker thread's reads failing, the fast path still answers, as FastAPI does."""
    compare = Comparison(*clients)
    url = TOTALS + "?year=2018&group_by=substance"
    await compare.same(url, answered_fast=False)  # the route sums them and keeps them

    def fails(*_args: Any) -> None:
        raise RuntimeError("read in a worker thread")

    monkeypatch.setattr(fast_reads, "report_answer", fails)
    monkeypatch.setattr(fast_reads, "kept_already", fails)
    reads = clients[0]._transport.app.state.loop_reads  # type: ignore[attr-defined]
    before = reads.answered
    engine = make_engine(demo_url)
    try:
        with Session(engine) as session:
            counted = session.scalars(
                select(SeizureReport.id)
                .where(SeizureReport.alternative_to_id.is_(None))
                .order_by(SeizureReport.id)
                .limit(40)
            ).all()
    finally:
        engine.dispose()
    for report_id in counted:
        answer = await compare.same(REPORT.format(report_id))
        assert answer.json()["id"] == report_id
    # A header of its own: not an answer kept whole for the first request (kept_answers).
    asked_anew: dict[str, Any] = {"X-Asked-By": "a test"}
    await compare.same(url, **asked_anew)
    assert reads.answered - before == len(counted) + 1


TOTALS = "/api/v1/seizures/totals"
# Every grouping by one or two keys, as one comma-separated value, and a few of three.
GROUPINGS = [",".join(keys) for size in (1, 2) for keys in combinations(GROUP_KEYS, size)]
GROUPINGS += ["year,substance,country", "stage,operation,year"]


def totals_url(year: int | None, group_by: str | None) -> str:
    params = [f"year={year}"] if year is not None else []
    params += [f"group_by={group_by}"] if group_by is not None else []
    return TOTALS + ("?" + "&".join(params) if params else "")


async def test_the_totals_answer_as_fastapi_does(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient], demo_url: str
) -> None:
    compare = Comparison(*clients)
    turn = 0
    for year in years_of(demo_url):
        for group_by in [None, *GROUPINGS]:
            url = totals_url(year, group_by)
            # The route sums and keeps them; the fast path gives only totals kept.
            answer = await compare.same(url, answered_fast=False)
            assert answer.status == 200
            await _variant(compare, url, answer, turn)
            turn += 1
    # The parameters the other way round: a key of its own for the kept totals, the same body.
    await compare.same(TOTALS + "?group_by=year,substance&year=2018", answered_fast=False)
    await compare.same(TOTALS + "?group_by=year,substance&year=2018", Accept="*/*")
    assert compare.compared > 300
    assert layer_of(clients[0], FastPaths).hits > turn / 2  # the variants, mostly


NEAR_MISSES_OF_READS = [
    "/api/v1/seizures/01",
    "/api/v1/seizures/0",
    "/api/v1/seizures/+1",
    "/api/v1/seizures/-1",
    "/api/v1/seizures/2147483648",
    "/api/v1/seizures/1?as_of=2020-01-01",
    "/api/v1/seizures/1?report_id=2",
    "/api/v1/seizures/1?foo=1",
    "/api/v1/seizures/1.csv",
    "/api/v1/seizures/totals.csv?year=2018",
    "/api/v1/seizures/totals?year=02018",
    "/api/v1/seizures/totals?year=1899",
    "/api/v1/seizures/totals?year=2018&year=2019",
    "/api/v1/seizures/totals?group_by=",
    "/api/v1/seizures/totals?group_by=year,year",
    "/api/v1/seizures/totals?group_by=year,%20substance",
    "/api/v1/seizures/totals?group_by=year%2Csubstance",
    "/api/v1/seizures/totals?group_by=year&group_by=substance",
    "/api/v1/seizures/totals?group_by=nothing",
    "/api/v1/seizures/totals?group_by=year,",
    "/api/v1/seizures/totals?year=2018&allocate=pro_rata",
    "/api/v1/seizures/totals?allocate=pro_rata",
    "/api/v1/seizures/totals?year=2018&format=json",
    "/api/v1/seizures/totals?year=2018&format=csv",
    "/api/v1/seizures/totals?year=2018&country=KAZ",
    "/api/v1/seizures/totals?year=2018&from=2018-02-01",
    "/api/v1/seizures/totals?year=2018&as_of=2020-01-01",
    "/api/v1/stages/01",
    "/api/v1/stages/0",
    "/api/v1/stages/+1",
    "/api/v1/stages/2147483648",
    "/api/v1/stages/1?as_of=2020-01-01",
    "/api/v1/stages/1?stage_id=2",
    "/api/v1/stages/1?foo=1",
    "/api/v1/stages/1.csv",
    "/api/v1/stages/grom-1",
]


STAGE = "/api/v1/stages/{}"
RUSSIAN: dict[str, Any] = {"Accept-Language": "ru"}


@pytest.fixture(scope="module")
def record_url(new_database: Callable[[], str]) -> str:
    """A database with every seed, the public record's stages among them: their parties,
    results, claims and the sources' versions that disagree; committed."""
    url = new_database()
    seed_database(url, public_record=True)
    return url


async def test_every_stage_answers_as_fastapi_does(record_url: str) -> None:
    """Every stage of the public record, with reports and without, and ids of none: the
    route's 404, which the fast path leaves to it."""
    engine = make_engine(record_url)
    try:
        with Session(engine) as session:
            ids = list(session.scalars(select(Stage.id).order_by(Stage.id)))
            with_reports = set(session.scalars(select(SeizureReport.stage_id).distinct()))
            with_results = set(session.scalars(select(StageResult.stage_id).distinct()))
    finally:
        engine.dispose()
    assert len(ids) >= 20
    assert set(ids) - with_reports  # stages without reports
    assert with_reports
    assert with_results
    async with app_pair(record_url) as (fast, slow):
        compare = Comparison(fast, slow)
        disagreeing = 0
        for turn, stage_id in enumerate(ids):
            answer = await compare.same(STAGE.format(stage_id))
            assert answer.json()["id"] == stage_id
            disagreeing += answer.json()["sources_disagree"]
            await _variant(compare, STAGE.format(stage_id), answer, turn)
            await compare.same(STAGE.format(stage_id), **RUSSIAN)
        assert disagreeing > 0
        for stage_id in (ids[-1] + 1, 2**31 - 1):
            answer = await compare.same(STAGE.format(stage_id), answered_fast=False)
            assert answer.status == 404
            await compare.same(STAGE.format(stage_id), answered_fast=False, **RUSSIAN)


async def test_what_the_reads_fast_paths_do_not_take_goes_to_fastapi(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    compare = Comparison(*clients)
    await compare.same(REPORT.format(1))  # builds the stack
    for url in NEAR_MISSES_OF_READS:
        await compare.same(url, answered_fast=False)
    for headers in ({"Accept": "text/csv"}, {"Authorization": "Bearer nonsense"}):
        await compare.same(REPORT.format(2), answered_fast=False, **headers)
        await compare.same(TOTALS + "?year=2018", answered_fast=False, **headers)
    await compare.same(REPORT.format(3), method="DELETE", answered_fast=False)
    await compare.same(REPORT.format(4) + "/")  # the transport's slash rule, then the path
    await compare.same("/api/v1/seizures/%35")  # the path as ASGI gives it, decoded: 5
    await compare.same(STAGE.format(1) + "/")
    await compare.same(STAGE.format(1), answered_fast=False, Accept="text/csv")
    await compare.same(STAGE.format(1), answered_fast=False, Authorization="Bearer nonsense")
    await compare.same(STAGE.format(1), method="DELETE", answered_fast=False)


FRONT_PAGE_WAYS: list[dict[str, Any]] = [
    {},
    {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"},
    {"Accept-Language": "de, en;q=0.5"},
    {"Accept-Encoding": "gzip"},
    {"Accept-Encoding": "gzip, br, zstd", "User-Agent": "a browser"},
]


async def test_the_front_page_answers_as_fastapi_does(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    """The fast path gives the front page the route kept: the first asking of each
    language is the route's, every other asking of it the fast path's."""
    compare = Comparison(*clients)
    for url in ("/", "/?lang=ru", "/?lang=en"):
        for turn, headers in enumerate(FRONT_PAGE_WAYS):
            # A page of its own: the first of each query, and `/` in Russian by its header.
            first = turn == 0 or (url == "/" and "ru-RU" in headers.get("Accept-Language", ""))
            answer = await compare.same(url, answered_fast=not first, **headers)
            assert answer.status == 200
            assert answer.header("content-type") == "text/html; charset=utf-8"
            await compare.same(url, method="HEAD", **headers)
    # Every GET but the four first ones (each HEAD after it is the kept answer of its GET).
    assert layer_of(clients[0], FastPaths).hits == 3 * len(FRONT_PAGE_WAYS) - 4


async def test_what_the_front_pages_fast_path_does_not_take_goes_to_fastapi(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    compare = Comparison(*clients)
    await compare.same("/", answered_fast=False)  # kept by the route
    for query in ("lang=", "lang=de", "lang=RU", "lang=ru&lang=en", "to=2018-12-31", "x=1"):
        await compare.same(f"/?{query}", answered_fast=False)
    await compare.same("/?as_of=2020-01-01", answered_fast=False)
    await compare.same("/", answered_fast=False, Authorization="Bearer nonsense")
    await compare.same("/", method="POST", answered_fast=False)
