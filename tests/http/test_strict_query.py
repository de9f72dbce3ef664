"""No silent query parameters (app/http/strict_query.py), and download names that carry the
filters (app/http/listing.py `download_filename`)."""

import re
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote, unquote

import pytest
from fastapi import APIRouter, Depends, FastAPI, Query, params
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict
from starlette.requests import Request

from app.errors import install_error_handlers
from app.http import health
from app.http import strict_query as strict
from app.http.listing import content_disposition, download_filename
from app.main import API_ROUTERS, create_app
from app.settings import Settings

PROBLEM = "application/problem+json"
DATE = r"\d{4}-\d{2}-\d{2}"


def _errors(client: TestClient, url: str) -> list[dict[str, Any]]:
    """The `errors` of the 422 problem that `url` must answer."""
    response = client.get(url)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["detail"] == "; ".join(f"{e['name']}: {e['message']}" for e in body["errors"])
    errors: list[dict[str, Any]] = body["errors"]
    return errors


# -- the reported cases --------------------------------------------------------------------


def test_a_misspelt_filter_on_totals_is_named_with_a_suggestion(client: TestClient) -> None:
    assert _errors(client, "/api/v1/seizures/totals?substnce=heroin") == [
        {
            "name": "substnce",
            "in": "query",
            "message": "unknown query parameter; did you mean `substance`?",
        }
    ]


def test_a_misspelt_year_is_not_counted_as_everything(client: TestClient) -> None:
    [error] = _errors(client, "/api/v1/seizures?yaer=2018&count=true")
    assert error["name"] == "yaer"
    assert error["message"].endswith("did you mean `year`?")


def test_q_on_seizures_is_refused_and_the_accepted_names_listed(client: TestClient) -> None:
    [error] = _errors(client, f"/api/v1/seizures?q={quote('героин')}")
    assert error["name"] == "q"
    assert error["message"].startswith("unknown query parameter; this endpoint takes ")
    for name in ("`year`", "`from`", "`to`", "`substance`", "`limit`", "`cursor`", "`format`"):
        assert name in error["message"]


@pytest.mark.parametrize(
    ("query", "suggested"),
    [
        ("Year=2018", "year"),  # case
        ("date_from=2018-01-01", "from"),  # the Python name of the alias `from`
        ("substances=heroin", "substance"),
        ("top_level=true", "top_level_only"),
    ],
)
def test_suggestions(client: TestClient, query: str, suggested: str) -> None:
    [error] = _errors(client, f"/api/v1/seizures?{query}")
    assert error["message"] == f"unknown query parameter; did you mean `{suggested}`?"


def test_a_scalar_given_twice_is_refused(client: TestClient) -> None:
    assert _errors(client, "/api/v1/seizures?year=2018&year=2019") == [
        {"name": "year", "in": "query", "message": "given 2 times, but it takes one value"}
    ]


def test_every_bad_parameter_is_named_in_one_response(client: TestClient) -> None:
    errors = _errors(
        client, "/api/v1/seizures?yaer=2018&limit=5&year=2018&substnce=x&year=2019&yaer=1"
    )
    assert [(e["name"], e["in"]) for e in errors] == [
        ("yaer", "query"),
        ("year", "query"),
        ("substnce", "query"),
    ]


def test_a_flood_of_bad_parameters_gets_a_bounded_answer(client: TestClient) -> None:
    query = "&".join(f"{'x' * 5000 if i == 0 else 'p'}{i}=1" for i in range(500))
    errors = _errors(client, f"/api/v1/seizures?{query}")
    assert len(errors) == strict.MAX_NAMED
    assert errors[1]["name"] == "p1"


def test_healthz_refuses_a_bogus_parameter(client: TestClient) -> None:
    assert _errors(client, "/healthz?verbose=1") == [
        {
            "name": "verbose",
            "in": "query",
            "message": "unknown query parameter; this endpoint takes none",
        }
    ]
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/seizures?year=2018&limit=2",
        "/api/v1/seizures?from=2017-01-01&to=2019-12-31&top_level_only=true&count=true",
        "/api/v1/seizures/totals?substance=opium",
        "/api/v1/countries?q=kyrgyz",
        "/api/v1/member-states?on=2020-06-01&organization=csto",
        "/api/v1/substances/tree",
        "/api/v1/seizures?",
    ],
)
def test_declared_parameters_pass(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("url", ["/docs?x=1", "/openapi.json?x=1"])
def test_the_docs_pages_stay_lenient(client: TestClient, url: str) -> None:
    assert client.get(url).status_code == 200


def test_a_read_that_needs_a_key_answers_401_before_422(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, require_key_for_reads=True))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/seizures?yaer=2018").status_code == 401


