import asyncio
import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from anyio import to_thread
from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy.engine import make_url

from app.changelog import router as changelog
from app.council import router as council
from app.coverage import router as coverage
from app.db import ConnectionBudget, Lanes, LoopReads, make_engine, make_sessionmaker
from app.deps import refuse_nul_characters
from app.errors import install_error_handlers
from app.feedback import router as feedback
from app.http import fast_path, health, transport
from app.http import index as api_index
from app.http.answers import VersionedCache
from app.http.as_of import read_as_of
from app.http.caching import CacheHeaders, dated_read
from app.http.docs import install_docs
from app.http.examples import install_examples
from app.http.kept_answers import DataVersionNow, new_kept_answers
from app.http.negotiation import check_media_types
from app.http.strict_query import install as install_strict_query
from app.http.strict_query import refuse_unknown_query_parameters
from app.operations import fast_reads as operations_fast_reads
from app.operations import router as operations
from app.pages import fast_front
from app.pages import feedback as feedback_page
from app.pages import router as pages
from app.pages import staff as staff_page
from app.pages.chart_images import ChartImages
from app.reference import router as reference
from app.releases import router as releases
from app.releases.snapshots import PastRecords
from app.search import router as search
from app.search.service import new_cache as new_search_cache
from app.security import check_production_settings, install_security
from app.seizures import derived_tables, fast_list, fast_reads
from app.seizures import router as seizures
from app.seizures.kept_totals import KeptTotals
from app.settings import Settings, get_settings
from app.staff import router as staff
from app.staff.auth import reader_check

DESCRIPTION = """
The registry of the anti-drug cooperation of the CSTO member states: the Coordinating
Council (KSOPN), its meetings, operation **Channel** and its stages, the **Grom** exercises,
and the drug seizures they report, each fact with its source and the place in it.

Seizure quantities are exact integers in base units (grams for mass). A report with a
`parent_id` is part of its parent ("including ..."). Errors are `application/problem+json`.

Every read of the record takes `as_of` (a release's version such as `1.0.0`, or a date or
date-time) and answers as the record stood then: the same answer again next year.
"""


# One module per domain serves every method of its URLs: reads under the domain's tag,
# staff writes under a staff tag (two routers, one file).
API_ROUTERS = [
    operations.router,
    seizures.router,
    reference.router,
    council.router,
    search.router,
    coverage.router,
    feedback.router,
    releases.router,
    changelog.router,
    operations.staff_router,
    seizures.staff_router,
    council.staff_router,
    reference.staff_router,
    feedback.staff_router,
    releases.staff_router,
    staff.router,
]

_apps_running = 0


@contextmanager
def _startup_objects_frozen() -> Iterator[None]:
    """The objects of start-up (modules, routes, schemas) live as long as the process.
    Frozen, they are out of the garbage collector's way: a full collection over them took
    150 ms and set the p99 of every read (the year list's: 85 ms, 37 ms frozen). Freezing is
    process-wide, so it is undone only when the last app of the process ends (the tests
    start many; a server starts one per worker process)."""
    global _apps_running
    gc.freeze()
    _apps_running += 1
    try:
        yield
    finally:
        _apps_running -= 1
        if _apps_running == 0:
            gc.unfreeze()


def default_threads(dialect: str) -> int:
    """The worker threads (FastAPI's threadpool) that run requests' handlers and sessions,
    measured side by side with anyio's default of 40, at 4 connections. SQLite: two; with
    40 the year list served 150-190 requests/s on a million reports, with one 340-350 (the
    threads spent most of their time taking the GIL back after each row). Two, not one, so
    that a long write, which takes at most all threads but one (`write_slots`), never
    stops the reads: with one thread, a read waited the whole of a 1,000-report stage
    post. PostgreSQL: 8, whose waits for the server overlap; with one the year list served
    82-95 requests/s on 200,000 reports, with 8 103-126."""
    return 8 if dialect == "postgresql" else 2


