"""A stage, `GET /api/v1/stages/{stage_id}`, on the kit's fast path (app/http/fast_path.py):
the route's answer (`app.operations.router.stage_answer`), with the same code, without
FastAPI's routing and dependency solving, which were half of a stage's read when it holds
few reports.

It takes the id only as `str(int)` writes it, and no query; any other spelling, parameter
or outcome (a stage that does not exist is FastAPI's 404) goes to the route. The app factory
installs it (app/main.py)."""

from collections.abc import Mapping
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from app.common import MAX_ID
from app.errors import NotFoundError
from app.http import fast_path
from app.operations.router import stage_answer


def _stage(request: Request, session: Session, params: Mapping[str, Any]) -> Response | None:
    """What `get_stage` answers; None for a stage that does not exist, whose 404 the route
    writes."""
    try:
        return stage_answer(request, session, params["stage_id"])
    except NotFoundError:
        return None


STAGE = fast_path.FastPath(
    path="/api/v1/stages/{stage_id}",
    params={},
    answer=_stage,
    # A stage may hold thousands of reports: read in a worker thread, as the route reads it.
    rows=lambda params: fast_path.LOOP_ROWS + 1,
    segment=fast_path.canonical_int(1, MAX_ID),
)
