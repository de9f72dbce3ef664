"""List endpoints: a JSON page, or every matching row exported as CSV or NDJSON.

Each format is a `Renderer` in RENDERERS; `format=` or `Accept` picks one (`negotiate`). An
export walks the list in id order, a batch at a time, in a session of its own (the
request's session is closed before a streamed body starts), so memory stays flat however
many rows match. A list may write a format itself, faster (`Listing.respond`'s `faster`).
"""

import csv
import hashlib
import inspect
import io
import json
import re
import types
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import iterate_in_threadpool
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo
from sqlalchemy.orm import Session

from app.deps import SessionDep, as_of_sessions
from app.http.pagination import PageDep, PageRequest, after_id, page_of
from app.http.representation import etag_of, not_modified, validators
from app.http.schemas import Page
from app.models.versions import data_version

# Text that a spreadsheet would run as a formula; OWASP's advice is to quote it with `'`.
# Every CSV the registry writes does so for each text cell as written, lists joined (the
# generic writer in write_csv, the seizures' fast one in csv_text), and for each element of
# a list as well: splitting a column on `;` makes an element a cell of its own.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


CSV_SPECIAL = re.compile(r'[,"\r\n]')
NEEDS_CARE = re.compile(r'^[=+\-@\t\r]|[,"\r\n]')


