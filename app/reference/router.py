from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from app import models as m
from app.deps import SessionDep, WriteSessionDep
from app.errors import InvalidParameterError
from app.http import contract, examples
from app.http.listing import EXPORTS, ListingDep, add_exports
from app.http.pagination import Iso3, SlugOrId
from app.http.preconditions import for_edit
from app.http.representation import etag_of, not_modified, represent, validators
from app.http.schemas import (
    CONFLICT,
    EDIT_PROBLEMS,
    NOT_FOUND,
    PROBLEMS,
    WRITE_PROBLEMS,
    IsoDate,
    Page,
)
from app.models.enums import OrganizationKind
from app.reference import service as reference
from app.reference import writes
from app.reference.schemas import (
    CountryOut,
    MemberStateOut,
    OrganizationCreate,
    OrganizationOut,
    OrganizationPatch,
    SourceCreate,
    SourceOut,
    SubstanceNode,
    SubstanceOut,
)
from app.staff.auth import EditorDep
from app.staff.idempotency import IdempotencyDep, respond_created

TAG = "reference data"
examples.add_examples_file(Path(__file__).with_name("examples.json"))
contract.describe_tag(
    TAG,
    "Sources, countries, organizations, the substance taxonomy, and who was a CSTO member "
    "state when.",
    place=30,
)
contract.add_path_examples(
    source="mvd-ksopn-15-years-2020", iso3="KGZ", organization="unodc", substance="hashish"
)
router = APIRouter(responses=PROBLEMS, tags=[TAG])

Search = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        description="Case-insensitive match on names, acronyms and aliases, English or Russian.",
    ),
]


@router.get(
    "/sources",
    response_model=Page[SourceOut],
    summary="List sources",
    operation_id="listSources",
    responses=EXPORTS,
)
def list_sources(listing: ListingDep) -> Response:
    """The documents the registry's facts come from. Every fact names one and a locator in it."""
    return listing.respond(SourceOut, reference.list_sources)


add_exports(router, list_sources, "Sources")


BIBTEX = "application/x-bibtex"
CSL_JSON = "application/vnd.citationstyles.csl+json"
CITATION_FORMATS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The source, with its citation; with `format=bibtex` or "
        "`format=csl-json`, the citation alone, as a file a reference manager imports.",
        "content": {
            BIBTEX: {"schema": {"type": "string"}},
            CSL_JSON: {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    }
}
CitationFormat = Literal["json", "bibtex", "csl-json"]


@router.get(
    "/sources/{source}",
    response_model=SourceOut,
    summary="Get a source",
    operation_id="getSource",
    responses={**NOT_FOUND, **CITATION_FORMATS},
)
def get_source(
    session: SessionDep,
    request: Request,
    source: SlugOrId,
    format_: Annotated[
        CitationFormat,
        Query(
            alias="format",
            description="`json` (the default): the source with its `citation`. `bibtex`: "
            f"the BibTeX entry alone (`{BIBTEX}`). `csl-json`: a CSL-JSON array holding "
            f"the one item (`{CSL_JSON}`).",
        ),
    ] = "json",
) -> Response:
    """A source by slug (`mvd-ksopn-15-years-2020`) or id, with a ready `citation`: a plain
    `text`, a `bibtex` entry (`@misc`, keyed by the slug, LaTeX's special characters
    escaped) and a `csl_json` item. Each gives the title, the publisher, the publication
    date to the precision known, and the URL and the date the project accessed it where
    known; what is not known is left out. `reference` is the identifier of the project's
    archived copy (a document id), never a file path."""
    found = reference.get_source(session, source)
    if format_ == "bibtex":
        body = found["citation"]["bibtex"].encode()
        return _citation_file(request, body, f"{BIBTEX}; charset=utf-8", f"{found['slug']}.bib")
    if format_ == "csl-json":
        body = orjson.dumps([found["citation"]["csl_json"]])
        return _citation_file(request, body, CSL_JSON, f"{found['slug']}.json")
    return represent(request, SourceOut, found)


def _citation_file(request: Request, body: bytes, media_type: str, filename: str) -> Response:
    # Sent with an ETag and Last-Modified, and conditional, like every other read.
    etag = etag_of(body)
    headers = {
        **validators(request, etag),
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, headers=headers, media_type=media_type)


@router.get(
    "/countries",
    response_model=Page[CountryOut],
    summary="List countries",
    operation_id="listCountries",
    responses=EXPORTS,
)
def list_countries(listing: ListingDep, q: Search = None) -> Response:
    """Countries named by the sources, with ISO 3166-1 alpha-3 codes and names in both
    languages. `q=Киргизия` finds Kyrgyzstan."""
    return listing.respond(
        CountryOut, lambda s, after, limit: reference.list_countries(s, q, after, limit)
    )


add_exports(router, list_countries, "Countries")


@router.get(
    "/countries/{iso3}",
    response_model=CountryOut,
    summary="Get a country",
    operation_id="getCountry",
    responses=NOT_FOUND,
)
def get_country(session: SessionDep, request: Request, iso3: Iso3) -> Response:
    """A country by its ISO 3166-1 alpha-3 code, e.g. `KGZ`."""
    return represent(request, CountryOut, reference.get_country(session, iso3))


@router.get(
    "/organizations",
    response_model=Page[OrganizationOut],
    summary="List organizations",
    operation_id="listOrganizations",
    responses=EXPORTS,
)
def list_organizations(
    listing: ListingDep,
    q: Search = None,
    kind: Annotated[OrganizationKind | None, Query(description="Only this kind.")] = None,
) -> Response:
    """International organizations, national bodies and educational institutions.
    `q=УНП ООН` or `q=unodc` finds the UN Office on Drugs and Crime."""
    return listing.respond(
        OrganizationOut,
        lambda s, after, limit: reference.list_organizations(s, q, kind, after, limit),
    )


