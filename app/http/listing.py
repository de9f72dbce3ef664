"""List endpoints: a JSON page, or every matching row exported as CSV or NDJSON.

An export walks the list in id order, a batch at a time, in a session of its own (the
request's session is closed before a streamed body starts), so memory stays flat however
many rows match.
"""

import csv
import hashlib
import io
import json
import re
import types
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import quote

from fastapi import Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, TypeAdapter
from sqlalchemy.orm import Session

from app.deps import SessionDep
from app.http.pagination import PageDep, PageRequest, after_id, page_of
from app.schemas.common import Page

# Text that a spreadsheet would run as a formula; OWASP's advice is to quote it. Both CSV
# exports (the generic one below, and the seizures' fast one) follow this.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


CSV_SPECIAL = re.compile(r'[,"\r\n]')
NEEDS_CARE = re.compile(r'^[=+\-@\t\r]|[,"\r\n]')


def csv_text(value: str | None) -> str:
    """A text field as `csv.writer` writes it (quoted only when it must be), after quoting
    text a spreadsheet would run as a formula (OWASP's advice for CSV)."""
    if value is None:
        return ""
    if not NEEDS_CARE.search(value):
        return value
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    if CSV_SPECIAL.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


EXPORT_BATCH = 2000
MEDIA_TYPES = {"csv": "text/csv", "ndjson": "application/x-ndjson"}
EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A page of JSON; or, with `format=csv|ndjson` or the matching `Accept`, "
        "every matching row as a download.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}

Fetch = Callable[[Session, int, int], list[dict[str, Any]]]
ExportFormat = Literal["json", "csv", "ndjson"]


async def get_export_sessions(request: Request) -> Callable[[], Session]:
    factory: Callable[[], Session] = request.app.state.sessionmaker
    return factory


@dataclass(frozen=True)
class Listing:
    request: Request
    session: Session
    page: PageRequest
    format: str
    sessions: Callable[[], Session]

    def respond(
        self,
        item: type[BaseModel],
        fetch: Fetch,
        *,
        count: int | None = None,
        csv_chunks: Callable[[Session, int], Iterator[str]] | None = None,
        shaped: bool = False,
    ) -> Response:
        """`fetch(session, after_id, limit)` gives rows in id order after `after_id`;
        `csv_chunks(session, after_id)`, when given, gives the CSV lines of every row;
        `shaped`: the rows are already in `item`'s JSON shape (see `representation`)."""
        start = after_id(self.page)
        if self.format == "json":
            rows = fetch(self.session, start, self.page.limit + 1)
            page = Page[item]  # type: ignore[valid-type]
            return page_of(self.request, page, rows, self.page, count=count, shaped=shaped)
        resource = self.request.url.path.rstrip("/").rsplit("/", 1)[-1]
        filename = download_filename(self.request, resource, self.format)
        if self.format == "csv" and csv_chunks is not None:
            body = _csv_lines(item, self._streamed(csv_chunks, start))
        elif self.format == "csv":
            body = _csv_batches(item, self._all_rows(fetch, start))
        else:
            body = _ndjson_batches(item, self._all_rows(fetch, start))
        return StreamingResponse(
            body,
            media_type=MEDIA_TYPES[self.format]
            + ("; charset=utf-8" if self.format == "csv" else ""),
            headers={"Content-Disposition": content_disposition(filename)},
        )

    def _streamed(
        self, csv_chunks: Callable[[Session, int], Iterator[str]], start: int
    ) -> Iterator[str]:
        with self.sessions() as session:
            yield from csv_chunks(session, start)

    def _all_rows(self, fetch: Fetch, start: int) -> Iterator[list[dict[str, Any]]]:
        with self.sessions() as session:
            after = start
            while True:
                rows = fetch(session, after, EXPORT_BATCH)
                if rows:
                    yield rows
                if len(rows) < EXPORT_BATCH:
                    return
                after = rows[-1]["id"]


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


def negotiate(format_: str | None, accept: str | None) -> str:
    """`format=` wins; else the first of CSV, NDJSON or JSON that `Accept` prefers."""
    if format_ is not None:
        return format_
    offered = {"text/csv": "csv", "application/x-ndjson": "ndjson", "application/json": "json"}
    preferences = []
    for position, part in enumerate((accept or "").split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media.lower() in offered and quality > 0:
            preferences.append((-quality, position, offered[media.lower()]))
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
            description="`csv` or `ndjson` downloads every matching row (limit is ignored); "
            "`Accept: text/csv` or `application/x-ndjson` does the same.",
        ),
    ] = None,
) -> Listing:
    chosen = negotiate(format_, request.headers.get("accept"))
    return Listing(request, session, page, chosen, sessions)


ListingDep = Annotated[Listing, Depends(listing)]


def _ndjson_batches(
    item: type[BaseModel], batches: Iterator[list[dict[str, Any]]]
) -> Iterator[bytes]:
    adapter = _list_adapter(item)
    for rows in batches:
        items = adapter.validate_python(rows)
        yield b"".join(item.__pydantic_serializer__.to_json(one) + b"\n" for one in items)


def _csv_lines(item: type[BaseModel], chunks: Iterator[str]) -> Iterator[bytes]:
    header = ",".join("_".join(path) for path in csv_columns(item))
    # The byte-order mark makes spreadsheets read the file as UTF-8 (Cyrillic intact).
    yield ("\ufeff" + header + "\r\n").encode()
    for chunk in chunks:
        yield chunk.encode()


def _csv_batches(item: type[BaseModel], batches: Iterator[list[dict[str, Any]]]) -> Iterator[bytes]:
    columns = csv_columns(item)
    adapter = _list_adapter(item)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # The byte-order mark makes spreadsheets read the file as UTF-8 (Cyrillic intact).
    buffer.write("\ufeff")
    writer.writerow("_".join(path) for path in columns)
    yield buffer.getvalue().encode()
    for rows in batches:
        buffer.seek(0)
        buffer.truncate()
        for row in adapter.dump_python(adapter.validate_python(rows), mode="json"):
            writer.writerow(_cell(_at(row, path)) for path in columns)
        yield buffer.getvalue().encode()


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
        return ";".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


_adapters: dict[type[BaseModel], TypeAdapter[list[Any]]] = {}


def _list_adapter(item: type[BaseModel]) -> TypeAdapter[list[Any]]:
    if item not in _adapters:
        _adapters[item] = TypeAdapter(list[item])  # type: ignore[valid-type]
    return _adapters[item]


def csv_cell(row: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The CSV field of a JSON-ready row at a column of `csv_columns`."""
    return _cell(_at(row, path))
