"""`/releases`: frozen, citable states of the public record, each with its files (issue 24).

Reads are public like every other read; making a release takes an admin key. There is no
route that changes or deletes a release."""

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from app.deps import SessionDep, WriteSessionDep
from app.http import contract, examples
from app.http.listing import EXPORTS, ListingDep, add_exports
from app.http.modified import UNDATED
from app.http.representation import etag_matches, etag_of, represent
from app.http.schemas import CONFLICT, NOT_FOUND, PROBLEMS, WRITE_PROBLEMS, Page
from app.releases import service, writes
from app.releases.schemas import ReleaseCreate, ReleaseOut
from app.releases.versions import MAX_LENGTH
from app.staff.auth import AdminDep
from app.staff.idempotency import IdempotencyDep, respond_created

TAG = "releases"
examples.add_examples_file(Path(__file__).with_name("examples.json"))
contract.describe_tag(
    TAG,
    "Frozen, citable states of the public record: each with its data package (CSV files "
    "and `datapackage.json`), its SQLite database and their checksums.",
    place=47,
)
router = APIRouter(responses=PROBLEMS, tags=[TAG])
staff_router = APIRouter(tags=["staff: releases"], responses={**WRITE_PROBLEMS, **CONFLICT})
contract.describe_tag(
    "staff: releases", "Making a release; admin keys only. A release never changes.", place=75
)

VersionPath = Annotated[
    str,
    PathParam(
        max_length=MAX_LENGTH,
        description="The release's semantic version, such as `1.0.0`.",
    ),
]
BIBTEX = "application/x-bibtex"
CSL_JSON = "application/vnd.citationstyles.csl+json"
CITATION_FORMATS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The release, with its files and citation; with `format=text`, "
        "`format=bibtex` or `format=csl-json`, the citation alone, as a file.",
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            BIBTEX: {"schema": {"type": "string"}},
            CSL_JSON: {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    }
}


def _settings(request: Request) -> Any:
    return request.app.state.settings


@router.get(
    "/releases",
    response_model=Page[ReleaseOut],
    summary="List releases",
    operation_id="listReleases",
    openapi_extra=UNDATED,  # the releases table: the data version does not follow it
    responses=EXPORTS,
)
def list_releases(request: Request, listing: ListingDep) -> Response:
    """Every release, oldest first: its version, date, note, the data version it froze, its
    files with their sizes and SHA-256 checksums, and its citation."""
    public_url = _settings(request).public_url
    return listing.respond(
        ReleaseOut,
        lambda s, after, limit: service.list_releases(s, after, limit, public_url),
    )


add_exports(router, list_releases, "Releases")


@router.get(
    "/releases/{version}",
    response_model=ReleaseOut,
    summary="Get a release",
    operation_id="getRelease",
    openapi_extra=UNDATED,  # the releases table: the data version does not follow it
    responses={**NOT_FOUND, **CITATION_FORMATS},
)
def get_release(
    session: SessionDep,
    request: Request,
    version: VersionPath,
    format_: Annotated[
        Literal["json", "text", "bibtex", "csl-json"],
        Query(
            alias="format",
            description="`json` (the default): the release with its `citation`. `text`: the "
            f"plain citation alone. `bibtex`: the BibTeX entry alone (`{BIBTEX}`). "
            f"`csl-json`: a CSL-JSON array holding the one item (`{CSL_JSON}`).",
        ),
    ] = "json",
) -> Response:
    """A release by its version: when it was made, its note, the data version it froze,
    its files (each with its size, SHA-256 and address) and a ready `citation` (plain
    text, BibTeX, CSL-JSON), as a source's. An unknown version is a 404 naming the latest
    releases."""
    found = service.get_release(session, version, _settings(request).public_url)
    stem = f"ksopn-registry-{found['version']}"
    citation = found["citation"]
    if format_ == "text":
        body = (citation["text"] + "\n").encode()
        return _citation_file(request, body, "text/plain; charset=utf-8", f"{stem}.txt")
    if format_ == "bibtex":
        return _citation_file(
            request, citation["bibtex"].encode(), f"{BIBTEX}; charset=utf-8", f"{stem}.bib"
        )
    if format_ == "csl-json":
        body = orjson.dumps([citation["csl_json"]])
        return _citation_file(request, body, CSL_JSON, f"{stem}.json")
    return represent(request, ReleaseOut, found)


def _citation_file(request: Request, body: bytes, media_type: str, filename: str) -> Response:
    headers = {
        "ETag": etag_of(body),
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    if etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(body, headers=headers, media_type=media_type)


@router.get(
    "/releases/{version}/files/{file}",
    summary="Download a file of a release",
    operation_id="getReleaseFile",
    openapi_extra=UNDATED,  # the releases table: the data version does not follow it
    response_class=Response,
    responses={
        **NOT_FOUND,
        200: {
            "description": "The file as it was written when the release was made; its "
            "SHA-256 is the ETag and is listed in the release and in `SHA256SUMS`.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
                "application/zip": {"schema": {"type": "string", "format": "binary"}},
                "application/vnd.sqlite3": {"schema": {"type": "string", "format": "binary"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        },
    },
)
def get_release_file(
    session: SessionDep,
    request: Request,
    version: VersionPath,
    file: Annotated[
        str,
        PathParam(
            max_length=200,
            description="The file's name, as the release lists it: `datapackage.json`, "
            "`sources.csv`, `SHA256SUMS`, `ksopn-registry-<version>.sqlite3`, "
            "`ksopn-registry-<version>-datapackage.zip`.",
        ),
    ],
) -> Response:
    """One file of a release, as a download. The files never change: a file's ETag is its
    SHA-256, so a client that has it gets a 304."""
    settings = _settings(request)
    found = service.get_release(session, version, settings.public_url)
    path, recorded = service.file_path(settings.releases_dir, found, file)
    etag = f'"{recorded["sha256"]}"'
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers={"ETag": etag})
    response = FileResponse(
        path,
        media_type=recorded["media_type"],
        filename=recorded["name"],
        headers={"ETag": etag},
        stat_result=os.stat(path),  # its headers set now, so that one can be taken away
    )
    # Not the file's mtime, which a copy or a restore of the folder changes: the route is
    # UNDATED, its ETag (the SHA-256) is what a client revalidates with.
    del response.headers["last-modified"]
    return response


@staff_router.post(
    "/releases",
    status_code=201,
    response_model=ReleaseOut,
    summary="Make a release",
    operation_id="makeRelease",
)
def post_release(
    request: Request,
    caller: AdminDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    body: ReleaseCreate,
) -> Response:
    """Freezes the public record as it is now: records the version (a semantic version
    greater than every earlier release's; a taken or smaller one is a 409), the note, the
    time and the current data version, and builds the release's files once: a CSV file a
    table, `datapackage.json`, the package as a zip, the SQLite database and `SHA256SUMS`.
    Writes of facts wait while it is built (a second or so on the public record), so the
    files hold exactly the data version recorded. Admin keys only; audited. The release
    never changes afterwards: there is no route to change or delete it."""
    settings = _settings(request)

    def make() -> tuple[Any, Any, str]:
        public_url = settings.public_url
        homepage = f"{public_url}/releases/{body.version}" if public_url else None
        writes.make_release(
            session, caller, body.version, body.note, settings.releases_dir, homepage
        )
        found = service.get_release(session, body.version, public_url)
        return ReleaseOut, found, f"/api/v1/releases/{body.version}"

    return respond_created(request, session, caller, idem, make)
