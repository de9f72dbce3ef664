"""The releases' pages for people, in English and Russian (issue 24)."""

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.pages.test_russian_pages import english_prose


def test_no_release_yet_says_so(client: TestClient) -> None:
    page = client.get("/releases?lang=en")
    assert page.status_code == 200
    assert "No release has been made yet" in page.text
    assert "Выпусков ещё нет" in client.get("/releases?lang=ru").text


def test_the_footer_leads_to_the_releases(client: TestClient) -> None:
    assert 'href="/releases?lang=en"' in client.get("/?lang=en").text
    assert 'href="/releases?lang=ru"' in client.get("/methods?lang=ru").text


def test_a_release_has_its_page_with_files_checksums_and_citations(
    client: TestClient, made: Callable[..., dict[str, Any]]
) -> None:
    release = made(note="Первый выпуск: основные данные.")
    index = client.get("/releases?lang=en").text
    assert 'href="/releases/1.0.0?lang=en"' in index
    page = client.get("/releases/1.0.0?lang=en")
    assert page.status_code == 200
    html = page.text
    assert "Release 1.0.0" in html
    assert str(release["data_version"]) in html
    assert '<dd lang="ru">Первый выпуск: основные данные.</dd>' in html
    for entry in release["files"]:
        assert f'href="{entry["url"]}"' in html
        assert entry["sha256"] in html
    assert "Table: Seizure reports" in html
    assert "sha256sum -c SHA256SUMS" in html
    assert "@misc{ksopn-registry-1.0.0," in html
    assert "&#34;type&#34;: &#34;dataset&#34;" in html or '"type": "dataset"' in html
    assert "/api/v1/releases/1.0.0?format=bibtex" in html
    russian = client.get("/releases/1.0.0?lang=ru").text
    assert "Выпуск 1.0.0" in russian
    assert "Таблица: Сведения об изъятиях" in russian
    assert "Как ссылаться" in russian


def test_the_release_pages_read_in_russian(
    client: TestClient, made: Callable[..., dict[str, Any]]
) -> None:
    made(note="A note written in English is marked so.")
    for path in ("/releases", "/releases/1.0.0", "/releases/9.9.9"):
        words, missing = english_prose(client.get(f"{path}?lang=ru").text)
        assert (words, missing) == ([], []), path


def test_an_unknown_release_is_a_404_page_in_its_language(client: TestClient) -> None:
    english = client.get("/releases/9.9.9?lang=en")
    assert english.status_code == 404
    assert "Not found" in english.text
    russian = client.get("/releases/9.9.9?lang=ru")
    assert russian.status_code == 404
    assert '<html lang="ru">' in russian.text
    assert client.get("/releases/1.0.0?lang=en&x=1").status_code == 422
