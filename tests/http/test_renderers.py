"""The output formats of the lists, one renderer each in app/http/listing.py (issue 12):
negotiation picks from the registry, every download is written by its renderer, and a list's
own faster writer (the seizures' CSV) stands in for the generic one byte for byte."""

import csv
import io
import json
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any, cast, get_args

import anyio
import pytest
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.requests import Request

from app.db import ConnectionBudget, Lanes
from app.http import listing
from app.http.listing import (
    CSV,
    RENDERERS,
    ExportFormat,
    Listing,
    csv_cell,
    csv_columns,
    csv_file,
    negotiate,
)
from app.http.pagination import PageRequest
from app.seizures import router
from app.seizures.schemas import SeizureOut, TotalLine
from app.seizures.service import SeizureFilters, list_seizures, seizure_csv_chunks

NDJSON = RENDERERS["ndjson"]


def test_the_format_parameter_offers_every_renderer(client: TestClient) -> None:
    """`format=` offers them all; the docs give each download a URL of its own."""
    assert set(get_args(ExportFormat)) == set(RENDERERS)
    paths = client.get("/openapi.json").json()["paths"]
    page = paths["/api/v1/seizures"]["get"]["responses"]["200"]["content"]
    assert set(page) == {"application/json"}
    for renderer in RENDERERS.values():
        if renderer.rows is not None:
            export = paths[f"/api/v1/seizures.{renderer.extension}"]["get"]
            assert set(export["responses"]["200"]["content"]) == {renderer.media_type}


@pytest.mark.parametrize("name", list(RENDERERS))
def test_accept_picks_a_renderer_by_its_media_type(name: str) -> None:
    assert negotiate(None, RENDERERS[name].media_type) == name
    assert negotiate(None, f"text/html, {RENDERERS[name].media_type};q=0.2") == name


def test_negotiation_prefers_format_then_quality_then_order() -> None:
    assert negotiate("csv", "application/x-ndjson") == "csv"
    assert negotiate(None, None) == "json"
    assert negotiate(None, "text/html, */*") == "json"
    assert negotiate(None, "text/csv;q=0.5, application/x-ndjson") == "ndjson"
    assert negotiate(None, "application/x-ndjson, text/csv") == "ndjson"
    assert negotiate(None, "text/csv;q=0, application/json;q=0.1") == "json"


@pytest.mark.parametrize("name", ["csv", "ndjson"])
def test_a_download_is_named_and_typed_by_its_renderer(client: TestClient, name: str) -> None:
    response = client.get(f"/api/v1/countries?format={name}")
    assert response.headers["content-type"] == RENDERERS[name].content_type
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="ksopn-countries-')
    assert disposition.endswith(f'.{RENDERERS[name].extension}"')


def test_seizures_write_their_own_csv_only(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[SeizureFilters] = []

    def counted(session: Session, filters: SeizureFilters) -> Iterator[bytes]:
        calls.append(filters)
        return original(session, filters)

    original = seizure_csv_chunks
    monkeypatch.setattr(router, "seizure_csv_chunks", counted)
    generic = b"".join(
        CSV.write(SeizureOut, iter([list_seizures(session, SeizureFilters(), None)]))
    )
    assert client.get("/api/v1/seizures?format=csv").content == generic
    assert client.get("/api/v1/seizures", headers={"Accept": "text/csv"}).content == generic
    assert len(calls) == 2
    ndjson = client.get("/api/v1/seizures?format=ndjson")
    assert len(calls) == 2, "no faster NDJSON: the generic writer sends it"
    assert ndjson.headers["content-type"] == "application/x-ndjson"


class Thing(BaseModel):
    id: int
    name: str


THINGS: list[dict[str, Any]] = [
    {"id": n, "name": f"=thing {n}" if n == 3 else f"thing, {n}"} for n in range(1, 6)
]


class ExportSession:
    """Stands in for the export's own session: records when it is opened and closed."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def __enter__(self) -> "ExportSession":
        self.log.append("open")
        return self

    def __exit__(self, *exc: object) -> None:
        self.log.append("close")


@pytest.fixture
def data_version_7(monkeypatch: pytest.MonkeyPatch) -> None:
    """The request's session answers one question of a download: the data version (its ETag)."""
    monkeypatch.setattr(listing, "data_version", lambda session: 7)


def _listing(format_: str, log: list[str]) -> Listing:
    query = f"format={format_}".encode()
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/things",
        "query_string": query,
        "headers": [],
        "app": SimpleNamespace(state=SimpleNamespace(lanes=Lanes(ConnectionBudget.for_threads(1)))),
    }
    return Listing(
        Request(scope),
        session=cast(Session, None),  # a download reads only the data version there
        page=PageRequest(limit=50, after=None),
        renderer=RENDERERS[format_],
        sessions=lambda: cast(Session, ExportSession(log)),
    )


