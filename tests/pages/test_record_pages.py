"""The meeting, exercise and substance pages (issue 22 point 12, issue 23 "Meeting and
exercise pages") over the whole public record: every fact from the seeds with its citation,
every source's version of a date shown with the one the rule picks, what is missing said,
both languages, and Russian pages in Russian."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.pages.record_service import disagreeing, versions
from app.settings import Settings
from tests.helpers import seed_database
from tests.pages.test_russian_pages import english_prose


@pytest.fixture(scope="module")
def record_client(new_database: Callable[[], str]) -> Iterator[TestClient]:
    """The app over a database with every seed, the public record included."""
    url = new_database()
    seed_database(url, public_record=True)
    with TestClient(create_app(Settings(database_url=url))) as client:
        yield client


def _meeting_id(client: TestClient, slug: str) -> int:
    items = client.get("/api/v1/meetings?limit=1000").json()["items"]
    return int(next(m["id"] for m in items if m["slug"] == slug))


def _exercise_id(client: TestClient, operation: str, slug: str) -> int:
    items = client.get(f"/api/v1/operations/{operation}/stages").json()["items"]
    return int(next(s["id"] for s in items if s["slug"] == slug))


def _flat(html: str) -> str:
    return " ".join(html.replace("\u00a0", " ").split())


def test_the_meetings_index_lists_every_meeting_with_number_date_city_and_chair(
    record_client: TestClient,
) -> None:
    meetings = record_client.get("/api/v1/meetings?limit=1000").json()["items"]
    page = _flat(record_client.get("/meetings").text)
    assert page.count('href="/meetings/') == len(meetings)
    assert "KSOPN meeting No. 17" in page
    assert "Oct 14, 2015" in page
    assert "Yerevan" in page or "Ереван" in page
    assert "no source gives a full date" in page  # the 14th meeting: no date in its source
    assert "no source names the chair" in page
    ru = _flat(record_client.get("/meetings?lang=ru").text)
    assert "Заседание КСОПН № 17" in ru
    assert "14.10.2015" in ru
    assert "ни один источник не называет полную дату" in ru


def test_a_meeting_page_cites_every_fact_and_shows_every_version(
    record_client: TestClient,
) -> None:
    meeting_id = _meeting_id(record_client, "ksopn-17")
    page = _flat(record_client.get(f"/meetings/{meeting_id}").text)
    assert "KSOPN meeting No. 17" in page
    assert "Oct 14, 2015" in page
    assert "Виктор Иванов, директор ФСКН России" in page  # the chair, as the source names him
    assert 'href="/sources/ksopn-xvii-2015?lang=en"' in page  # the chair's own source
    assert "election of the Council" in page
    assert 'href="/sources/nmtj-34699?lang=en"' in page
    # Both versions of the date: the one the rule picks, and the announcement with no year.
    assert "“On October 14, 2015”" in page
    assert "“14 октября”" in page
    assert (
        "the value the record uses (the rule&#39;s pick)" in page
        or "the value the record uses (the rule's pick)" in page
    )
    assert "the source&#39;s words give no full value" in page or "no full value" in page
    assert 'href="/methods?lang=en#versions"' in page
    assert f'href="/api/v1/meetings/{meeting_id}"' in page
    ru = _flat(record_client.get(f"/meetings/{meeting_id}?lang=ru").text)
    assert "Рассмотрены избрание секретаря Совета" in ru
    assert "объявлено до этой даты: план, а не свершившийся факт" in ru
    assert "значение, принятое в реестре (выбрано по правилу)" in ru


def test_a_meeting_with_no_city_or_decision_says_so(record_client: TestClient) -> None:
    meeting_id = _meeting_id(record_client, "ksopn-working-group-2025-04")
    page = _flat(record_client.get(f"/meetings/{meeting_id}").text)
    assert "no source gives the city" in page
    assert "No source says what this meeting decided." in page
    assert "no source gives its number" in page
    ru = _flat(record_client.get(f"/meetings/{meeting_id}?lang=ru").text)
    assert "ни один источник не называет город" in ru


def test_the_exercises_index_and_an_exercise_page(record_client: TestClient) -> None:
    index = _flat(record_client.get("/exercises").text)
    for operation in ("grom", "kobalt"):
        stages = record_client.get(f"/api/v1/operations/{operation}/stages").json()["items"]
        for stage in stages:
            assert f'href="/exercises/{stage["id"]}?lang=en"' in index
    assert "no source gives full dates" in index  # Kobalt-2025: no dates or place found
    grom_2015 = _exercise_id(record_client, "grom", "grom-2015")
    page = _flat(record_client.get(f"/exercises/{grom_2015}").text)
    assert "Aug 24, 2015 – Sep 3, 2015" in page
    assert "«Фахрабад»" in page
    assert "“с 20 по 26 мая”" in page  # the planned dates, kept as a version
    assert "officers involved: more than 1,000" in page
    assert 'href="/sources/arabstoday-thunder2015?lang=en"' in page
    assert page.count('href="/countries/') >= 6
    ru = _flat(record_client.get(f"/exercises/{grom_2015}?lang=ru").text)
    assert "24.08.2015 – 03.09.2015" in ru
    assert "задействовано сотрудников: более 1 000" in ru
    assert "плановые даты, объявленные Р. Назарзода" in ru


def test_an_exercise_page_is_only_for_exercises(record_client: TestClient) -> None:
    channel = record_client.get("/api/v1/operations/channel/stages").json()["items"][0]
    for lang, words in (("en", "Not found"), ("ru", "Не найдено")):
        for path in (f"/exercises/{channel['id']}", "/exercises/999999", "/meetings/999999"):
            response = record_client.get(f"{path}?lang={lang}")
            assert response.status_code == 404
            assert words in response.text


def test_a_substance_page(record_client: TestClient) -> None:
    page = _flat(record_client.get("/substances/heroin").text)
    assert 'href="/substances/opioids?lang=en"' in page  # its parent in the tree
    assert 'href="/api/v1/substances/heroin"' in page
    assert 'href="/sources/' in page  # its seizure figures, each cited
    ru = _flat(record_client.get("/substances/heroin?lang=ru").text)
    assert "Героин" in ru
    assert "Опиоиды" in ru
    opioids = _flat(record_client.get("/substances/opioids").text)
    assert 'href="/substances/heroin?lang=en"' in opioids  # its children
    missing = record_client.get("/substances/no-such-substance?lang=ru")
    assert missing.status_code == 404
    assert "Не найдено" in missing.text


def test_navigation_and_country_pages_link_to_the_record(record_client: TestClient) -> None:
    front = record_client.get("/").text
    for path in ("/meetings", "/exercises", "/substances"):
        assert f'href="{path}?lang=en"' in front
    kyrgyzstan = _flat(record_client.get("/countries/KGZ").text)
    twelfth = _meeting_id(record_client, "ksopn-12")
    assert f'href="/meetings/{twelfth}?lang=en"' in kyrgyzstan
    kobalt_2022 = _exercise_id(record_client, "kobalt", "kobalt-2022")
    assert f'href="/exercises/{kobalt_2022}?lang=en"' in kyrgyzstan


def test_every_record_page_in_russian_reads_in_russian(record_client: TestClient) -> None:
    meetings = record_client.get("/api/v1/meetings?limit=1000").json()["items"]
    exercises = [
        stage
        for operation in ("grom", "kobalt")
        for stage in record_client.get(f"/api/v1/operations/{operation}/stages").json()["items"]
    ]
    paths = [
        "/meetings",
        "/exercises",
        "/substances",
        "/substances/heroin",
        "/countries/KGZ",
        "/countries/ARM",
        *(f"/meetings/{m['id']}" for m in meetings),
        *(f"/exercises/{s['id']}" for s in exercises),
    ]
    english: dict[str, list[str]] = {}
    untranslated: dict[str, list[str]] = {}
    for path in paths:
        words, missing = english_prose(record_client.get(f"{path}?lang=ru").text)
        if words:
            english[path] = sorted(set(words))
        if missing:
            untranslated[path] = missing
    assert english == {}, f"English prose on Russian pages: {english}"
    assert untranslated == {}, f"texts without their Russian twin: {untranslated}"


def _claim(field: str, value: str | None, used: bool) -> dict[str, Any]:
    return {
        "field": field,
        "value": value,
        "used": used,
        "as_reported": "x",
        "source_id": 1,
        "source_slug": "s",
        "source_title": "S",
        "source_locator": "¶1",
    }


def test_each_version_has_its_standing_and_disagreement_is_found() -> None:
    claims = [
        _claim("end_on", "2024-08-16", True),
        _claim("start_on", "2024-08-14", False),
        _claim("start_on", "2024-08-12", True),
        _claim("start_on", None, False),
        _claim("chair", "Виктор Иванов", False),
    ]
    shown = versions(claims, {"start_on", "end_on"})
    assert [(v["field"], v["standing"]) for v in shown] == [
        ("start_on", "other"),
        ("start_on", "used"),
        ("start_on", "partial"),
        ("end_on", "used"),
        ("chair", "stated"),
    ]
    assert shown[0]["source"]["locator"] == "¶1"
    assert disagreeing(claims) == ["start_on"]
    assert disagreeing(claims[:1] + claims[2:]) == []
