"""Every page in Russian reads in Russian (issue 22, points 20, 21 and 23): no English prose
outside names, codes and quotations of an English source, no text shown in English for want
of its Russian twin, dates and periods written the Russian way, and the native reader's
wording."""

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.operations.schemas import EXAMPLE_SOURCE
from app.pages.templating import format_fuzzy, format_period

# Elements whose text may be in another language: codes, quotations of a source (its title,
# its words, its locators), and anything marked with a language of its own.
QUOTING_TAGS = {"code", "pre", "cite", "script", "style", "svg"}
QUOTING_CLASSES = {"quoted", "locator"}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*(?:[-_][A-Za-z0-9]+)*")
# Not prose: acronyms and codes (KAZ, API, CSV, ¶N), slugs (csc-decision-2008-09-channel),
# and the names of technologies Russian writes in Latin letters.
NOT_PROSE = re.compile(r"[A-Z]+|[a-z0-9]+(?:[-_][a-z0-9]+)+|BibTeX|JavaScript|cookie")
QUERY_PARAMETER = re.compile(r"\w+=\w+")
# Not prose either: a domain name (ksopn.odkb-csto.org, nm.tj, News.by) in a publisher's name.
DOMAIN = re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
VOID_TAGS = {"meta", "link", "input", "br", "img", "hr", "source", "col", "area", "base", "wbr"}


