"""Pages a person can read (issue 22, points 11-19): no internal identifiers, navigation,
phones, charts, search, operation pages, errors that say what to send."""

from fastapi.testclient import TestClient

# --- point 17: errors of kind -------------------------------------------------------------


def test_an_unknown_language_is_a_422_page_naming_the_two(client: TestClient) -> None:
    page = client.get("/?lang=de")
    assert page.status_code == 422
    assert page.headers["content-language"] == "en"
    assert "`en` (English) and `ru` (Russian)" in page.text
    assert "try `lang=en`" in page.text
    assert "try `lang=ru`" in client.get("/methods?lang=rus").text


def test_a_page_suggests_the_country_code_and_the_substance(client: TestClient) -> None:
    page = client.get("/?country=Kazakhstan")
    assert page.status_code == 422
    assert "alpha-3" in page.text
    assert "did you mean `KAZ`?" in page.text
    assert "did you mean `heroin`?" in client.get("/?substance=herion").text
