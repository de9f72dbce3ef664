"""Search (issue 22, point 15): the Council by KSOPN and КСОПН; stages, exercises, meetings,
documents and sources besides operations, countries, organizations and substances; Russian
word forms ("героина" finds heroin); small misspellings ("herion"); in the API and on the
page, in English and Russian.

Most tests run on the public record (every seed file: its stages, meetings and sources),
in a database of this module's own; the test of the index's life runs on the suite's."""

import re
from collections.abc import Callable, Iterator
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import models as m
from app.db import make_engine
from app.main import create_app
from app.operations.schemas import EXAMPLE_SOURCE
from app.pages.search import in_field_language
from app.search import service
from app.settings import Settings
from tests.helpers import PROBLEM, seed_database
from tests.pages.test_russian_pages import english_prose

LANGS = ("en", "ru")


@pytest.fixture(scope="module")
def record_url(new_database: Callable[[], str]) -> str:
    url = new_database()
    seed_database(url, public_record=True)
    return url


@pytest.fixture(scope="module")
def record(record_url: str) -> Iterator[TestClient]:
    """The app on the public record."""
    with TestClient(create_app(Settings(database_url=record_url))) as client:
        client.headers["Accept-Encoding"] = "identity"
        yield client


@pytest.fixture(scope="module")
def ids(record_url: str) -> dict[str, int]:
    """Ids the seeds do not fix: the stage coordinated from Brest, meeting 25."""
    engine = make_engine(record_url)
    try:
        with Session(engine) as session:
            return {
                "brest": session.scalars(
                    select(m.Stage.id).where(m.Stage.hq_city_en == "Brest")
                ).one(),
                "meeting-25": session.scalars(
                    select(m.Meeting.id).where(m.Meeting.number == 25)
                ).one(),
            }
    finally:
        engine.dispose()