add_exports(router, list_organizations, "Organizations")


@router.get(
    "/organizations/{organization}",
    response_model=OrganizationOut,
    summary="Get an organization",
    operation_id="getOrganization",
    responses=NOT_FOUND,
)
def get_organization(session: SessionDep, request: Request, organization: SlugOrId) -> Response:
    """An organization by slug (`unodc`) or id."""
    return represent(request, OrganizationOut, reference.get_organization(session, organization))


@router.get(
    "/substances",
    response_model=Page[SubstanceOut],
    summary="List substances",
    operation_id="listSubstances",
    responses=EXPORTS,
)
def list_substances(listing: ListingDep, q: Search = None) -> Response:
    """The substance taxonomy; each node names its parent. `q=cannabis resin` finds hashish."""
    return listing.respond(
        SubstanceOut, lambda s, after, limit: reference.list_substances(s, q, after, limit)
    )


add_exports(router, list_substances, "Substances")


@router.get(
    "/substances/tree",
    response_model=list[SubstanceNode],
    summary="The substance tree",
    operation_id="getSubstanceTree",
)
def substance_tree(session: SessionDep, request: Request) -> Response:
    """Every substance nested under its parent. A seizure filter or total on a node
    (`substance=cannabis`) takes in everything beneath it (hashish, marijuana)."""
    return represent(request, list[SubstanceNode], reference.substance_tree(session))


@router.get(
    "/substances/{substance}",
    response_model=SubstanceOut,
    summary="Get a substance",
    operation_id="getSubstance",
    responses=NOT_FOUND,
)
def get_substance(session: SessionDep, request: Request, substance: SlugOrId) -> Response:
    """A substance by slug (`hashish`) or id."""
    return represent(request, SubstanceOut, reference.get_substance(session, substance))


@router.get(
    "/member-states",
    response_model=Page[MemberStateOut],
    summary="Member states on a date",
    operation_id="getMemberStates",
    responses=EXPORTS,
)
def member_states(
    session: SessionDep,
    listing: ListingDep,
    on: Annotated[
        IsoDate | None, Query(description="The date (YYYY-MM-DD); today when left out.")
    ] = None,
    organization: Annotated[
        str, Query(max_length=100, description="The organization's slug.")
    ] = "csto",
) -> Response:
    """The countries that were members of the organization (the CSTO by default) on a date,
    each with its membership period and source, as a page like every list. A period is in
    force from `valid_from` to `valid_to`, both included; a suspended membership does not
    count. `on=2008-09-01` gives the seven members of the time, Uzbekistan among them."""
    if not reference.organization_exists(session, organization):
        raise InvalidParameterError("organization", f"no organization {organization!r}")
    day = on or date.today()
    return listing.respond(
        MemberStateOut,
        lambda s, after, limit: reference.member_states(s, day, organization, after, limit),
    )


add_exports(router, member_states, "Member states on a date")


OrganizationForEdit = Annotated[
    Callable[[], m.Organization],
    Depends(for_edit(m.Organization, OrganizationOut, reference.get_organization, "organization")),
]
staff_router = APIRouter(tags=["staff: records"], responses={**WRITE_PROBLEMS, **CONFLICT})


# -- organizations ----------------------------------------------------------------------


@staff_router.post(
    "/organizations",
    status_code=201,
    response_model=OrganizationOut,
    summary="Add an organization",
    operation_id="addOrganization",
)
def post_organization(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    body: OrganizationCreate,
) -> Response:
    """Adds an international organization, national body or institution."""

    def make() -> tuple[Any, Any, str]:
        row = writes.add_organization(session, caller, body)
        location = f"/api/v1/organizations/{row.slug}"
        return OrganizationOut, reference.get_organization(session, row.slug), location

    return respond_created(request, session, caller, idem, make)


@staff_router.patch(
    "/organizations/{organization}",
    response_model=OrganizationOut,
    summary="Correct an organization",
    operation_id="patchOrganization",
    responses=EDIT_PROBLEMS,
)
def patch_organization(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    organization: SlugOrId,
    body: OrganizationPatch,
    organization_for_edit: OrganizationForEdit,
) -> Response:
    """Changes the fields given (names, aliases, parent...). Needs `If-Match`."""
    row = organization_for_edit()
    writes.patch_organization(session, caller, row, body)
    return represent(request, OrganizationOut, reference.get_organization(session, row.slug))


@staff_router.delete(
    "/organizations/{organization}",
    status_code=204,
    summary="Delete an organization",
    operation_id="deleteOrganization",
    responses=EDIT_PROBLEMS,
)
def delete_organization(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    organization: SlugOrId,
    organization_for_edit: OrganizationForEdit,
) -> Response:
    """Deletes an organization nothing refers to (409 otherwise). Needs `If-Match`."""
    writes.delete_organization(session, caller, organization_for_edit())
    return Response(status_code=204)


# -- sources ----------------------------------------------------------------------------


@staff_router.post(
    "/sources",
    status_code=201,
    response_model=SourceOut,
    summary="Add a source",
    operation_id="addSource",
)
def post_source(
    request: Request,
    caller: EditorDep,
    session: WriteSessionDep,
    idem: IdempotencyDep,
    body: SourceCreate,
) -> Response:
    """Registers a document that new facts will cite."""

    def make() -> tuple[Any, Any, str]:
        row = writes.add_source(session, caller, body)
        return SourceOut, reference.get_source(session, row.slug), f"/api/v1/sources/{row.slug}"

    return respond_created(request, session, caller, idem, make)
