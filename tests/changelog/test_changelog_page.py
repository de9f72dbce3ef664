"""`/changelog`: the changes as a page for people, in English and Russian (issue 24)."""

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.changelog.conftest import NAME
from tests.pages.test_russian_pages import english_prose

Made = Callable[..., dict[str, Any]]


def test_the_page_lists_the_changes_with_before_and_after(
    client: TestClient, stage_history: Made
) -> None:
    stage = stage_history(correct=True)
    page = client.get("/changelog?lang=en")
    assert page.status_code == 200
    html = page.text
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/api/v1/changelog.atom"' in html
    assert f'<a href="/stages/{stage["id"]}?lang=en">stage {stage["id"]}</a>' in html
    assert "<strong>Corrected:</strong>" in html
    assert "<dt>End</dt>" in html
    assert "<del>May 21, 2021</del> → <ins>May 25, 2021</ins>" in html
    assert f"<ins>{NAME}</ins>" in html
    assert "Source:" in html
    russian = client.get("/changelog?lang=ru").text
    assert "Изменения в реестре" in russian
    assert "<strong>Исправлено:</strong>" in russian
    assert "<del>21.05.2021</del> → <ins>25.05.2021</ins>" in russian
    assert f'<ins lang="en">{NAME}</ins>' in russian
    assert "end_on" not in russian
    assert "stages" not in russian.replace("/stages/", "")


def test_the_page_reads_in_russian(client: TestClient, stage_history: Made, made: Made) -> None:
    stage_history(correct=True, delete=True)
    made("1.0.0")
    for path in ("/changelog", "/changelog?release=1.0.0", "/changelog?since=2999-01-01"):
        joiner = "&" if "?" in path else "?"
        words, missing = english_prose(client.get(f"{path}{joiner}lang=ru").text)
        assert (words, missing) == ([], []), path


def test_the_filters_and_the_feed_follow_them(
    client: TestClient, stage_history: Made, made: Made
) -> None:
    made("1.0.0")
    stage = stage_history()
    made("1.1.0")
    html = client.get("/changelog?lang=en&release=1.1.0").text
    assert '<option value="1.1.0" selected>' in html
    assert f"stage {stage['id']}</a>" in html
    assert 'href="/api/v1/changelog.atom?release=1.1.0"' in html
    assert (
        "No change matches these filters." in client.get("/changelog?lang=en&since=2999-01-01").text
    )
    assert 'value="2999-01-01"' in client.get("/changelog?lang=en&since=2999-01-01").text


def test_older_changes_are_a_link_away(client: TestClient, stage_history: Made) -> None:
    stage_history()
    html = client.get("/changelog?lang=en").text
    assert 'rel="next"' in html
    older = (
        html.split(
            '<p><a href="',
        )[-1]
        .split('"')[0]
        .replace("&amp;", "&")
    )
    assert older.startswith("/changelog?lang=en&cursor=")
    assert client.get(older).status_code == 200


def test_bad_filters_are_422_pages_in_the_page_language(client: TestClient) -> None:
    english = client.get("/changelog?lang=en&since=yesterday&release=9.9.9")
    assert english.status_code == 422
    assert "not an ISO date" in english.text
    assert "no release" in english.text
    russian = client.get("/changelog?lang=ru&since=yesterday&release=9.9.9")
    assert russian.status_code == 422
    assert '<html lang="ru">' in russian.text
    assert "не дата" in russian.text
    assert "нет выпуска" in russian.text
    assert "выпусков ещё нет" in russian.text
    assert client.get("/changelog?lang=ru&entity=stages").status_code == 422
    assert client.get("/changelog?lang=en&sinse=2026-01-01").status_code == 422


def test_the_footer_leads_to_the_changelog(client: TestClient) -> None:
    assert 'href="/changelog?lang=en"' in client.get("/?lang=en").text
    assert 'href="/changelog?lang=ru"' in client.get("/releases?lang=ru").text
