"""The public record's pages (issue 23) on a database with every seed: the Channel stage
table, a stage page with its sources' versions and other results, and the coverage page
and API, in English and Russian, with the seeds' own values."""

import csv
import io
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.operations.stage_table import stated_day
from app.settings import Settings
from tests.helpers import seed_database
from tests.pages.test_russian_pages import english_prose


@pytest.fixture(scope="module")
def record_client(new_database: Callable[[], str]) -> Iterator[TestClient]:
    """The app on a database with every seed, the public record included."""
    url = new_database()
    seed_database(url, public_record=True)
    with TestClient(create_app(Settings(database_url=url))) as client:
        client.headers["Accept-Encoding"] = "identity"
        yield client


def _text(html: str) -> str:
    return " ".join(html.replace("\u00a0", " ").split())


def _stage_id(client: TestClient, slug: str) -> int:
    stages = client.get("/api/v1/operations/channel/stages?limit=100").json()["items"]
    return int(next(s["id"] for s in stages if s["slug"] == slug))


def test_the_channel_page_lists_every_stage_by_date(record_client: TestClient) -> None:
    html = _text(record_client.get("/operations/channel").text)
    table = html[html.index('id="stages"') :]
    # Dated stages in date order, the undated after them; no stage given a number.
    first, red_barkhan = table.index("Channel 2003"), table.index("Channel – Red Barkhan")
    assert first < red_barkhan < table.index("Channel-Mountain Outpost")
    assert table.index("Канал-Западная Двина") < table.index("Channel – Nevsky Shield")
    assert "Stage None" not in html
    assert "Stage " not in table.split("</table>")[0].split("<tbody>")[1].replace("Stages", "")
    # Dates, headquarters and the total with its qualifier and source.
    assert "Sep 10, 2018 – Sep 14, 2018" in table
    assert "Shymkent, Kazakhstan" in table
    assert "more than 9,000 kg" in table
    assert "2 other sources give the same figure" in table
    # A lower bound stays one; an estimate is "about"; "almost" is kept.
    assert "about 17,000 kg" in table
    # Disagreement said on the row, with the other value.
    assert "Sources disagree:" in table
    assert "Over 19,000 kg of drugs and raw materials" in table
    # A stage with only a country's share never shows it as the total.
    assert "No source gives the stage's total; shares only:" in table
    assert "Tajikistan: more than 954 kg" in table
    # Empty is not zero.
    assert "no source gives figures" in table
    # A stage with no full date keeps its sources' words, and no inferred year.
    assert "“по 24 сентября”" in table


def test_the_channel_page_in_russian(record_client: TestClient) -> None:
    html = record_client.get("/operations/channel?lang=ru").text
    text = _text(html)
    assert "10.09.2018 – 14.09.2018" in text
    assert "Шымкент, Казахстан" in text
    assert "более 9 000 кг" in text
    assert "Источники расходятся:" in text
    assert "ни один источник не приводит цифр" in text
    assert english_prose(html) == ([], [])


def test_a_stage_page_shows_every_version_and_the_rules_pick(record_client: TestClient) -> None:
    stage_id = _stage_id(record_client, "channel-2018-red-barkhan")
    html = _text(record_client.get(f"/stages/{stage_id}").text)
    assert "Channel – Red Barkhan" in html
    assert "Канал – Красный бархан" in html
    assert "Shymkent" in html
    assert "more than 22,000" in html  # officers involved: «свыше 22 тысяч сотрудников»
    assert "(sources disagree)" in html  # the 14th (KSOPN) against the 15th (CARICC)
    assert "“September 15”" in html
    assert "used: the rule picks this version" in html
    # Results other than drugs with their qualifiers and the other source's version.
    assert "crimes detected" in html
    assert "765" in html
    assert "719" in html
    assert "more than 9,000" in html
    assert "about 7,000" in html
    ru = record_client.get(f"/stages/{stage_id}?lang=ru").text
    assert "более 22 000" in _text(ru)
    assert "14.09.2018" in _text(ru)