def inert(text: str) -> str:
    """`text`, quoted with `'` if a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_list(values: Iterable[Any]) -> str:
    """A list as one CSV cell: its elements joined by `;`, each inert."""
    return ";".join(inert(str(value)) for value in values)


def csv_text(value: str | None) -> str:
    """A text field as `csv.writer` writes it (quoted only when it must be), after quoting
    text a spreadsheet would run as a formula (OWASP's advice for CSV)."""
    if value is None:
        return ""
    if not NEEDS_CARE.search(value):
        return value
    value = inert(value)
    if CSV_SPECIAL.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


EXPORT_BATCH = 2000

Fetch = Callable[[Session, int, int], list[dict[str, Any]]]
Batches = Iterator[list[dict[str, Any]]]
# A list's own writer of a format: the text of every row after an id, in that format, as
# text or already encoded.
Lines = Callable[[Session, int], Iterator[str | bytes]]


@dataclass(frozen=True)
class Renderer:
    """An output format of the lists, after Datasette's output renderers: its name (the
    `format=` value and the download's extension), the media type `Accept` names, and how
    it writes rows. JSON writes none: it sends a page with `next`, not every row."""

    extension: str
    media_type: str
    charset: str | None = None
    # What comes before the rows (CSV's byte-order mark and header), for the generic writer
    # and a list's own alike, so the two cannot differ there.
    head: Callable[[type[BaseModel]], bytes] | None = None
    rows: Callable[[type[BaseModel], Batches], Iterator[bytes]] | None = None

    @property
    def content_type(self) -> str:
        return self.media_type + (f"; charset={self.charset}" if self.charset else "")

    def write(self, item: type[BaseModel], batches: Batches) -> Iterator[bytes]:
        """Every row of `batches`, validated as `item`, after the head."""
        assert self.rows is not None, f"{self.extension} writes pages, not rows"
        return self._after_head(item, self.rows(item, batches))

    def write_own(self, item: type[BaseModel], lines: Iterator[str | bytes]) -> Iterator[bytes]:
        """A list's own text of its rows (see `Listing.respond`), after the same head."""
        return self._after_head(
            item, (chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in lines)
        )

    def _after_head(self, item: type[BaseModel], body: Iterator[bytes]) -> Iterator[bytes]:
        if self.head is not None:
            yield self.head(item)
        yield from body


# The byte-order mark makes spreadsheets read the file as UTF-8 (Cyrillic intact).
BOM = "\ufeff".encode()


def write_csv(rows: Iterable[Iterable[Any]]) -> bytes:
    """Rows of cells as CSV lines, as RFC 4180 has them: CRLF, quoted only where needed;
    text that a spreadsheet would run as a formula is made inert, whatever wrote the row."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [inert(cell) if isinstance(cell, str) else cell for cell in row] for row in rows
    )
    return buffer.getvalue().encode()


def csv_file(header: Iterable[str], rows: Iterable[Iterable[Any]] = ()) -> bytes:
    """A whole CSV file in one piece: the byte-order mark, the header, the rows."""
    return BOM + write_csv([header, *rows])


def _csv_head(item: type[BaseModel]) -> bytes:
    return csv_file("_".join(path) for path in csv_columns(item))


def _csv_rows(item: type[BaseModel], batches: Batches) -> Iterator[bytes]:
    columns = csv_columns(item)
    adapter = _list_adapter(item)
    for rows in batches:
        ready = adapter.dump_python(adapter.validate_python(rows), mode="json")
        yield write_csv([_cell(_at(row, path)) for path in columns] for row in ready)


def _ndjson_rows(item: type[BaseModel], batches: Batches) -> Iterator[bytes]:
    adapter = _list_adapter(item)
    for rows in batches:
        items = adapter.validate_python(rows)
        yield b"".join(item.__pydantic_serializer__.to_json(one) + b"\n" for one in items)


RENDERERS = {
    renderer.extension: renderer
    for renderer in (
        Renderer("json", "application/json"),
        Renderer("csv", "text/csv", charset="utf-8", head=_csv_head, rows=_csv_rows),
        Renderer("ndjson", "application/x-ndjson", rows=_ndjson_rows),
    )
}
CSV = RENDERERS["csv"]
# The `format=` values, spelled out for the API docs and mypy; a test holds them to RENDERERS.
ExportFormat = Literal["json", "csv", "ndjson"]
# The JSON page alone: each download has a URL and an operation of its own (`add_exports`),
# so that a typed client gets a page from the list, not "a page or a string".
EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {"description": "A page of JSON; `next` (and the `Link` header) leads to the next."}
}


def _csv_batches(item: type[BaseModel], batches: Batches) -> Iterator[bytes]:
    """The generic CSV of `batches`, which a list's own CSV must equal (tests compare)."""
    return CSV.write(item, batches)


async def get_export_sessions(request: Request) -> Callable[[], Session]:
    factory: Callable[[], Session] = as_of_sessions(request) or request.app.state.sessionmaker
    return factory


@dataclass(frozen=True)
class Listing:
    request: Request
    session: Session
    page: PageRequest
    renderer: Renderer
    sessions: Callable[[], Session]

    def respond(
        self,
        item: type[BaseModel],
        fetch: Fetch,
        *,
        count: int | None = None,
        shaped: bool = False,
        faster: Mapping[str, Lines] | None = None,
    ) -> Response:
        """`fetch(session, after_id, limit)` gives rows in id order after `after_id`;
        `shaped`: the rows are already in `item`'s JSON shape (see `representation`);
        `faster`: the list's own writers, by format, for a million-row export the generic
        one writes too slowly: `lines(session, after_id)` gives the text of every row
        after `after_id`, byte for byte what the generic writer makes of them."""
        start = after_id(self.page)
        renderer = self.renderer
        if renderer.rows is None:  # JSON: one page
            rows = fetch(self.session, start, self.page.limit + 1)
            page = Page[item]  # type: ignore[valid-type]
            return page_of(self.request, page, rows, self.page, count=count, shaped=shaped)
        own = (faster or {}).get(renderer.extension)
        if own is None:
            body = renderer.write(item, self._batches(fetch, start))
        else:
            body = renderer.write_own(item, self._own_lines(own, start))
        resource = self.request.url.path.rstrip("/").rsplit("/", 1)[-1]
        resource = resource.removesuffix(f".{renderer.extension}")  # `/seizures.csv`
        return download(self.request, resource, renderer, body, version=data_version(self.session))

    # Both read in a session of the export's own: the request's is closed before a
    # streamed body starts. Opened when the body is first read, closed when it ends.

    def _own_lines(self, lines: Lines, start: int) -> Iterator[str | bytes]:
        with self.sessions() as session:
            yield from lines(session, start)

    def _batches(self, fetch: Fetch, start: int) -> Batches:
        with self.sessions() as session:
            after = start
            while True:
                rows = fetch(session, after, EXPORT_BATCH)
                if rows:
                    yield rows
                if len(rows) < EXPORT_BATCH:
                    return
                after = rows[-1]["id"]


def download(
    request: Request,
    resource: str,
    renderer: Renderer,
    body: bytes | Iterator[bytes],
    *,
    version: int | None = None,
) -> Response:
    """A file to save, in the renderer's format, named after the request's filters
    (`download_filename`); streamed unless the body is made already.

    Its ETag is the hash of a body made already; a streamed body is not known before it is
    sent, so its ETag names what it is made from: the data version it was read at (read
    before the stream starts, so the tag is never newer than the rows) and the request.
    """
    if isinstance(body, bytes):
        etag = etag_of(body)
    else:
        assert version is not None, "a streamed download is tagged with its data version"
        made_of = f"{version} {renderer.content_type} {request.url.path}?{request.url.query}"
        etag = etag_of(made_of.encode())
    name = download_filename(request, resource, renderer.extension)
    headers = {"Content-Disposition": content_disposition(name), **validators(request, etag)}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    if isinstance(body, bytes):
        return Response(body, media_type=renderer.content_type, headers=headers)
    lane = request.app.state.lanes.exports
    return StreamingResponse(
        _in_lane(lane, body), media_type=renderer.content_type, headers=headers
    )


async def _in_lane(lane: anyio.Semaphore, body: Iterator[bytes]) -> AsyncIterator[bytes]:
    """A streamed body, read in worker threads while it holds a slot of the exports' lane
    (`app.db.ConnectionBudget`): its session is open from the first chunk to the last, and
    a download that waits for a slot waits here, before its session takes a connection.
    Closed in any case, so that a client that goes away ends the export's session."""
    async with lane:
        try:
            async for chunk in iterate_in_threadpool(body):
                yield chunk
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(close)


# Parameters that choose how rows are sent, not which: a download's name leaves them out.
NOT_FILTERS = frozenset({"format", "cursor", "limit", "count"})
MAX_FILTER_BYTES = 100  # of the filters' part of a name; a file name may have 255 bytes
# Russian, and the other Cyrillic letters of the member states' languages, in Latin letters
# (ICAO Doc 9303), for the ASCII name that clients without RFC 6266's `filename*` use.
CYRILLIC_TO_LATIN = str.maketrans(
    {
        **dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziiklmnoprstufye", strict=True)),
        **{"ё": "e", "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch"},
        **{"ъ": "ie", "ь": "", "ю": "iu", "я": "ia", "є": "ie"},
        **dict(zip("іїўґәғқңөұүһ", "iiugagqnouuh", strict=True)),
    }
)


def download_filename(request: Request, resource: str, extension: str) -> str:
    """`ksopn-<resource>-<filters>-<date>.<extension>`, so that downloads of one resource
    with different filters do not take one name: `ksopn-seizures-year-2018-2026-12-01.csv`.

    The filters are the query parameters as given, in their order, less `format`, `cursor`,
    `limit` and `count`; a repeated one lists its values once after its name. Each name and
    value is a slug: lower case, every run of anything but letters, digits and `_` one `-`.
    Letters of any script stay (`q-героин`: send the name with `content_disposition`, which
    adds an ASCII form). Past MAX_FILTER_BYTES the filters are cut short and end with 8 hex
    digits of a hash of them all, so the name stays short and still tells filters apart.
    """
    values: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        if name not in NOT_FILTERS:
            values.setdefault(name, []).append(value)
    filters = "-".join(
        "-".join(slug for slug in map(_slug, (name, *given)) if slug)
        for name, given in values.items()
    )
    if len(filters.encode()) > MAX_FILTER_BYTES:
        digest = hashlib.sha256(repr(list(values.items())).encode()).hexdigest()[:8]
        kept = filters.encode()[: MAX_FILTER_BYTES - len(digest) - 1].decode(errors="ignore")
        filters = kept.rstrip("-") + "-" + digest
    stem = "-".join(part for part in ("ksopn", resource, filters) if part)
    return f"{stem}-{datetime.now(UTC):%Y-%m-%d}.{extension}"


def content_disposition(filename: str) -> str:
    """`attachment` with the name in ASCII (Cyrillic in Latin letters, other non-ASCII left
    out) and, when that is not the name itself, the name in UTF-8 (RFC 6266 `filename*`),
    which browsers prefer."""
    latin = "".join(
        char.translate(CYRILLIC_TO_LATIN)
        if char.islower()
        else char.lower().translate(CYRILLIC_TO_LATIN).capitalize()
        for char in filename
    )
    ascii_name = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r'["\\\x00-\x1f\x7f]', "", ascii_name)
    ascii_name = re.sub(r"-{2,}", "-", ascii_name)
    header = f'attachment; filename="{ascii_name}"'
    if ascii_name != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def _slug(text: str) -> str:
    return re.sub(r"\W+", "-", unicodedata.normalize("NFKC", text).lower()).strip("-")


