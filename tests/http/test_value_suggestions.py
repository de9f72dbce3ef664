"""A filter value that names nothing is a 422 that says what was expected and suggests the
likeliest value, as a misspelt parameter name does (issue 22, point 17)."""

import pytest
from fastapi.testclient import TestClient


def _problem(client: TestClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    return str(error["message"])


@pytest.mark.parametrize("path", ["/api/v1/seizures", "/api/v1/seizures/totals"])
def test_a_country_name_asks_for_its_code(client: TestClient, path: str) -> None:
    message = _problem(client, f"{path}?country=Kazakhstan")
    assert "ISO 3166-1 alpha-3" in message
    assert "did you mean `KAZ`?" in message
    assert "did you mean `RUS`?" in _problem(client, f"{path}?country=Россия")


def test_a_name_that_matches_no_country_still_shows_a_code(client: TestClient) -> None:
    message = _problem(client, "/api/v1/seizures?country=Atlantis")
    assert "alpha-3" in message
    assert "`KAZ`" in message
    assert "did you mean" not in message


def test_a_misspelt_substance_is_suggested(client: TestClient) -> None:
    assert "did you mean `heroin`?" in _problem(client, "/api/v1/seizures?substance=herion")
    assert "did you mean `heroin`?" in _problem(client, "/api/v1/seizures?substance=героин")
    assert "did you mean" not in _problem(client, "/api/v1/seizures?substance=zzzzzz")


def test_an_unknown_three_letter_code_suggests_nothing_wrong(client: TestClient) -> None:
    message = _problem(client, "/api/v1/seizures?country=XYZ")
    assert message.startswith("no country 'XYZ'")
