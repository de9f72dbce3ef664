"""With KSOPN_REQUIRE_KEY_FOR_READS, every path that shows the registry's data needs a key:
the API's reads and the pages for people. What holds no data stays open (the staff form,
its files, the docs pages, the health check), and so does the OpenAPI document, which the
docs pages and client generators fetch without a key, but without any example drawn from
the registry. The README's Security section has the list."""

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.http.contract import PATH_EXAMPLES
from app.models import SeizureReport, Source, Stage
from app.pages import releases as release_pages
from app.pages import router as pages
from app.settings import Settings

# Values for the pages' path parameters, from the seed.
PAGE_VALUES = {"slug": "channel", "stage_id:int": "1", "iso3": "KAZ", "version": "1.0.0"}
SERVED_WITH_A_KEY = [
    "/",
    "/methods",
    "/search?q=opium",
    "/operations/channel",
    "/countries/KAZ",
    "/sources/mvd-ksopn-15-years-2020",
    "/charts/seizures.svg",
    "/charts/seizures.png",
    "/api/v1/seizures/totals",
]
# Open whatever the setting: they hold no data.
OPEN = [
    "/staff",  # the form: the key is typed into it, and it loads its lists with the key
    "/assets/staff.js",
    "/assets/pages.css",
    "/docs",  # the docs pages load /openapi.json, which carries no data then
    "/openapi.json",
    "/healthz",  # says whether the database answers, nothing of what it holds
]


@pytest.fixture
def closed(client: TestClient, database_url: str) -> TestClient:
    """The test client of an app whose reads need a key (the fixture puts it back after)."""
    app: Any = client.app
    app.state.settings = Settings(database_url=database_url, require_key_for_reads=True)
    return client


def _filled(path: str, values: dict[str, Any]) -> str:
    """The path with its parameters filled in: a seeded record's, else 1."""
    return re.sub(r"{([^}]+)}", lambda name: str(values.get(name.group(1), 1)), path)


def every_data_path(client: TestClient) -> list[str]:
    """Every page, and every read of the API (the OpenAPI document lists them all)."""
    routes = [*pages.router.routes, *release_pages.router.routes]
    pages_paths = [_filled(route.path, PAGE_VALUES) for route in routes]  # type: ignore[attr-defined]
    api = [path for path, item in client.get("/openapi.json").json()["paths"].items()
           if "get" in item and path != "/healthz"]  # fmt: skip
    return pages_paths + [_filled(path, PATH_EXAMPLES) for path in api]


def test_every_page_and_read_needs_a_key(closed: TestClient) -> None:
    paths = every_data_path(closed)
    assert {"/", "/methods", "/api/v1/seizures", "/api/v1/audit"} <= set(paths)
    opened = {path: closed.get(path).status_code for path in paths}
    assert {path: status for path, status in opened.items() if status != 401} == {}


@pytest.mark.parametrize("path", SERVED_WITH_A_KEY)
def test_a_page_or_read_is_served_with_a_key(
    closed: TestClient, editor: dict[str, str], path: str
) -> None:
    refused = closed.get(path)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert closed.get(path, headers=editor).status_code == 200


@pytest.mark.parametrize("path", OPEN)
def test_what_holds_no_data_stays_open(closed: TestClient, path: str) -> None:
    assert closed.get(path).status_code == 200


def registry_texts(session: Session) -> set[str]:
    """Texts the registry holds: reports as the sources word them, stage and source titles."""
    texts = set(session.scalars(select(SeizureReport.as_reported)))
    texts |= set(session.scalars(select(Stage.name_en)))
    texts |= set(session.scalars(select(Source.title)))
    return {text for text in texts if text and len(text) >= 8}


def test_the_openapi_document_carries_no_data_when_reads_need_a_key(
    client: TestClient, database_url: str, session: Session
) -> None:
    texts = registry_texts(session)
    public = client.get("/openapi.json").text
    assert [text for text in texts if json.dumps(text)[1:-1] in public]  # the examples show them

    app: Any = client.app
    app.state.settings = Settings(database_url=database_url, require_key_for_reads=True)
    app.openapi_schema = None
    closed = client.get("/openapi.json")
    assert closed.status_code == 200
    assert [text for text in texts if json.dumps(text)[1:-1] in closed.text] == []
    for item in closed.json()["paths"].values():
        for operation in item.values():
            for response in operation["responses"].values():
                for content in response.get("content", {}).values():
                    assert not {"example", "examples"} & set(content), content
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert "example" not in parameter, parameter