def media_ranges(accept: str) -> list[tuple[str, float]]:
    """The media ranges of an `Accept` header, lower case, with their weights (RFC 9110
    12.5.1): what the lists' `negotiate` and the 406 check (app/http/negotiation.py) read."""
    ranges = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        ranges.append((media.lower(), weight))
    return ranges


def negotiate(format_: str | None, accept: str | None) -> str:
    """The name of a renderer in RENDERERS: `format=` wins; else the one whose media type
    `Accept` prefers (ties to the first named), JSON when it names none of them."""
    if format_ is not None:
        return format_
    offered = {renderer.media_type: name for name, renderer in RENDERERS.items()}
    preferences = [
        (-quality, position, offered[media])
        for position, (media, quality) in enumerate(media_ranges(accept or ""))
        if media in offered and quality > 0
    ]
    return min(preferences)[2] if preferences else "json"


async def listing(
    request: Request,
    session: SessionDep,
    page: PageDep,
    sessions: Annotated[Callable[[], Session], Depends(get_export_sessions)],
    format_: Annotated[
        ExportFormat | None,
        Query(
            alias="format",
            # Kept working, but documented as the downloads' own URLs (`add_exports`).
            include_in_schema=False,
            description="`csv` or `ndjson` downloads every matching row (limit is ignored); "
            "`Accept: text/csv` or `application/x-ndjson` does the same.",
        ),
    ] = None,
) -> Listing:
    chosen = RENDERERS[negotiate(format_, request.headers.get("accept"))]
    return Listing(request, session, page, chosen, sessions)