class _Prose(HTMLParser):
    """The Russian page's own words: its text outside codes, quotations and other-language
    elements; and the texts marked as untranslated."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: is its text exempt?
        self.prose: list[str] = []
        self.untranslated: list[str] = []
        self.in_untranslated = 0
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS:
            return
        found = dict(attrs)
        classes = set((found.get("class") or "").split())
        exempt = (
            (self.stack[-1] if self.stack else False)
            or tag in QUOTING_TAGS
            or bool(classes & QUOTING_CLASSES)
            or found.get("lang") not in (None, "ru")
        )
        self.stack.append(exempt)
        if "untranslated" in classes:
            self.in_untranslated += 1
        self.in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS or not self.stack:
            return
        self.stack.pop()
        self.in_title = False

    def handle_data(self, data: str) -> None:
        if self.in_untranslated and data.strip():
            self.untranslated.append(data.strip())
            self.in_untranslated -= 1
        if self.in_title:
            return  # the title repeats the heading, whose markup says what it quotes
        if not (self.stack and self.stack[-1]):
            self.prose.append(data)


def english_prose(html: str) -> tuple[list[str], list[str]]:
    parser = _Prose()
    parser.feed(html)
    text = DOMAIN.sub(" ", QUERY_PARAMETER.sub(" ", " ".join(parser.prose)))
    words = [w for w in LATIN_WORD.findall(text) if not NOT_PROSE.fullmatch(w)]
    return words, parser.untranslated


@pytest.fixture
def russian_stage(client: TestClient, editor: dict[str, str]) -> int:
    """A stage as staff might post it with nothing in English: no name, no party details."""
    body: dict[str, Any] = {
        "number": 77,
        "start_on": "2021-05-10",
        "end_on": "2021-05-21",
        "lead_country": "KAZ",
        "source": EXAMPLE_SOURCE,
        "locator": "example",
        "participants": ["KAZ", "RUS"],
        "seizures": [{"substance": "heroin", "quantity": "85 kg", "country": "KAZ"}],
    }
    response = client.post("/api/v1/operations/channel/stages", json=body, headers=editor)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _pages(client: TestClient, stage_id: int) -> list[str]:
    sources = [s["slug"] for s in client.get("/api/v1/sources?limit=1000").json()["items"]]
    operations = [o["slug"] for o in client.get("/api/v1/operations").json()["items"]]
    countries = [c["iso3"] for c in client.get("/api/v1/countries?limit=1000").json()["items"]]
    substances = [s["slug"] for s in client.get("/api/v1/substances?limit=1000").json()["items"]]
    meetings = [m["id"] for m in client.get("/api/v1/meetings?limit=1000").json()["items"]]
    return [
        "/meetings",
        "/meetings/999999",
        "/exercises",
        "/exercises/999999",
        "/substances",
        *(f"/substances/{slug}" for slug in substances),
        *(f"/meetings/{meeting_id}" for meeting_id in meetings),
        "/",
        "/?allocate=pro_rata",
        "/methods",
        "/search",
        "/search?q=канал",
        # every kind the search finds, in a Russian word form, misspelt, or by an acronym
        "/search?q=героина",
        "/search?q=herion",
        "/search?q=КСОПН",
        "/search?q=ksopn",
        "/search?q=ОДКБ",
        "/search?q=этап 77",
        "/search?q=ТАСС",
        "/search?q=стратегия",
        "/search?q=a",
        "/sources",
        "/coverage",
        "/staff",
        f"/stages/{stage_id}",
        "/operations/no-such-operation",
        "/?year=abc",
        "/?country=RUS",  # no figure of its own: the broader one, in Russian
        "/?substance=opioids",  # a category sum that may fall short
        *(f"/operations/{slug}" for slug in operations),
        *(f"/countries/{iso3}" for iso3 in countries),
        *(f"/sources/{slug}" for slug in sources),
    ]


def test_every_page_in_russian_reads_in_russian(client: TestClient, russian_stage: int) -> None:
    english: dict[str, list[str]] = {}
    untranslated: dict[str, list[str]] = {}
    for path in _pages(client, russian_stage):
        joiner = "&" if "?" in path else "?"
        html = client.get(f"{path}{joiner}lang=ru").text
        words, missing = english_prose(html)
        if words:
            english[path] = sorted(set(words))
        if missing:
            untranslated[path] = missing
    assert english == {}, f"English prose on Russian pages: {english}"
    assert untranslated == {}, f"texts without their Russian twin: {untranslated}"


def test_the_checker_sees_english() -> None:
    """The checker itself: English prose is caught; codes, names marked with their language
    and quotations are not."""
    page = (
        '<p>Источник <cite>Some English title</cite>, <span class="locator">member states</span>'
        ' <code>participations</code> KAZ <span lang="en">Russia</span>'
        ' <span class="quoted">«more than 2 t»</span> csc-decision-2008-09-channel</p>'
    )
    assert english_prose(page) == ([], [])
    words, _ = english_prose("<p>Государства (competent authorities)</p>")
    assert words == ["competent", "authorities"]
    domains = "<p>КСОПН ОДКБ (ksopn.odkb-csto.org), Корреспондент.net, Газета (nm.tj)</p>"
    assert english_prose(domains) == ([], [])
    words, _ = english_prose("<p>Оперативно (see the page.)</p>")
    assert words == ["see", "the", "page"]
    _, missing = english_prose('<p><span class="untranslated" lang="en">text</span></p>')
    assert missing == ["text"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"date": "2008-09-01", "precision": "month"}, "сентября 2008 г."),
        ({"date": "2008-01-01", "precision": "year"}, "2008 г."),
        ({"date": "2021-05-10", "precision": "day"}, "10.05.2021"),
    ],
)
def test_russian_dates(value: dict[str, str], expected: str) -> None:
    assert format_fuzzy(value, "ru") == expected


def test_russian_periods() -> None:
    assert format_period("2017-01-01", "2019-12-31", "ru") == "2017–2019 гг."
    assert format_period("2021-05-10", "2021-05-21", "ru") == "10.05.2021 – 21.05.2021"
    assert format_period("2017-01-01", "2019-12-31", "en") == "2017–2019"


def test_status_dates_and_quotes_in_russian(client: TestClient) -> None:
    html = client.get("/operations/channel?lang=ru").text
    assert "с сентября 2008 г." in html
    assert "«more than 67 tons of 600 kg»" in html
    assert "“" not in html


@pytest.mark.parametrize(
    ("path", "wording"),
    [
        ("/staff", "Форма для сотрудников: этапы"),
        ("/staff", "Разбивка: в том числе"),
        ("/", "Распределить показатели за несколько лет по годам"),
        ("/?allocate=pro_rata", "полосами на весь период"),
        ("/methods", "В том числе, по данным источника:"),
        ("/methods", "более 67 600 кг контролируемых веществ"),
        ("/methods", "тоже считается «более»"),
        ("/sources/mvd-ksopn-15-years-2020", "Новая антинаркотическая стратегия"),
        ("/sources/mvd-ksopn-15-years-2020", "Решение Совета коллективной безопасности ОДКБ"),
        ("/sources/mvd-ksopn-15-years-2020", "Выставка об антинаркотической деятельности"),
        ("/sources/mvd-ksopn-15-years-2020", "Подготовка и переподготовка кадров"),
        ("/operations/grom", "тактико-специальные учения «Гром»"),
    ],
)
def test_native_wording(client: TestClient, path: str, wording: str) -> None:
    joiner = "&" if "?" in path else "?"
    html = client.get(f"{path}{joiner}lang=ru").text.replace("\u00a0", " ")
    assert wording in " ".join(html.split())


def test_no_english_alias_among_russian_names(client: TestClient) -> None:
    html = client.get("/countries/RUS?lang=ru").text
    assert "Russian Federation" not in html
    assert "Российская Федерация" in html


def test_a_source_page_keeps_the_source_s_word_for_a_lower_bound(client: TestClient) -> None:
    """The 2017-2019 total is "more than 67 tons" in the source: its fact reads «более», never
    «не менее», which would be a weaker claim than the source's."""
    page = client.get("/sources/mvd-ksopn-15-years-2020", params={"lang": "ru"}).text
    assert "более 67\u00a0600\u00a0кг" in page or "более 67 600 кг" in page.replace("\u00a0", " ")
    assert "не менее 67" not in page.replace("\u00a0", " ")
