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
from app.errors import NotFoundError
from app.http import fast_path
from app.http.representation import respond
from app.seizures.kept_totals import kept_already
from app.seizures.router import report_answer
from app.seizures.totals import GROUP_KEYS


def _report(request: Request, session: Session, params: Mapping[str, Any]) -> Response | None:
    """What `get_seizure` answers; None for a report that does not exist, whose 404 the
    route writes."""
    try:
        return report_answer(request, session, params["report_id"])
    except NotFoundError:
        return None


REPORT = fast_path.FastPath(
    path="/api/v1/seizures/{report_id}",
    params={},
    answer=_report,
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


TOTALS = fast_path.FastPath(
    path="/api/v1/seizures/totals",
    params={"year": fast_path.canonical_int(1900, 2100), "group_by": _group_by},
    answer=_totals,
    rows=lambda params: 1,
)