ListingDep = Annotated[Listing, Depends(listing)]


# -- the downloads' own URLs --------------------------------------------------------------

EVERY_ROW = PageRequest(limit=EXPORT_BATCH, after=None)  # an export walks every page itself
FORMAT_NOTES = {
    "csv": "UTF-8 with a byte-order mark (spreadsheets read Cyrillic right) and a header "
    "row; a nested object is `parent_child` columns, a list of values `;`-joined.",
    "ndjson": "One JSON object a line, each an item as the list's JSON page has it.",
}


def add_exports(
    router: APIRouter,
    endpoint: Callable[..., Response],
    what: str,
    formats: Sequence[str] = ("csv", "ndjson"),
    note: str = "",
) -> None:
    """Serves what `endpoint` answers on `router` as downloads too, at its URL with the
    format's extension (`/seizures.csv`, `/seizures.ndjson`, as Datasette does): the same
    handler and filters, and one media type each, so that a typed client gets a string from
    a download and a page from the list, never "a page or a string". The list keeps
    `format=` and `Accept` (no longer documented there) and says where its downloads are.
    `note` ends each download's description.

    Call it right after the list's route: a route declared before it could take the URL."""
    route = _route_of(router, endpoint)
    assert route.operation_id, f"{route.path}: give the route an operation_id"
    paged = _is_paged(endpoint)
    for extension in formats:
        renderer = RENDERERS[extension]
        router.add_api_route(
            f"{route.path}.{extension}",
            _exporting(endpoint, renderer),
            methods=["GET"],
            operation_id=export_operation_id(route.operation_id, extension),
            summary=f"{what} as {extension.upper()}",
            description=_export_description(route.path, renderer, paged=paged) + note,
            # add_api_route puts the router's own tags and dependencies first: not twice.
            tags=route.tags[len(router.tags) :],
            dependencies=route.dependencies[len(router.dependencies) :],
            responses={
                **{code: answer for code, answer in route.responses.items() if str(code) != "200"},
                200: {"description": f"{what}, as a file to save (`Content-Disposition`)."},
            },
            response_model=None,
            response_class=DOWNLOAD_CLASSES[extension],
            openapi_extra=route.openapi_extra,  # `UNDATED` (app/http/modified.py), say
        )
    urls = " or ".join(f"`{route.path}.{extension}`" for extension in formats)
    rows = "every matching row in one file, not pages" if paged else "the answer as a file"
    route.description += (
        f"\n\n**Downloads**: {urls}, with the same parameters: {rows}. `format=` or "
        "`Accept` here does the same."
    )


def export_operation_id(operation_id: str, extension: str) -> str:
    """`listSeizures` -> `exportSeizuresCsv`: the read's verb gives way to `export`."""
    return "export" + re.sub(r"^[a-z]+", "", operation_id) + extension.capitalize()


