"""Pages a person can read (issue 22, points 11-19): no internal identifiers, navigation,
phones, charts, search, operation pages, errors that say what to send."""

import copy
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Source
from app.models.base import Base
from app.operations.schemas import STAGE_EXAMPLE

SOURCE = "mvd-ksopn-15-years-2020"


@pytest.fixture
def stage_with_lead(client: TestClient, editor: dict[str, str]) -> int:
    body = copy.deepcopy(STAGE_EXAMPLE) | {"lead_country": "KGZ"}
    response = client.post("/api/v1/operations/channel/stages", json=body, headers=editor)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


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


# --- point 11: no internal identifiers ------------------------------------------------------


class _Text(HTMLParser):
    """The text a reader sees in <main>: not the BibTeX block (a citation key is for
    software), the charts or the tags' attributes."""

    SKIPPED = ("pre", "svg", "script", "style")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.cells: list[list[str]] = []
        self._main = False
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self._main = True
        if tag in self.SKIPPED:
            self._skipping += 1
        if tag == "tr":
            self.cells.append([])
        if tag == "td" and self.cells:
            self.cells[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self._main = False
        if tag in self.SKIPPED:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if self._main and not self._skipping:
            self.parts.append(data)
            if self.cells and self.cells[-1]:
                self.cells[-1][-1] += data

    @classmethod
    def of(cls, html: str) -> "_Text":
        parser = cls()
        parser.feed(html)
        return parser

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def _identifiers(session: Session) -> set[str]:
    """Every slug of more than one word the registry holds (sources, documents, figures...)
    and every table name of more than one: none of them is a word a reader should meet."""
    found = {name for name in Base.metadata.tables if "_" in name}
    for table in Base.metadata.tables.values():
        if "slug" in table.columns:
            found |= {
                slug for (slug,) in session.execute(select(table.c.slug)) if slug and "-" in slug
            }
    return found


READABLE_PAGES = [
    "/operations/channel",
    "/operations/grom",
    "/countries/KAZ",
    "/countries/RUS",
    "/sources/mvd-ksopn-15-years-2020",
]
SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_no_page_shows_an_internal_identifier(
    client: TestClient, session: Session, stage_with_lead: int, lang: str
) -> None:
    identifiers = _identifiers(session)
    for path in [*READABLE_PAGES, f"/stages/{stage_with_lead}"]:
        text = _Text.of(client.get(f"{path}?lang={lang}").text).text
        shown = {word for word in re.findall(r"[\w-]+", text) if word in identifiers}
        assert not shown, (path, shown)
        assert not SNAKE_CASE.findall(text), (path, SNAKE_CASE.findall(text))
        assert not re.search(r"\b[a-z]+-\d+\b", text), path  # `channel-31`


def test_a_stage_names_its_lead_country(client: TestClient, stage_with_lead: int) -> None:
    page = client.get(f"/stages/{stage_with_lead}?lang=ru").text
    assert re.search(r"<dd><a href=\"/countries/KGZ\?lang=ru\">Кыргызстан</a></dd>", page), page


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_source_page_says_every_fact_it_supports(
    client: TestClient, session: Session, lang: str
) -> None:
    from app.pages import facts

    source_id = session.scalar(select(Source.id).where(Source.slug == SOURCE))
    cited = sum(
        session.scalar(select(func.count()).where(table.c.source_id == source_id)) or 0
        for table in (cls.__table__ for cls in facts.cited_tables())
    )
    parsed = _Text.of(client.get(f"/sources/{SOURCE}?lang={lang}").text)
    rows = [cells for cells in parsed.cells if len(cells) == 3]
    assert len(rows) == cited > 70
    assert all(cell.strip() for row in rows for cell in row), [r for r in rows if not r[2].strip()]
    kinds = {row[1].strip() for row in rows}
    assert not kinds & set(Base.metadata.tables)


def test_every_cited_table_reads_as_a_fact() -> None:
    from app.pages import facts

    tables = {cls.__tablename__ for cls in facts.cited_tables()}
    assert tables <= set(facts.DESCRIBERS), tables - set(facts.DESCRIBERS)


# --- point 16: operation pages ---------------------------------------------------------------


def test_an_operation_page_shows_its_objectives_and_assessments(client: TestClient) -> None:
    grom = client.get("/api/v1/operations/grom").json()
    page = _Text.of(client.get("/operations/grom").text).text
    assert len(grom["objectives"]) == 6
    for objective in grom["objectives"]:
        assert objective["summary"] in page
    channel = client.get("/api/v1/operations/channel").json()
    text = _Text.of(client.get("/operations/channel").text).text
    assert text.count("Assessed positively") == len(channel["assessments"]) > 0


def test_no_chart_link_under_no_seizure_reports(client: TestClient) -> None:
    for path in ("/operations/grom", "/countries/KAZ"):
        text = _Text.of(client.get(path).text).text
        assert "No seizure reports" in text
        assert "Chart these seizures" not in text, path
    assert "Chart these seizures" in client.get("/operations/channel").text


# --- point 13: phones ------------------------------------------------------------------------


def _cells(html: str, table_class: str) -> list[dict[str, str]]:
    """The attributes of the <td>s of the tables of class `table_class`."""
    found: list[dict[str, str]] = []

    class Cells(HTMLParser):
        inside = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found_attrs = {k: v or "" for k, v in attrs}
            if tag == "table":
                self.inside = table_class in found_attrs.get("class", "").split()
            if tag == "td" and self.inside:
                found.append(found_attrs)

    Cells().feed(html)
    return found


def test_figure_tables_are_cards_on_a_phone(client: TestClient) -> None:
    """The front page's cells, as the seizure tables' (_macros.html): a period kept on one
    line, a citation as a block, every cell named for the phone's card layout."""
    css = client.get("/assets/pages.css").text
    phone = css[css.index("@media (max-width: 40rem)") :]
    assert "table.stack td[data-label]::before" in phone
    for path in ("/", "/operations/channel"):
        cells = _cells(client.get(path).text, "stack")
        assert cells, path
        assert all(cell.get("data-label") for cell in cells), path
        classes = [cell.get("class", "") for cell in cells]
        assert "period" in classes, path
        assert "source" in classes, path


# --- point 12: navigation --------------------------------------------------------------------


def _links(html: str) -> set[str]:
    return {href.split("?")[0] for href in re.findall(r'href="([^"]+)"', html)}


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_front_page_leads_to_operations_sources_and_methods(
    client: TestClient, lang: str
) -> None:
    links = _links(client.get(f"/?lang={lang}").text)
    assert {"/operations", "/sources", "/methods"} <= links
    operations = client.get(f"/operations?lang={lang}")
    assert operations.status_code == 200
    assert {"/operations/channel", "/operations/grom"} <= _links(operations.text)
    sources = client.get(f"/sources?lang={lang}")
    assert sources.status_code == 200
    assert f"/sources/{SOURCE}" in _links(sources.text)


def test_there_is_a_favicon(client: TestClient) -> None:
    assert client.get("/favicon.ico").status_code == 200
    assert '<link rel="icon" href="/assets/favicon.svg"' in client.get("/").text
    assert client.get("/assets/favicon.svg").headers["content-type"].startswith("image/svg")


def test_the_api_root_is_an_index_of_its_collections(client: TestClient) -> None:
    response = client.get("/api/v1")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    collections = {c["name"]: c for c in response.json()["collections"]}
    assert {"operations", "stages", "seizures", "sources", "meetings", "documents"} <= set(
        collections
    )
    for item in collections.values():  # every address answers
        assert client.get(item["url"]).status_code in (200, 401), item
    assert collections["seizures"]["csv"] == "/api/v1/seizures.csv"
