from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from app.http.schemas import Schema


class ChangeSourceOut(Schema):
    """The source the changed fact cites (as its row names it now)."""

    id: int
    title: str
    url: str | None = Field(description="The source's own address, where it has one.")
    api_url: str = Field(description="The source in the API.")
    page_url: str = Field(description="The source's page for people.")


class ChangeOut(Schema):
    """One change of one record: what it was before, what it is after."""

    id: int = Field(description="The change's own id: stable, and the key of the list's order.")
    data_version: int = Field(
        description="The first data version that holds the change (a release that froze "
        "this version or a later one holds it)."
    )
    changed_at: datetime = Field(description="When the change was made (UTC).")
    entity: str = Field(
        description="The kind of record: `stage`, `seizure-report`, `meeting`, `source`... "
        "(the `entity` filter's values).",
        examples=["stage"],
    )
    entity_id: int = Field(description="The record's id among its kind.")
    change: Literal["added", "corrected", "deleted"]
    fields: list[str] | None = Field(
        description="For a correction, the fields it changed; null otherwise."
    )
    before: dict[str, Any] | None = Field(
        description="The record as it was before the change, every field (null when added)."
    )
    after: dict[str, Any] | None = Field(
        description="The record as the change left it, every field (null when deleted)."
    )
    source: ChangeSourceOut | None = Field(
        description="The source the record cites (its `source_id`), where it names one."
    )
    api_url: str | None = Field(
        description="The record in the API (or the record holding it, for a stage's result "
        "or a meeting's decision); null when it no longer exists."
    )
    page_url: str | None = Field(
        description="The page that shows the record; null when it no longer exists or has no page."
    )