def _search(client: TestClient, q: str, lang: str = "en") -> dict[str, Any]:
    response = client.get("/api/v1/search", params={"q": q}, headers={"Accept-Language": lang})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _hits(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return next((group["hits"] for group in body["groups"] if group["kind"] == kind), [])


@pytest.mark.parametrize("q", ["KSOPN", "КСОПН", "ksopn", "ксопн"])
@pytest.mark.parametrize("lang", LANGS)
def test_the_council_by_its_acronym_in_either_script(record: TestClient, q: str, lang: str) -> None:
    body = _search(record, q, lang)
    first = body["groups"][0]
    assert first["kind"] == "body"
    assert first["hits"][0]["key"] == "ksopn"
    assert first["hits"][0]["match"] == "exact"
    assert first["hits"][0]["url"] == "/api/v1/bodies/ksopn"


@pytest.mark.parametrize(("q", "slug"), [("CSTO", "csto"), ("ОДКБ", "csto"), ("УНП ООН", "unodc")])
def test_organizations_by_their_acronyms(record: TestClient, q: str, slug: str) -> None:
    hits = _hits(_search(record, q), "organization")
    assert hits[0]["key"] == slug
    assert hits[0]["match"] == "exact"


@pytest.mark.parametrize("lang", LANGS)
def test_a_russian_word_form_finds_the_substance(record: TestClient, lang: str) -> None:
    hits = _hits(_search(record, "героина", lang), "substance")
    assert [(hit["key"], hit["match"]) for hit in hits] == [("heroin", "word_form")]
    assert _hits(_search(record, "гашиша"), "substance")[0]["key"] == "hashish"


@pytest.mark.parametrize("lang", LANGS)
def test_a_small_misspelling_is_forgiven_and_ranked_below_a_true_match(
    record: TestClient, lang: str
) -> None:
    hits = _hits(_search(record, "herion", lang), "substance")
    assert hits[0]["key"] == "heroin"
    assert hits[0]["match"] == "fuzzy"
    assert _hits(_search(record, "ksopm"), "body")[0]["key"] == "ksopn"
    assert _hits(_search(record, "Казахтан"), "country")[0]["key"] == "KAZ"
    # the exact name first, whatever is spelt close to it
    assert _hits(_search(record, "Iran"), "country")[0]["key"] == "IRN"
    assert "IRQ" not in {hit["key"] for hit in _hits(_search(record, "Iran"), "country")}


def test_fuzzy_matches_come_after_the_others() -> None:
    from app.search.index import Entry, SearchIndex, terms

    index = SearchIndex(
        [
            Entry("substance", 0, {"key": "heroin"}, terms(["Heroin"], primary=True)),
            Entry("substance", 1, {"key": "herion"}, terms(["Herion pills"], primary=True)),
        ]
    )
    found = index.find("herion")
    assert [hit.entry.item["key"] for hit in found] == ["herion", "heroin"]
    assert [hit.tier.name for hit in found] == ["part", "fuzzy"]


@pytest.mark.parametrize("q", ["Канал – Западный заслон", "западный заслон", "Бресте", "Brest"])
def test_a_stage_by_its_russian_name_or_its_headquarters(
    record: TestClient, ids: dict[str, int], q: str
) -> None:
    hits = _hits(_search(record, q), "stage")
    assert hits[0]["key"] == str(ids["brest"])
    assert hits[0]["name_ru"] == "Канал – Западный заслон"
    assert hits[0]["url"] == f"/api/v1/stages/{ids['brest']}"


def test_exercises_are_a_kind_of_their_own(record: TestClient) -> None:
    hits = _hits(_search(record, "Гром-2017"), "exercise")
    assert hits[0]["name_ru"] == "Гром-2017"
    assert not _hits(_search(record, "Гром-2017"), "stage")


@pytest.mark.parametrize("q", ["meeting 25", "заседание 25", "заседания 25"])
def test_a_meeting_by_its_number(record: TestClient, ids: dict[str, int], q: str) -> None:
    hits = _hits(_search(record, q), "meeting")
    assert hits[0]["key"] == str(ids["meeting-25"])
    assert hits[0]["number"] == 25
    assert hits[0]["place"] == "Minsk"


def test_a_meeting_by_its_city(record: TestClient) -> None:
    places = {hit["place"] for hit in _hits(_search(record, "Минске"), "meeting")}
    assert places == {"Минск"}


@pytest.mark.parametrize(
    ("q", "slug"), [("CARICC", "caricc-2248"), ("ТАСС", "tass-uzbekistan-note-2012")]
)
def test_a_source_by_its_publisher(record: TestClient, q: str, slug: str) -> None:
    hits = _hits(_search(record, q), "source")
    hit = next(hit for hit in hits if hit["key"] == slug)
    assert hit["matched"] == q
    assert q in (hit["publisher_en"], hit["publisher_ru"])


def test_a_document_by_a_word_form_of_its_title(record: TestClient) -> None:
    keys = [hit["key"] for hit in _hits(_search(record, "антинаркотической стратегии"), "document")]
    assert "anti-drug-strategy-2015-2020" in keys


@pytest.mark.parametrize(("q", "lang"), [("", "en"), ("a", "en"), ("  ы ", "ru"), ("ы", "ru")])
def test_a_query_too_short_says_so(record: TestClient, q: str, lang: str) -> None:
    body = _search(record, q, lang)
    assert body["groups"] == []
    assert body["total"] == 0
    expected = {"en": "at least 2 characters", "ru": "не меньше 2 символов"}[lang]
    assert expected in body["message"]


def test_no_query_is_a_query_too_short(record: TestClient) -> None:
    response = record.get("/api/v1/search")
    assert response.status_code == 200
    assert response.json()["message"] == "Type at least 2 characters to search."


@pytest.mark.parametrize(("lang", "words"), [("en", "at most 200"), ("ru", "не длиннее 200")])
def test_a_query_too_long_is_a_422_naming_it(record: TestClient, lang: str, words: str) -> None:
    response = record.get(
        "/api/v1/search", params={"q": "x" * 201}, headers={"Accept-Language": lang}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    (error,) = response.json()["errors"]
    assert error["name"] == "q"
    assert words in error["message"]


def test_the_index_is_built_once_per_data_version(
    client: TestClient, editor: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[int] = []
    build = service.build_index

    def counted(session: Session) -> Any:
        builds.append(1)
        return build(session)

    monkeypatch.setattr(service, "build_index", counted)
    for q in ("героина", "herion", "КСОПН"):
        assert _search(client, q)["total"] > 0
    assert len(builds) == 1
    assert not _hits(_search(client, "этап 77"), "stage")
    stage = {
        "number": 77,
        "start_on": "2021-05-10",
        "source": EXAMPLE_SOURCE,
        "locator": "example",
        "participants": ["KAZ"],
        "seizures": [],
    }
    posted = client.post("/api/v1/operations/channel/stages", json=stage, headers=editor)
    assert posted.status_code == 201, posted.text
    hits = _hits(_search(client, "этап 77"), "stage")  # the write made a new data version
    assert [hit["key"] for hit in hits] == [str(posted.json()["id"])]
    assert len(builds) == 2


# The page.


def _page(client: TestClient, q: str, lang: str) -> str:
    response = client.get("/search", params={"q": q, "lang": lang})
    assert response.status_code == 200, response.text
    html: str = response.text
    return html


def _text(html: str) -> str:
    """The page's text as shown: no tags, and so no link addresses; entities read as the
    characters they stand for (a title's quotes are `&#34;`, which is no id 34)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


@pytest.mark.parametrize(
    ("q", "lang", "heading", "link", "shown"),
    [
        ("KSOPN", "en", "The Council and its bodies", "/api/v1/bodies/ksopn", "(KSOPN)"),
        ("КСОПН", "ru", "Совет и его органы", "/api/v1/bodies/ksopn", "(КСОПН)"),
        ("героина", "en", "Substances", "/?substance=heroin&amp;lang=en", "Heroin"),
        ("героина", "ru", "Вещества", "/?substance=heroin&amp;lang=ru", "Героин"),
        ("herion", "en", "Substances", "/?substance=heroin&amp;lang=en", "close spelling"),
        ("herion", "ru", "Вещества", "/?substance=heroin&amp;lang=ru", "похожее написание"),
        ("западный заслон", "en", "Stages of operations", "/stages/", "Channel – Western Barrier"),
        (
            "западный заслон",
            "ru",
            "Этапы операций",
            "/stages/",
            "заслон / Channel – Western Barrier, 29.05.2017, Брест",
        ),
        ("CARICC", "en", "Sources", "/sources/caricc-2248?lang=en", "CARICC"),
        ("CARICC", "ru", "Источники", "/sources/caricc-2248?lang=ru", "CARICC"),
        ("ТАСС", "ru", "Источники", "/sources/tass-uzbekistan-note-2012?lang=ru", "ТАСС"),
        ("meeting 25", "en", "Meetings", "/api/v1/meetings/", "Meeting 25 of KSOPN, Minsk"),
        ("заседание 25", "ru", "Заседания", "/api/v1/meetings/", "Заседание № 25: КСОПН, Minsk"),
        ("Гром", "ru", "Учения", "/stages/", "Гром-2017"),
        ("стратегия", "ru", "Документы", "/api/v1/documents/", "(в API)"),
    ],
)
def test_the_page_groups_hits_by_kind_in_the_page_s_language(
    record: TestClient, q: str, lang: str, heading: str, link: str, shown: str
) -> None:
    html = _page(record, q, lang)
    assert f"<h2>{heading}</h2>" in html
    assert f'href="{link}' in html
    assert shown in _text(html)


@pytest.mark.parametrize("q", ["KSOPN", "CARICC", "героина", "заседание 25", "Брест", "Гром"])
@pytest.mark.parametrize("lang", LANGS)
def test_the_page_shows_no_key(record: TestClient, q: str, lang: str) -> None:
    """Slugs and ids are in the links, never in the text."""
    text = _text(_page(record, q, lang))
    keys = {hit["key"] for group in _search(record, q)["groups"] for hit in group["hits"]}
    assert keys
    assert not {key for key in keys if re.search(rf"(?<![\w.-]){re.escape(key)}(?![\w.-])", text)}


@pytest.mark.parametrize(
    "q",
    [
        *("КСОПН", "ksopn", "героина", "herion", "Западный заслон", "Brest", "CARICC"),
        *("заседание 25", "Минск", "Гром", "стратегия", "ОДКБ", "канал", "a"),
    ],
)
def test_the_russian_page_reads_in_russian(record: TestClient, q: str) -> None:
    words, missing = english_prose(_page(record, q, "ru"))
    assert (words, missing) == ([], [])


@pytest.mark.parametrize(
    ("q", "lang", "message"),
    [
        ("", "en", "Type at least 2 characters to search."),
        ("a", "en", "Type at least 2 characters to search."),
        ("", "ru", "Для поиска введите не меньше 2 символов."),
        ("ы", "ru", "Для поиска введите не меньше 2 символов."),
    ],
)
def test_the_page_says_when_a_query_is_too_short(
    record: TestClient, q: str, lang: str, message: str
) -> None:
    response = record.get("/search", params={"q": q, "lang": lang})
    assert response.status_code == 200
    if not q:  # pages drop an empty parameter: the page without it asks for a query
        assert str(response.url).endswith(f"/search?lang={lang}")
    assert message in response.text
    assert 'class="results"' not in response.text


@pytest.mark.parametrize(("lang", "words"), [("en", "at most 200"), ("ru", "не длиннее 200")])
def test_the_page_refuses_a_query_too_long_in_its_language(
    record: TestClient, lang: str, words: str
) -> None:
    response = record.get("/search", params={"q": "ы" * 201, "lang": lang})
    assert response.status_code == 422
    assert words in response.text


@pytest.mark.parametrize(
    ("english", "russian", "lang", "shown"),
    [
        (
            "Sputnik Kazakhstan",
            "Sputnik Казахстан",
            "ru",
            '<span lang="en">Sputnik</span> Казахстан',
        ),
        ("RT", "RT", "ru", '<span lang="en">RT</span>'),
        ("TASS", "ТАСС", "ru", "ТАСС"),
        ("TASS", "ТАСС", "en", "TASS"),
        ("KSOPN (x.org)", "КСОПН (ksopn.odkb-csto.org)", "ru", "КСОПН (ksopn.odkb-csto.org)"),
        ("a <b>", "а <b>", "ru", 'а &lt;<span lang="en">b</span>&gt;'),
    ],
)
def test_a_name_in_latin_letters_is_marked_on_a_russian_page(
    english: str, russian: str, lang: str, shown: str
) -> None:
    """A publisher's Russian name may be a brand in Latin letters, whole or in part: that
    part is marked as English, never read as untranslated prose; a domain stays as it is."""
    assert str(in_field_language(english, russian, lang)) == shown
