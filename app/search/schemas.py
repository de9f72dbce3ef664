import datetime as dt
from typing import Literal

from pydantic import Field

from app.http.schemas import Schema

Kind = Literal[
    "body",
    "organization",
    "operation",
    "stage",
    "exercise",
    "meeting",
    "document",
    "source",
    "country",
    "substance",
]
Match = Literal["exact", "part", "word_form", "fuzzy"]


class SearchHit(Schema):
    kind: Kind
    key: str = Field(description="The resource's key in its URL: a slug, an ISO code or an id.")
    url: str = Field(description="The resource in the API.")
    name_en: str | None = Field(description="Its name or title; null where it has none.")
    name_ru: str | None
    matched: str = Field(description="The name, alias, place or publisher that matched.")
    match: Match = Field(
        description="`exact`: the whole name; `part`: a part of it as typed; `word_form`: "
        "every word in some form (`героина` for «Героин»); `fuzzy`: every word within a "
        "small misspelling (`herion`)."
    )
    acronym_en: str | None = None
    acronym_ru: str | None = None
    operation_en: str | None = Field(None, description="A stage's or exercise's operation.")
    operation_ru: str | None = None
    body_en: str | None = Field(None, description="A meeting's body, by its acronym.")
    body_ru: str | None = None
    number: int | None = Field(None, description="A stage's or a meeting's number, if stated.")
    date: dt.date | None = Field(None, description="When a stage began or a meeting was held.")
    date_precision: Literal["day", "month", "year"] | None = Field(
        None, description="How much of a meeting's `date` its source gives."
    )
    place: str | None = Field(
        None, description="A meeting's city or an exercise's place, as its source names it."
    )
    place_en: str | None = Field(None, description="A stage's headquarters city.")
    place_ru: str | None = None
    title: str | None = Field(None, description="A source's title, in its own language.")
    publisher_en: str | None = None
    publisher_ru: str | None = None


class SearchGroup(Schema):
    kind: Kind
    hits: list[SearchHit]


class SearchResults(Schema):
    q: str
    total: int
    groups: list[SearchGroup] = Field(
        description="The hits of each kind, best first; the kind with the best hit first."
    )
    message: str | None = Field(
        description="Why nothing was searched (a query shorter than two characters), in the "
        "language of Accept-Language; null otherwise."
    )