# PostgreSQL connections of a process for the statements read in its event loop
# (`app.db.LoopReads`; SQLite's has one), beside its pool: the year list's pages, one
# statement each. With them all busy, a page is read in a worker thread, as on any other path.
LOOP_READS = 4


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    check_production_settings(settings)
    derived_tables.keep_current()  # before any session of the app can write a report

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        dialect = make_url(settings.database_url).get_backend_name()
        threads = settings.worker_threads or default_threads(dialect)
        budget = ConnectionBudget.for_threads(threads)
        engine = make_engine(
            settings.database_url,
            echo=settings.sql_echo,
            sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            pool_size=budget.pool_size,
        )
        app.state.sessionmaker = make_sessionmaker(engine)
        # What the record as it stood is built from (`as_of`): connections of their own,
        # outside the pool that the budget shares out, for a build that may take a minute.
        history_engine = make_engine(
            settings.database_url,
            sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            pool_size=None,
            pooled=False,
        )
        app.state.history_sessions = make_sessionmaker(history_engine)
        app.state.past_records = PastRecords(
            settings.snapshots_dir, settings.releases_dir, settings.snapshots_kept
        )
        app.state.write_sessionmaker = make_sessionmaker(engine, writes=True)
        app.state.key_sessionmaker = make_sessionmaker(engine, autocommit=True)
        app.state.lanes = Lanes(budget)
        app.state.loop_reads = LoopReads.for_engine(engine, LOOP_READS)
        app.state.answers = VersionedCache(weigh=KeptTotals.weigh)
        app.state.page_answers = VersionedCache()  # what a page computes from the figures
        app.state.front_pages = pages.new_front_pages()
        app.state.chart_images = ChartImages()
        # Whole answers kept per data version, read for each request (app/http/kept_answers.py).
        version_now = DataVersionNow(engine)
        if settings.fast_paths:
            app.state.kept_answers = new_kept_answers()
            app.state.data_version_now = version_now
        app.state.search = new_search_cache()  # the search index of the newest data version
        to_thread.current_default_thread_limiter().total_tokens = threads
        # Fewer write transactions at a time than threads: a write waiting in a thread for
        # a lock that another one holds must leave a thread for the other to commit in, and
        # a long write (a stage of a thousand reports) leaves a thread for the reads.
        app.state.write_slots = asyncio.Semaphore(max(1, threads - 1))
        try:
            with _startup_objects_frozen():
                yield
        finally:
            await app.state.loop_reads.close()
            app.state.past_records.close()
            version_now.close()
            history_engine.dispose()
            engine.dispose()

    app: FastAPI = FastAPIOffline(
        docs_url=None,  # app/http/docs.py serves /docs, with no inline script
        redoc_url=None,  # ReDoc's badge comes from a CDN: /redoc redirects to /docs
        title="KSOPN registry",
        version="0.1.0",
        description=DESCRIPTION,
        # The data's licence: what a reader of the API may do with its answers. The code's
        # (MIT) is in LICENSE; CITATION.cff says how to cite the registry.
        license_info={"name": "CC BY 4.0 (the data)", "identifier": "CC-BY-4.0"},
        lifespan=lifespan,
        redirect_slashes=False,  # transport.py serves `/seizures/` as `/seizures`
    )
    app.state.settings = settings
    install_error_handlers(app)
    # First, so that it sits inside every middleware: they treat its answers as the routes'.
    fast_path.install(
        app,
        [
            fast_list.YEAR_LIST,
            fast_reads.REPORT,
            fast_reads.TOTALS,
            operations_fast_reads.STAGE,
            fast_front.FRONT_PAGE,
        ],
    )
    install_security(app, settings)
    app.add_middleware(
        CacheHeaders,
        max_age=settings.cache_max_age,
        reads_need_key=settings.require_key_for_reads,
    )
    transport.install(app, settings.allowed_hosts)
    # Every endpoint refuses a query parameter it does not declare (app/http/strict_query.py),
    # after the key check: a read that needs a key answers 401 first, as for any other
    # parameter. The docs pages (/docs, /openapi.json) filter nothing and stay lenient.
    strict_query = Depends(refuse_unknown_query_parameters)
    media_types = Depends(check_media_types)
    app.include_router(health.router, dependencies=[media_types, strict_query])
    # `GET /api/v1`: the index of the collections (app/http/index.py).
    app.include_router(
        api_index.router, dependencies=[Depends(reader_check), media_types, strict_query]
    )
    for router in API_ROUTERS:
        app.include_router(
            router,
            prefix="/api/v1",
            dependencies=[
                Depends(refuse_nul_characters),
                Depends(reader_check),
                media_types,
                strict_query,
                Depends(dated_read),
                Depends(read_as_of),
            ],
        )
    # The pages for people (app/pages/): HTML in Russian and English, not in the OpenAPI
    # document; their own unknown query parameters are a 422 page.
    pages.install(
        app,
        dependencies=[
            Depends(refuse_nul_characters),
            Depends(reader_check),
            Depends(read_as_of),
        ],
    )
    # The error report form (app/pages/feedback.py): a page like the others.
    app.include_router(
        feedback_page.router,
        dependencies=[Depends(refuse_nul_characters), Depends(reader_check), strict_query],
    )
    # The staff form (app/pages/staff.py) holds no data, so it opens without a key even when
    # reads need one: the user types the key into it.
    app.include_router(
        staff_page.router,
        dependencies=[Depends(refuse_nul_characters), strict_query],
    )
    install_strict_query(app)

    install_examples(app)
    install_docs(app)

    return app