# -- the rules come from the routes -------------------------------------------------------


def test_every_documented_query_parameter_is_accepted_and_nothing_else() -> None:
    """The names each route accepts are the ones its OpenAPI operation documents, and
    `format` on a list, kept working there but documented as the downloads' own URLs."""
    app = create_app(Settings(database_url="sqlite://"))
    documented = app.openapi()["paths"]
    table: dict[int, strict.QueryRules] = app.state.query_rules
    checked = 0
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute) or not context.include_in_schema:
            continue
        for method in context.methods or ():
            operation = documented[context.path_format][method.lower()]
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            hidden = _undocumented_query_parameters(context.dependant)
            accepted = table[id(context.original_route)].accepted
            assert accepted - hidden == names, (method, context.path)
            assert hidden <= {"format"}, (method, context.path)
            checked += 1
    assert checked > 40


def _undocumented_query_parameters(dependant: Dependant) -> set[str]:
    return {
        field.alias
        for field in get_flat_params(dependant)
        if isinstance(field.field_info, params.Query) and not field.field_info.include_in_schema
    }


def test_the_openapi_document_does_not_change() -> None:
    """The same routers with the check and without it give the same document."""

    def document(dependencies: list[Any]) -> dict[str, Any]:
        app = FastAPI()
        app.include_router(health.router, dependencies=dependencies)
        for router in API_ROUTERS:
            app.include_router(router, prefix="/api/v1", dependencies=dependencies)
        return app.openapi()

    with_check = document([Depends(strict.refuse_unknown_query_parameters)])
    assert with_check == document([])


def test_the_rules_are_read_once_at_start_not_per_request(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(strict, "rules_of", lambda dependant: calls.append(dependant))
    for _ in range(3):
        assert client.get("/api/v1/seizures?year=2018&limit=1").status_code == 200
        assert client.get("/api/v1/sources?limit=1").status_code == 200
        assert client.get("/healthz?x=1").status_code == 422
    assert calls == []


# -- list parameters, aliases and query models, on a small app ----------------------------


class Window(BaseModel):
    start: int | None = None
    end: int | None = None


class Anything(BaseModel):
    model_config = ConfigDict(extra="allow")


async def paging(page: Annotated[int, Query(alias="p")] = 1) -> int:
    return page


@pytest.fixture
def small() -> Iterator[TestClient]:
    router = APIRouter()

    @router.get("/tags")
    async def tags(
        page: Annotated[int, Depends(paging)],
        tag: Annotated[list[str] | None, Query()] = None,
        kind: str | None = None,
    ) -> dict[str, Any]:
        return {"tag": tag, "kind": kind, "page": page}

    @router.get("/window")
    async def window(w: Annotated[Window, Query()]) -> dict[str, Any]:
        return w.model_dump()

    @router.get("/anything")
    async def anything(a: Annotated[Anything, Query()]) -> dict[str, Any]:
        return a.model_dump()

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router, dependencies=[Depends(strict.refuse_unknown_query_parameters)])
    with TestClient(app) as client:
        yield client


def test_a_list_parameter_may_be_repeated(small: TestClient) -> None:
    response = small.get("/tags?tag=a&tag=b&kind=x&p=2")
    assert response.status_code == 200, response.text
    assert response.json() == {"tag": ["a", "b"], "kind": "x", "page": 2}
    assert _errors(small, "/tags?tag=a&tag=b&kind=x&kind=y") == [
        {"name": "kind", "in": "query", "message": "given 2 times, but it takes one value"}
    ]


def test_a_dependency_parameter_is_known_by_its_alias(small: TestClient) -> None:
    assert _errors(small, "/tags?page=2") == [
        {
            "name": "page",
            "in": "query",
            "message": "unknown query parameter; this endpoint takes `tag`, `kind`, `p`",
        }
    ]


