"""A reader's error report as sent, as the reader is told of it, and as staff see it.

The public never sees `contact` (personal data) nor the staff's review: only the staff's
answer (`ErrorReportOut`) holds them."""

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints

from app.error_words import said
from app.http.bodies import WholeNumber, WriteIn, as_sent
from app.http.schemas import Schema
from app.models.enums import ErrorReportStatus

PAGE_CHARS = 500
WRONG_CHARS = 2000
SAYS_CHARS = 2000
URL_CHARS = 500
CONTACT_CHARS = 200
NOTE_CHARS = 2000


def site_path(value: str) -> str:
    """A path of this site, with its query: `/stages/5`, `/?year=2018`; never another
    site's address (`//evil.example`, `https://...`), which staff would then follow."""
    parts = urlsplit(value)
    if (
        not value.startswith("/")
        or value.startswith("//")
        or parts.scheme
        or parts.netloc
        or "\\" in value
        or any(char.isspace() or ord(char) < 0x20 for char in value)
    ):
        raise ValueError(
            said(
                "a path of this site, starting with one slash: /stages/5",
                "путь на этом сайте, начинающийся с одной косой черты: /stages/5",
            )
        )
    return value


def web_address(value: str) -> str:
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or any(char.isspace() for char in value)
    ):
        raise ValueError(
            said(
                "a web address starting with http:// or https://",
                "веб-адрес, начинающийся с http:// или https://",
            )
        )
    return value


def _text(max_length: int, min_length: int = 1) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


PagePath = Annotated[str, _text(PAGE_CHARS), as_sent(PAGE_CHARS), AfterValidator(site_path)]
WhatIsWrong = Annotated[str, _text(WRONG_CHARS, 5), as_sent(WRONG_CHARS)]
SourceSays = Annotated[str, _text(SAYS_CHARS), as_sent(SAYS_CHARS)]
SourceUrl = Annotated[str, _text(URL_CHARS), as_sent(URL_CHARS), AfterValidator(web_address)]
Contact = Annotated[str, _text(CONTACT_CHARS), as_sent(CONTACT_CHARS)]
Note = Annotated[str, _text(NOTE_CHARS), as_sent(NOTE_CHARS)]
Language = Literal["en", "ru"]


class ErrorReportIn(WriteIn):
    """What a reader sends: no key is needed."""

    page: PagePath = Field(
        description="The page the report is about: its path on this site, with its query "
        "if it has one (`/stages/5`, `/?year=2018`).",
        examples=["/operations/channel"],
    )
    what_is_wrong: WhatIsWrong = Field(
        description="What is wrong on the page: 5 to 2,000 characters.",
        examples=["The stage's heroin total is 10 times the source's."],
    )
    source_says: SourceSays | None = Field(
        None, description="What the source says instead, in its words: at most 2,000."
    )
    source_url: SourceUrl | None = Field(
        None, description="Where the source says it: an http(s) address, at most 500."
    )
    contact: Contact | None = Field(
        None,
        description="How staff may reach you with a question (an e-mail address): at most "
        "200 characters. Only staff see it; it is never shown on a page or in a public answer.",
    )
    language: Language | None = Field(
        None, description="The language you write in; by default the one `Accept-Language` asks."
    )


class ErrorReportReceived(Schema):
    """What the reader is told: the report is kept, waiting for staff."""

    id: int
    status: ErrorReportStatus
    page: str
    created_at: datetime


class ErrorReportOut(Schema):
    """A report as staff see it, the contact included."""

    id: int
    created_at: datetime
    page: str
    what_is_wrong: str
    source_says: str | None
    source_url: str | None
    contact: str | None = Field(description="Personal data: for staff only.")
    language: Language
    status: ErrorReportStatus
    reviewed_at: datetime | None
    reviewed_by: str | None = Field(description="The name of the key that reviewed it.")
    staff_note: str | None
    correction_audit_id: int | None = Field(
        description="The audit log entry of the correction (GET /api/v1/audit?entity_id=...)."
    )
    correction_path: str | None = Field(description="The path of the corrected record.")


class RejectIn(WriteIn):
    note: Note = Field(description="Why it is rejected, for staff: at most 2,000 characters.")


class AcceptIn(WriteIn):
    note: Note = Field(description="What was corrected, for staff: at most 2,000 characters.")
    correction_audit_id: Annotated[int, WholeNumber(ge=1, le=2**31 - 1)] | None = Field(
        None, description="The id of the audit log entry of the correction."
    )
    correction_path: PagePath | None = Field(
        None, description="The path of the corrected record: `/stages/5`, `/api/v1/stages/5`."
    )