# A response class per download format, for the documented media type of an export's 200.
DOWNLOAD_CLASSES: dict[str, type[Response]] = {
    renderer.extension: type(
        f"{renderer.extension.capitalize()}Download",
        (Response,),
        {"media_type": renderer.media_type},
    )
    for renderer in RENDERERS.values()
    if renderer.rows is not None
}


def _route_of(router: APIRouter, endpoint: Callable[..., Response]) -> APIRoute:
    return next(
        route
        for route in router.routes
        if isinstance(route, APIRoute) and route.endpoint is endpoint
    )


def _is_paged(endpoint: Callable[..., Response]) -> bool:
    parameters = inspect.signature(endpoint, eval_str=True).parameters.values()
    return any(_is_listing(parameter.annotation) for parameter in parameters)


def _export_description(path: str, renderer: Renderer, *, paged: bool) -> str:
    rows = ": every matching row, not a page (no `limit` or `cursor`)" if paged else ""
    return (
        f"What `GET {path}` answers, with the same filters, as one download{rows}. "
        f"`{renderer.content_type}`, in a file named after the filters "
        f"(`ksopn-<what>-<filters>-<date>.{renderer.extension}`). "
        + FORMAT_NOTES[renderer.extension]
    )


def _exporting(endpoint: Callable[..., Response], renderer: Renderer) -> Callable[..., Response]:
    """`endpoint` as the download of `renderer`'s format: its `Listing` writes that format,
    and the parameters that choose how rows are sent, not which (`format`, `count`), are
    set, not taken (an export refuses them as unknown)."""
    assert not inspect.iscoroutinefunction(endpoint), "the lists' handlers are plain functions"
    signature = inspect.signature(endpoint, eval_str=True)
    taken, fixed = [], {}
    for parameter in signature.parameters.values():
        name = _request_name(parameter)
        if _is_listing(parameter.annotation):
            exporting = Annotated[Listing, Depends(_export_listing(renderer))]
            taken.append(parameter.replace(annotation=exporting))
        elif name == "format":
            fixed[parameter.name] = renderer.extension
        elif name in NOT_FILTERS:
            fixed[parameter.name] = parameter.default
        else:
            taken.append(parameter)

    def export(**values: Any) -> Response:
        return endpoint(**values, **fixed)

    # FastAPI reads a handler's parameters from its signature.
    export.__signature__ = signature.replace(parameters=taken)  # type: ignore[attr-defined]
    export.__name__ = export.__qualname__ = f"{endpoint.__name__}_{renderer.extension}"
    export.__module__ = endpoint.__module__
    return export


def _export_listing(renderer: Renderer) -> Callable[..., Any]:
    async def export_listing(
        request: Request,
        session: SessionDep,
        sessions: Annotated[Callable[[], Session], Depends(get_export_sessions)],
    ) -> Listing:
        return Listing(request, session, EVERY_ROW, renderer, sessions)

    return export_listing


def _is_listing(annotation: Any) -> bool:
    return get_origin(annotation) is Annotated and get_args(annotation)[0] is Listing


def _request_name(parameter: inspect.Parameter) -> str:
    """The name a client sends the parameter under: its alias (`format` for `format_`)."""
    metadata = [parameter.default]
    if get_origin(parameter.annotation) is Annotated:
        metadata += get_args(parameter.annotation)[1:]
    aliases = [m.alias for m in metadata if isinstance(m, FieldInfo) and m.alias]
    return aliases[0] if aliases else parameter.name


def csv_columns(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """One column per scalar field; nested objects become `parent_child` columns."""
    columns = []
    for name, field in model.model_fields.items():
        nested = _nested_model(field.annotation)
        if nested is None:
            columns.append((*prefix, name))
        else:
            columns.extend(csv_columns(nested, (*prefix, name)))
    if not prefix:  # a row reads better with its id first and its source last
        columns.sort(key=lambda path: path[0] == "source")
    return columns


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) in (Union, types.UnionType):
        models = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _nested_model(models[0]) if len(models) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _at(row: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = row
    for name in path:
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return csv_list(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value  # write_csv makes text inert


_adapters: dict[type[BaseModel], TypeAdapter[list[Any]]] = {}


def _list_adapter(item: type[BaseModel]) -> TypeAdapter[list[Any]]:
    if item not in _adapters:
        _adapters[item] = TypeAdapter(list[item])  # type: ignore[valid-type]
    return _adapters[item]


def csv_cell(row: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The CSV field of a JSON-ready row at a column of `csv_columns`."""
    return _cell(_at(row, path))