def test_a_query_model_takes_its_fields(small: TestClient) -> None:
    assert small.get("/window?start=1&end=2").json() == {"start": 1, "end": 2}
    [error] = _errors(small, "/window?stat=1")
    assert error["message"] == "unknown query parameter; did you mean `start`?"
    assert small.get("/anything?whatever=1").status_code == 200  # extra="allow"


# -- download names ------------------------------------------------------------------------


def _disposition(client: TestClient, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return str(response.headers["content-disposition"])


def test_a_download_is_named_with_its_filters(client: TestClient) -> None:
    assert re.fullmatch(
        f'attachment; filename="ksopn-seizures-year-2018-{DATE}.csv"',
        _disposition(client, "/api/v1/seizures?year=2018&format=csv"),
    )


def test_the_filters_come_in_the_order_given_without_format_cursor_limit(
    client: TestClient,
) -> None:
    assert re.fullmatch(
        f'attachment; filename="ksopn-seizures-substance-cannabis-year-2018-{DATE}.csv"',
        _disposition(client, "/api/v1/seizures?substance=cannabis&format=csv&year=2018&limit=1"),
    )
    assert re.fullmatch(
        f'attachment; filename="ksopn-seizures-operation-grom-top_level_only-true-{DATE}.ndjson"',
        _disposition(
            client,
            "/api/v1/seizures?operation=grom&top_level_only=true",
            accept="application/x-ndjson",
        ),
    )
    assert re.fullmatch(
        f'attachment; filename="ksopn-sources-{DATE}.csv"',
        _disposition(client, "/api/v1/sources?format=csv"),
    )


def test_a_cyrillic_filter_has_an_ascii_name_and_a_utf8_one(client: TestClient) -> None:
    header = _disposition(client, f"/api/v1/countries?q={quote('Киргизия')}&format=csv")
    match = re.fullmatch(
        f"attachment; filename=\"ksopn-countries-q-kirgiziia-({DATE}).csv\"; filename\\*=UTF-8''(.+)",
        header,
    )
    assert match, header
    assert unquote(match[2]) == f"ksopn-countries-q-киргизия-{match[1]}.csv"


def _request(query: str) -> Request:
    return Request({"type": "http", "query_string": query.encode(), "headers": []})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "ksopn-seizures"),
        ("year=2018", "ksopn-seizures-year-2018"),
        ("from=2017-01-01&to=2019-12-31", "ksopn-seizures-from-2017-01-01-to-2019-12-31"),
        ("group_by=year&group_by=substance", "ksopn-seizures-group_by-year-substance"),
        ("country=KAZ&cursor=abc&count=true", "ksopn-seizures-country-kaz"),
        ("q=../../etc/passwd", "ksopn-seizures-q-etc-passwd"),
        ('q=a"b\\c%0D%0Ad;e', "ksopn-seizures-q-a-b-c-d-e"),
        ("q=", "ksopn-seizures-q"),
    ],
)
def test_download_filename(query: str, expected: str) -> None:
    name = download_filename(_request(query), "seizures", "csv")
    assert re.fullmatch(f"{re.escape(expected)}-{DATE}\\.csv", name), name


def test_a_long_download_name_is_bounded_and_still_unique() -> None:
    long = "q=" + "щ" * 300
    names = {download_filename(_request(long + tail), "seizures", "csv") for tail in "ab"}
    assert len(names) == 2
    for name in names:
        assert len(name.encode()) <= 150
        ascii_name = re.search(r'filename="([^"]+)"', content_disposition(name))
        assert ascii_name
        assert len(ascii_name[1]) <= 255


def test_content_disposition_sends_filename_star_only_when_needed() -> None:
    assert content_disposition("ksopn-x-2026-01-01.csv") == (
        'attachment; filename="ksopn-x-2026-01-01.csv"'
    )
    assert content_disposition("ksopn-q-щёлк.csv") == (
        "attachment; filename=\"ksopn-q-shchelk.csv\"; filename*=UTF-8''"
        "ksopn-q-%D1%89%D1%91%D0%BB%D0%BA.csv"
    )
