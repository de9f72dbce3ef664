import re
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.json_schema import WithJsonSchema

from app.error_words import said
from app.models.enums import DatePrecision

Item = TypeVar("Item")

# Dates and times only in their documented forms: pydantic alone also reads 0 or "0.5" as
# seconds since 1970, and "2020-06-01T00:00:00" as a date.
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# RFC 3339, but for the offset: a time without one is UTC.
ISO_DATETIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?$"
)


def _written_as(pattern: str, what: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, date) or (isinstance(value, str) and re.fullmatch(pattern, value)):
            return value
        raise ValueError(what)

    return BeforeValidator(check)


IsoDate = Annotated[
    date,
    _written_as(ISO_DATE, said("a date is written YYYY-MM-DD", "дата пишется ГГГГ-ММ-ДД")),
]
IsoDateTime = Annotated[
    datetime,
    _written_as(
        ISO_DATETIME,
        said(
            "a time is written YYYY-MM-DDThh:mm[:ss[.ffffff]][Z|+hh:mm]",
            "время пишется ГГГГ-ММ-ДДTчч:мм[:сс[.ffffff]][Z|+чч:мм]",
        ),
    ),
    WithJsonSchema({"type": "string", "pattern": ISO_DATETIME}),
]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SourceRef(Schema):
    """Where a fact comes from: the source and the place in it."""

    id: int
    slug: str
    title: str
    locator: str


def nest_source(data: Any) -> Any:
    """Query rows carry the source flat (source_id, source_slug, ...); nest it."""
    if not isinstance(data, dict) or "source" in data or "source_id" not in data:
        return data
    data = dict(data)
    source_id = data.pop("source_id")
    fields = {name: data.pop(f"source_{name}") for name in ("slug", "title", "locator")}
    data["source"] = None if source_id is None else {"id": source_id, **fields}
    return data


class Cited(Schema):
    source: SourceRef

    @model_validator(mode="before")
    @classmethod
    def _nest(cls, data: Any) -> Any:
        return nest_source(data)


class MaybeCited(Schema):
    source: SourceRef | None

    @model_validator(mode="before")
    @classmethod
    def _nest(cls, data: Any) -> Any:
        return nest_source(data)


class Page(Schema, Generic[Item]):
    items: list[Item]
    next: str | None = Field(
        None,
        description="The next page's URL (on the configured public URL, or relative to this "
        "host); null on the last page.",
    )
    cursor: str | None = Field(
        None, description="The next page's `cursor` parameter alone; null on the last page."
    )
    count: int | None = Field(
        None, description="All matching items, on every page; only when `count=true` asks."
    )


class FuzzyDate(Schema):
    """A date with the precision it is known to: for `month`, only year and month count."""

    date: date
    precision: DatePrecision


def fuzzy(value: date | None, precision: str | None) -> FuzzyDate | None:
    return (
        None if value is None or precision is None else FuzzyDate(date=value, precision=precision)
    )


class ProblemError(Schema):
    """One parameter, header or body field at fault, and what is wrong with it."""

    name: str = Field(
        description="The parameter or header (`year`, `If-Match`), or the body field by its "
        "path (`seizures[0].parts[1].quantity`); `body` for a body that is not JSON."
    )
    in_: str = Field(
        alias="in", description="Where it is: `query`, `path`, `header`, `cookie` or `body`."
    )
    message: str


def _member(description: str) -> Any:
    """An extension member that only some problems carry: absent from the others, never
    null. (A Problem is documented, not built: app/errors.py writes the JSON.)"""

    def without_default(schema: dict[str, Any]) -> None:
        schema.pop("default", None)

    return Field(None, description=description, json_schema_extra=without_default)


class Problem(Schema):
    """An RFC 9457 problem; `errors` names each parameter or field at fault. Members beyond
    these may be added (RFC 9457 3.2): a client ignores the ones it does not know."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str = Field(description="The path of the request.")
    errors: list[ProblemError] = Field(
        default_factory=list, description="Absent when no one parameter or field is at fault."
    )
    existing: str = _member("409, a number taken: the URL of the entity that has it.")
    parts: list[str] = _member("409, a report that has parts: the URLs of its parts.")
    current_etag: str = _member("412: the entity's current ETag.")
    max_body_bytes: int = _member("413: the largest request body the server takes.")
    retry_after: int = _member("429: seconds to wait, as in `Retry-After`.")
    available_media_types: list[str] = _member("406: the media types the resource is available as.")
    accepted_media_types: list[str] = _member("415: the media types a body may be sent as.")


def _problem(description: str) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {"application/problem+json": {}},
    }


PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: _problem("A parameter cannot be used; `errors` names it."),
    422: _problem("A parameter has the wrong form; `errors` names it."),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _problem("No such entity.")}


def has_a_letter(slug: str) -> str:
    """A slug of digits alone would read as an id wherever slug-or-id is accepted."""
    if not any(char.isalpha() for char in slug):
        raise ValueError(
            said(
                "a slug needs at least one letter (digits alone read as an id)",
                "в слаге нужна хотя бы одна буква (одни цифры читаются как id)",
            )
        )
    return slug


def has_nul(value: Any) -> bool:
    """NUL cannot be stored in PostgreSQL text; refuse it wherever text comes in.

    It looks through the value as sent, before the schema has refused anything, so it walks
    with a list of its own and not by recursion: a body nested 600 levels deep (8 KB of
    `[`) would otherwise exhaust Python's stack here, a 500 instead of the schema's 422."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, list | tuple):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
    return False


def refuse_nul(value: Any) -> Any:
    if has_nul(value):
        raise ValueError(
            said(
                "contains a NUL character, which cannot be stored",
                "содержит символ NUL, который нельзя сохранить",
            )
        )
    return value


WRITE_PROBLEMS = {
    **PROBLEMS,
    **NOT_FOUND,
    401: {"model": Problem, "description": "No API key, or an unknown or revoked one."},
    403: {"model": Problem, "description": "The key's role may not do this."},
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "model": Problem,
        "description": "A slug or number is taken, or the record is still referred to.",
    }
}
EDIT_PROBLEMS = {
    **WRITE_PROBLEMS,
    412: {
        "model": Problem,
        "description": "If-Match names no current ETag: a stale one (GET again, reapply the "
        "edit) or a weak one (W/...), which If-Match never matches.",
    },
    428: {"model": Problem, "description": "If-Match is missing."},
}
