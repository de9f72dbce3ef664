"""Absolute URLs on pages and in API answers come from KSOPN_PUBLIC_URL alone, never from
what a request says about the host (Host, X-Forwarded-Proto/Host): a shared cache would
hand a page made for one request's headers to everyone."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

# The pages and answers that show links, and one of each kind besides.
URLS = [
    "/",
    "/methods",
    "/methods?lang=ru",
    "/search?q=heroin",
    "/operations/channel",
    "/countries/KAZ",
    "/sources/mvd-ksopn-15-years-2020",
    "/staff",
    "/docs",
    "/openapi.json",
    "/api/v1/seizures?limit=2",
    "/api/v1/seizures/totals?group_by=year",
    "/api/v1/seizures/totals.csv?group_by=year",
    "/api/v1/sources/mvd-ksopn-15-years-2020",
    "/no-such-page",
]
# What a client can say about the host. The base URL is what uvicorn makes of
# X-Forwarded-Proto and Host from a trusted proxy (by default any client on loopback).
CLAIMED = {"Host": "evil.example", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}


@pytest.fixture
def claimed_host(client: TestClient) -> Iterator[TestClient]:
    with TestClient(client.app, base_url="https://evil.example") as claimed:
        claimed.headers.update({**CLAIMED, "Accept-Encoding": "identity"})
        yield claimed


@pytest.fixture
def public_url(client_app: FastAPI) -> Iterator[str]:
    settings = client_app.state.settings
    client_app.state.settings = settings.model_copy(
        update={"public_url": "https://registry.example/ksopn"}
    )
    yield "https://registry.example/ksopn"
    client_app.state.settings = settings


@pytest.mark.parametrize("url", URLS)
def test_no_link_is_built_on_the_host_a_request_claims(claimed_host: TestClient, url: str) -> None:
    response = claimed_host.get(url)
    assert response.status_code in (200, 404), response.text
    assert "evil.example" not in response.text
    assert "evil.example" not in str(response.headers)


def test_the_methods_page_cites_the_registry_on_the_public_url(
    claimed_host: TestClient, public_url: str
) -> None:
    page = claimed_host.get("/methods").text
    assert f"{public_url}/api/v1/seizures/totals?group_by=year,substance" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_without_a_public_url_the_methods_page_cites_a_path(claimed_host: TestClient) -> None:
    page = claimed_host.get("/methods").text
    assert " /api/v1/seizures/totals?group_by=year,substance " in page
