"""The totals answer as the totals route and its fast path both make and keep it, by data
version (app/http/answers.py): a kept total is never stale, and the two share what either
computed. The answer depends on the path and the query alone (the links in it too). p50 at
4 connections, 20,000 reports: 200 ms computed, 10 ms kept."""

from functools import cached_property, partial
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import Request
from sqlalchemy.orm import Session

from app.http.answers import VersionedCache
from app.http.representation import Rendered
from app.models.versions import read_data_version
from app.seizures.service import SeizureFilters
from app.seizures.totals import seizure_totals, totals_lines

WINDOW_PARAMS = ("year", "from", "to")
TOTALS_ONLY = ("group_by", "allocate", "format")


class KeptTotals:
    """A totals answer as the answers cache keeps it: its lines, and its JSON once written.
    Grouped by year and substance, a million reports give 1 MB of JSON, whose writing and
    hashing for every request were most of a kept answer's time (p50 at one connection:
    5.1 ms written each time, 1.7 ms kept)."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    @cached_property
    def json(self) -> Rendered:
        # Only the keys asked for appear in a line (the model's `exclude_unset`); the
        # shape is the model's (tests/seizures/test_shaped_bodies.py).
        return Rendered.of(orjson.dumps(self.body))

    def weigh(self) -> int:
        return totals_lines(self.body)


def kept_totals(
    request: Request,
    session: Session,
    filters: SeizureFilters,
    keys: list[str],
    *,
    pro_rata: bool = False,
) -> KeptTotals:
    """The totals of the request (its filters, group keys and allocation, already checked),
    kept under the path and the query."""
    make = partial(
        seizure_totals,
        session,
        filters,
        keys,
        pro_rata=pro_rata,
        list_url=partial(_list_url, request),
    )
    answers: VersionedCache = request.app.state.answers
    version = read_data_version(session)
    kept: KeptTotals = answers.get_or_make(version, _key(request), lambda: KeptTotals(make()))
    return kept


def kept_already(request: Request, session: Session) -> KeptTotals | None:
    """The totals of the request's path and query if they are kept at the data version."""
    return kept_at(request, read_data_version(session))


def kept_at(request: Request, version: int) -> KeptTotals | None:
    """The totals of the request's path and query if they are kept at `version`."""
    answers: VersionedCache = request.app.state.answers
    kept: KeptTotals | None = answers.get(version, _key(request))
    return kept


def _key(request: Request) -> tuple[str, str]:
    return request.url.path, request.url.query


def _list_url(request: Request, selects: dict[str, str]) -> str:
    """The seizure list of the request's filters, narrowed to a line by `selects`."""
    dropped = set(selects) | set(TOTALS_ONLY)
    if dropped & set(WINDOW_PARAMS):
        dropped |= set(WINDOW_PARAMS)
    if "period" in selects:  # a line beyond the window: its period without the window
        dropped |= {*WINDOW_PARAMS, "within_window"}
    if "substance" in selects:
        dropped.add("descendants")
    kept = [(name, value) for name, value in request.query_params.multi_items()]
    query = [(name, value) for name, value in kept if name not in dropped]
    path = request.url.path.rpartition("/totals")[0]  # of `/totals` and `/totals.csv`
    return f"{path}?{urlencode([*query, *selects.items()])}"
