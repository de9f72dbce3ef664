"""A seizure report, `GET /api/v1/seizures/{report_id}`, and the totals of a year,
`GET /api/v1/seizures/totals?year=2018&group_by=country`, on the kit's fast path
(app/http/fast_path.py): the same answers as the routes `app.seizures.router.get_seizure`
and `totals`, with the same code, without FastAPI's routing and dependency solving.

Each takes only the spellings of its parameters that `str(int)` and the route's own links
write; any other spelling, parameter or outcome (a report that does not exist is FastAPI's
404) goes to the route. The app factory installs them (app/main.py)."""

from collections.abc import Mapping
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from app.common import MAX_ID
from app.db import version_in_loop
from app.errors import NotFoundError
from app.http import fast_path
from app.http.representation import represent, respond
from app.models.versions import note_read_with_facts
from app.seizures.kept_totals import kept_already, kept_at
from app.seizures.router import report_answer
from app.seizures.schemas import SeizureDetail
from app.seizures.service import report_in_loop
from app.seizures.totals import GROUP_KEYS


def _report(request: Request, session: Session, params: Mapping[str, Any]) -> Response | None:
    """What `get_seizure` answers; None for a report that does not exist, whose 404 the
    route writes."""
    try:
        return report_answer(request, session, params["report_id"])
    except NotFoundError:
        return None


async def _report_in_loop(
    request: Request, session: Session, params: Mapping[str, Any]
) -> Response | None:
    """`_report`, its one statement read in the event loop (`app.db.LoopReads`); None
    when it is read as `_report` reads it (see `report_in_loop`)."""
    found = await report_in_loop(request.app.state.loop_reads, session, params["report_id"])
    return None if found is None else represent(request, SeizureDetail, found, shaped=True)


REPORT = fast_path.FastPath(
    path="/api/v1/seizures/{report_id}",
    params={},
    answer=_report,
    loop_answer=_report_in_loop,
    rows=lambda params: 1,
    segment=fast_path.canonical_int(1, MAX_ID),
)


def _group_by(text: str) -> tuple[str, ...] | None:
    """Group keys as one comma-separated value, each named once and without spaces (as the
    pages' links write them); the route reads other spellings, and refuses what is wrong."""
    keys = tuple(text.split(","))
    if not all(key in GROUP_KEYS for key in keys) or len(set(keys)) != len(keys):
        return None
    return keys


def _totals(request: Request, session: Session, params: Mapping[str, Any]) -> Response | None:
    """What `totals` answers as JSON, when the route (or the front page) has kept it at the
    data version; else None: the route sums the registry, in a worker thread, and keeps it.
    So the fast path reads one row (the version), in the event loop on SQLite."""
    kept = kept_already(request, session)
    return None if kept is None else respond(request, kept.json)


async def _totals_in_loop(
    request: Request, session: Session, params: Mapping[str, Any]
) -> Response | None:
    """`_totals`, the version read in the event loop, with the time of the facts' last
    change, in one statement (`app.db.LoopReads`): on PostgreSQL the session's read took a
    worker thread, BEGIN, the time, the version and COMMIT. Noted only when the totals are
    kept at that version: else the route reads and notes its own."""
    read = await version_in_loop(request.app.state.loop_reads)
    kept = None if read is None else kept_at(request, read[0])
    if read is None or kept is None:
        return None
    note_read_with_facts(session, *read, session.get_bind().dialect)
    return respond(request, kept.json)


TOTALS = fast_path.FastPath(
    path="/api/v1/seizures/totals",
    params={"year": fast_path.canonical_int(1900, 2100), "group_by": _group_by},
    answer=_totals,
    loop_answer=_totals_in_loop,
    rows=lambda params: 1,
)