def test_every_record_page_reads_in_russian(record_client: TestClient) -> None:
    stages = record_client.get("/api/v1/stages?limit=200").json()["items"]
    paths = ["/coverage", "/operations/channel", "/operations/grom", "/operations/kobalt"]
    paths += [f"/stages/{s['id']}" for s in stages]
    found = {}
    untranslated = {}
    for path in paths:
        response = record_client.get(f"{path}?lang=ru")
        assert response.status_code == 200, path
        # The page's own words, and the seeds' texts (notes of claims and results, party
        # details, descriptions): each has its Russian twin, so none is marked untranslated.
        words, missing = english_prose(response.text)
        if words:
            found[path] = sorted(set(words))
        if missing:
            untranslated[path] = missing
    assert found == {}
    assert untranslated == {}, f"texts without their Russian twin: {untranslated}"


def test_coverage_api_counts_with_the_stated_count(record_client: TestClient) -> None:
    body = record_client.get("/api/v1/coverage").json()
    channel = next(g for g in body["groups"] if g["slug"] == "channel")
    assert channel["kind"] == "stages"
    stated = channel["stated_counts"][0]
    assert (stated["value"], stated["as_reported"]) == (30, "Thirty")
    assert stated["source"]["slug"] == "mvd-ksopn-15-years-2020"
    dated = [i for y in channel["years"] for i in y["items"]]
    assert stated["held_by_then"] == sum(1 for i in dated if i["year"] <= 2020)
    assert channel["held"] == len(dated) + len(channel["undated"])
    assert all(i["year"] is None and "dates" in i["gaps"] for i in channel["undated"])
    y2018 = next(y for y in channel["years"] if y["year"] == 2018)
    red = next(i for i in y2018["items"] if i["name_en"] == "Channel – Red Barkhan")
    assert red["sources"] == 4  # KSOPN, CARICC, Baige News, the Volgograd police via the press
    assert red["has_figures"]
    assert red["gaps"] == []
    kinds = {g["kind"] for g in body["groups"]}
    assert kinds == {"stages", "exercises", "meetings"}
    meetings = next(g for g in body["groups"] if g["kind"] == "meetings")
    assert meetings["stated_counts"][0]["value"] == 21


def test_coverage_csv_has_a_row_an_item(record_client: TestClient) -> None:
    response = record_client.get("/api/v1/coverage.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    held = sum(g["held"] for g in record_client.get("/api/v1/coverage").json()["groups"])
    assert len(rows) == held
    assert any(r["name_ru"] == "Канал – Красный бархан" and r["year"] == "2018" for r in rows)


def test_coverage_page_in_both_languages(record_client: TestClient) -> None:
    en = _text(record_client.get("/coverage").text)
    assert "30 stages by 2020 according to" in en
    assert "None held for:" in en
    ru = _text(record_client.get("/coverage?lang=ru").text)
    assert "30 этапов к 2020 г." in ru
    assert "Полнота реестра" in ru


@pytest.mark.parametrize(
    ("words", "field", "expected"),
    [
        ("September 15", "end_on", (15, 9)),
        ("15 сентября завершена", "end_on", (15, 9)),
        ("Between September 10 and September 15", "start_on", (10, 9)),
        ("с 20 по 26 мая", "start_on", (20, 5)),
        ("в пятницу", "start_on", (None, None)),
    ],
)
def test_stated_day_reads_a_date_without_its_year(
    words: str, field: str, expected: tuple[int | None, int | None]
) -> None:
    assert stated_day(words, field) == expected


def test_the_channel_chart_gives_each_stage_its_own_figures(record_client: TestClient) -> None:
    """The chart's table (the CSV it links) has the stages the 2017-2019 summary covers,
    each with its own figure: by stage, the summary is not the answer."""
    page = record_client.get("/operations/channel?lang=en").text
    link = next(
        href.replace("&amp;", "&")
        for href in page.split('href="')[1:]
        if href.startswith("/api/v1/seizures/totals.csv")
    ).split('"')[0]
    assert "stage=any" in link
    table = record_client.get(link).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(table, newline="")))
    red_barkhan = str(_stage_id(record_client, "channel-2018-red-barkhan"))
    grams = sum(int(row["amount"]) for row in rows if row["stage_id"] == red_barkhan)
    assert grams == 9_000_000  # "more than 9 tons of drugs", once
