from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from app.http.bodies import LongText, WriteIn
from app.http.schemas import Schema
from app.releases.versions import MAX_LENGTH, Version


def _semantic(text: str) -> str:
    return str(Version.parse(text))


SemanticVersion = Annotated[
    str,
    Field(
        max_length=MAX_LENGTH,
        description="A semantic version, MAJOR.MINOR.PATCH with an optional pre-release "
        "(`1.0.0`, `1.1.0-rc.1`), greater than every earlier release's.",
        examples=["1.0.0"],
    ),
    AfterValidator(_semantic),
]


class ReleaseCreate(WriteIn):
    version: SemanticVersion
    note: LongText = Field(
        description="What the release is: what changed since the last, what it is for.",
        examples=["The public record as of December 2026: Channel's stages 2003-2025."],
    )


class ReleaseFileOut(Schema):
    """One file of a release, with its checksum: `sha256sum -c SHA256SUMS` checks them all."""

    name: str = Field(description="The file's name (`sources.csv`, `datapackage.json`).")
    media_type: str
    size: int = Field(description="In bytes.")
    sha256: str = Field(description="The SHA-256 of its bytes, hexadecimal.")
    url: str = Field(description="Where to download it.")


class ReleaseCitationOut(Schema):
    """The release, ready to cite, with its version and date."""

    text: str = Field(description="A plain citation: authors, title, version, date, URL.")
    bibtex: str = Field(description="A BibTeX `@misc` entry keyed `ksopn-registry-<version>`.")
    csl_json: dict[str, Any] = Field(
        description="A CSL-JSON item of type `dataset` (`id`, `title`, `author`, `issued`, "
        "`version`, `URL` where the registry's address is configured)."
    )


class ReleaseOut(Schema):
    """A frozen state of the public record; it never changes once made."""

    id: int
    version: str
    released_at: datetime = Field(description="When it was made (UTC).")
    note: str
    data_version: int = Field(
        description="The registry's data version it froze: its files hold the record as "
        "that version names it."
    )
    url: str = Field(description="The release's page for people.")
    files: list[ReleaseFileOut] = Field(
        description="Its files: a CSV file a table, `datapackage.json` (a Frictionless Data "
        "Package), the package as one zip, the SQLite database, and `SHA256SUMS`."
    )
    citation: ReleaseCitationOut