def _fetch(log: list[str]) -> listing.Fetch:
    def fetch(session: Session, after: int, limit: int) -> list[dict[str, Any]]:
        log.append(f"fetch after {after}")
        return [thing for thing in THINGS if thing["id"] > after][:limit]

    return fetch


def _body(response: Any) -> bytes:
    assert isinstance(response, StreamingResponse)

    async def read() -> bytes:
        chunks = cast(AsyncIterator[bytes], response.body_iterator)
        return b"".join([chunk async for chunk in chunks])

    return anyio.run(read)


def test_an_export_reads_in_batches_from_a_session_of_its_own(
    monkeypatch: pytest.MonkeyPatch, data_version_7: None
) -> None:
    monkeypatch.setattr(listing, "EXPORT_BATCH", 2)
    log: list[str] = []
    response = _listing("csv", log).respond(Thing, _fetch(log))
    assert log == [], "nothing is read before the body is sent"
    body = _body(response)
    assert log == ["open", "fetch after 0", "fetch after 2", "fetch after 4", "close"]
    rows = [[thing["id"], thing["name"]] for thing in THINGS]
    rows[2][1] = "'=thing 3"  # a formula is quoted
    assert body == csv_file(["id", "name"], rows)
    assert body.startswith(b'\xef\xbb\xbfid,name\r\n1,"thing, 1"\r\n')


def test_a_faster_writer_replaces_only_the_rows_of_its_format(data_version_7: None) -> None:
    log: list[str] = []

    def lines(session: Session, after: int) -> Iterator[str]:
        log.append(f"own lines after {after}")
        yield "1,own\r\n"

    faster = {"csv": lines}
    body = _body(_listing("csv", log).respond(Thing, _fetch(log), faster=faster))
    assert body == b"\xef\xbb\xbfid,name\r\n1,own\r\n", "the generic CSV's head, the own rows"
    assert log == ["open", "own lines after 0", "close"]
    log.clear()
    ndjson = _body(_listing("ndjson", log).respond(Thing, _fetch(log), faster=faster))
    assert [json.loads(line) for line in ndjson.splitlines()] == THINGS


@pytest.mark.parametrize("renderer", [CSV, NDJSON], ids=["csv", "ndjson"])
def test_batches_do_not_change_the_bytes(renderer: listing.Renderer) -> None:
    whole = b"".join(renderer.write(Thing, iter([THINGS])))
    assert b"".join(renderer.write(Thing, iter([[thing] for thing in THINGS]))) == whole


@pytest.mark.parametrize(
    "query", ["from=2017-01-01&to=2019-12-31&group_by=substance", "year=2019&substance=opium"]
)
def test_the_totals_csv_is_a_csv_file_of_its_lines(client: TestClient, query: str) -> None:
    """What the registry offers the totals' CSV (`csv_file`, CSV's content type) gives the
    bytes it sends today, so it can switch over unchanged."""
    window = ("2017-01-01", "2019-12-31") if "from=" in query else ("2019-01-01", "2019-12-31")
    covers = {"groups": window, "beyond_window": ("2017-01-01", "2019-12-31")}
    body = client.get(f"/api/v1/seizures/totals?{query}").json()
    columns = [path for path in csv_columns(TotalLine) if path[0] != "sources"]
    extra = ["covers_from", "covers_to", "allocation_basis"]
    header = ["section", *("_".join(path) for path in columns), "sources", *extra]
    rows = [
        [
            section,
            *(csv_cell(line, path) for path in columns),
            ";".join(f"{c['source']} {c['locator']}" for c in line["sources"]),
            # neither query allocates: the dates its lines cover, and no basis
            *covers[section],
            "",
        ]
        for section in ("groups", "beyond_window")
        for line in body[section]
    ]
    assert rows, "the query has lines"
    as_csv = client.get(f"/api/v1/seizures/totals?{query}&format=csv")
    assert as_csv.content == csv_file(header, rows)
    assert as_csv.headers["content-type"] == CSV.content_type
    assert next(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig")))) == header
