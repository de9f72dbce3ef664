"""Every source is citable as it is: a plain citation, BibTeX and CSL-JSON; its `reference`
names the archived copy by an identifier, never by a path."""

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import column, insert, select, table
from sqlalchemy.orm import Session

from app import migrate
from app import models as m
from app.db import make_engine
from app.reference.schemas import refuse_path
from app.seeding.loader import SeedError, read_seed_file
from tests.helpers import write_seed

SUSPENDED = "/api/v1/sources/tass-uzbekistan-suspended-2012"


def _source(client: TestClient, slug: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/sources/{slug}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_a_source_gives_a_ready_citation(client: TestClient) -> None:
    citation = _source(client, "tass-uzbekistan-suspended-2012")["citation"]
    assert citation["text"] == (
        '"CSTO leaders suspend Uzbekistan\'s membership". TASS, 2012-12-19. '
        "https://tass.com/russia/687141"
    )
    assert citation["bibtex"] == (
        "@misc{tass-uzbekistan-suspended-2012,\n"
        "  title = {{CSTO leaders suspend Uzbekistan's membership}},\n"
        "  publisher = {TASS},\n"
        "  year = {2012},\n"
        "  month = dec,\n"
        "  url = {https://tass.com/russia/687141},\n"
        "}\n"
    )
    assert citation["csl_json"] == {
        "id": "tass-uzbekistan-suspended-2012",
        "type": "webpage",
        "title": "CSTO leaders suspend Uzbekistan's membership",
        "publisher": "TASS",
        "issued": {"date-parts": [[2012, 12, 19]]},
        "URL": "https://tass.com/russia/687141",
        "language": "en",
    }


def test_what_is_not_known_is_left_out(client: TestClient) -> None:
    article = _source(client, "mvd-ksopn-15-years-2020")
    assert (article["url"], article["accessed"]) == (None, None)
    citation = article["citation"]
    assert citation["text"].endswith(
        '(CSTO) is 15 years old". '
        "Ministry of Internal Affairs of the Russian Federation (official website), 2020."
    )
    assert "url" not in citation["bibtex"]
    assert "month" not in citation["bibtex"]  # known to the year only
    assert "  year = {2020},\n" in citation["bibtex"]
    csl = citation["csl_json"]
    assert csl["type"] == "document"
    assert csl["issued"] == {"date-parts": [[2020]]}
    assert not {"URL", "accessed"} & set(csl)

    undated = _source(client, "csto-member-states")["citation"]
    assert undated["text"] == (
        '"Member States of the Collective Security Treaty Organization". '
        "Collective Security Treaty Organization. https://en.odkb-csto.org/"
    )
    assert "year" not in undated["bibtex"]
    assert "issued" not in undated["csl_json"]


@pytest.fixture
def awkward_source(session: Session) -> str:
    """A source with every LaTeX special character, known to the month, and accessed."""
    session.add(
        m.Source(
            slug="awkward-source",
            title="Drugs & Crime: 100% of #1_cases {sic} cost $5 ~ ^ \\ in\n two lines",
            publisher="Office_of R&D",
            published_on=date(2012, 6, 1),
            published_precision="month",
            language="ru",
            url="https://example.org/a b{c}",
            accessed_on=date(2024, 3, 5),
            locator_scheme="none",
        )
    )
    session.flush()
    return "awkward-source"


def test_bibtex_escapes_latex_special_characters(client: TestClient, awkward_source: str) -> None:
    bibtex = _source(client, awkward_source)["citation"]["bibtex"]
    assert bibtex == (
        "@misc{awkward-source,\n"
        r"  title = {{Drugs \& Crime: 100\% of \#1\_cases \{sic\} cost \$5 "
        r"\textasciitilde{} \textasciicircum{} \textbackslash{} in two lines}},"
        "\n"
        r"  publisher = {Office\_of R\&D},"
        "\n"
        "  year = {2012},\n"
        "  month = jun,\n"
        "  url = {https://example.org/a%20b%7Bc%7D},\n"
        "  urldate = {2024-03-05},\n"
        "}\n"
    )
    depth = 0
    for char in bibtex.replace("\\{", "").replace("\\}", ""):
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0


def test_an_accessed_date_is_cited(client: TestClient, awkward_source: str) -> None:
    found = _source(client, awkward_source)
    assert found["accessed"] == "2024-03-05"
    citation = found["citation"]
    assert citation["text"].endswith(
        ". Office_of R&D, 2012-06. Accessed 2024-03-05. https://example.org/a b{c}"
    )
    assert citation["csl_json"]["issued"] == {"date-parts": [[2012, 6]]}
    assert citation["csl_json"]["accessed"] == {"date-parts": [[2024, 3, 5]]}
    assert citation["csl_json"]["language"] == "ru"


def test_the_citation_alone_as_bibtex_or_csl_json(client: TestClient) -> None:
    citation = client.get(SUSPENDED).json()["citation"]

    bibtex = client.get(SUSPENDED, params={"format": "bibtex"})
    assert bibtex.status_code == 200
    assert bibtex.headers["content-type"] == "application/x-bibtex; charset=utf-8"
    assert bibtex.text == citation["bibtex"]
    assert 'filename="tass-uzbekistan-suspended-2012.bib"' in bibtex.headers["content-disposition"]

    csl = client.get(SUSPENDED, params={"format": "csl-json"})
    assert csl.headers["content-type"] == "application/vnd.citationstyles.csl+json"
    assert csl.json() == [citation["csl_json"]]

    again = client.get(
        SUSPENDED, params={"format": "bibtex"}, headers={"If-None-Match": bibtex.headers["etag"]}
    )
    assert again.status_code == 304
    assert client.get(SUSPENDED, params={"format": "ris"}).status_code == 422


def test_the_list_cites_every_source_too(client: TestClient) -> None:
    items = client.get("/api/v1/sources").json()["items"]
    assert {item["slug"] for item in items} >= {
        "tass-uzbekistan-note-2012",
        "tass-uzbekistan-suspended-2012",
    }
    for item in items:
        assert item["citation"]["csl_json"]["id"] == item["slug"]


# -- reference: an identifier, never a path ------------------------------------------


def test_no_seeded_reference_is_a_path(client: TestClient) -> None:
    items = client.get("/api/v1/sources").json()["items"]
    references = {item["slug"]: item["reference"] for item in items}
    assert references["mvd-ksopn-15-years-2020"] == "382a7fa959d6d0c8"
    for reference in references.values():
        assert reference is None or refuse_path(reference) == reference


SOURCE_ENTRY = """
sources:
  - slug: mvd-ksopn-15-years-2020
    title: A title
    publisher: A publisher
    language: en
    reference: {reference}
    locator_scheme: paragraphs
"""


@pytest.mark.parametrize(
    "reference",
    [
        "shared/source/000_382a7fa959d6d0c8.txt",
        "/srv/archive/382a7fa959d6d0c8",
        "../shared/source/000_382a7fa959d6d0c8.txt",
        "source\\\\000.txt",
        "000_382a7fa959d6d0c8.txt",
        "~/archive",
        "C:archive",
    ],
)
def test_the_loader_refuses_a_path_as_reference(tmp_path: Path, reference: str) -> None:
    path = write_seed(tmp_path, "sources.yaml", SOURCE_ENTRY.format(reference=f'"{reference}"'))
    with pytest.raises(SeedError) as caught:
        read_seed_file(path)
    assert caught.value.file == str(path)
    assert caught.value.entry == "sources[0] (mvd-ksopn-15-years-2020).reference"
    assert "looks like a file path" in caught.value.message


@pytest.mark.parametrize("reference", ["382a7fa959d6d0c8", "ARCHIVE-2020-17", "urn:ksopn:42"])
def test_an_identifier_is_a_reference(reference: str) -> None:
    assert refuse_path(reference) == reference


def test_migration_0006_turns_the_archived_path_into_its_document_id(
    new_database: Callable[[], str],
) -> None:
    url = new_database()
    migrate.upgrade(url, "0005")
    sources = table(
        "sources",
        *(column(name) for name in ("slug", "title", "publisher", "language")),
        column("reference"),
        column("locator_scheme"),
    )
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(sources),
                [
                    _row("archived", "shared/source/000_382a7fa959d6d0c8.txt"),
                    _row("kept", "ARCHIVE-17"),
                ],
            )
        migrate.upgrade(url)
        engine.dispose()
        with engine.connect() as connection:
            rows = connection.execute(select(sources.c.slug, sources.c.reference)).all()
    finally:
        engine.dispose()
    assert dict(rows) == {"archived": "382a7fa959d6d0c8", "kept": "ARCHIVE-17"}


def _row(slug: str, reference: str) -> dict[str, str]:
    return {
        "slug": slug,
        "title": "t",
        "publisher": "p",
        "language": "en",
        "reference": reference,
        "locator_scheme": "s",
    }


def test_an_access_date_needs_a_url(tmp_path: Path) -> None:
    content = SOURCE_ENTRY.format(reference='"382a7fa959d6d0c8"') + "    accessed: 2024-03-05\n"
    path = write_seed(tmp_path, "sources.yaml", content)
    with pytest.raises(SeedError) as caught:
        read_seed_file(path)
    assert caught.value.entry == "sources[0] (mvd-ksopn-15-years-2020)"
    assert "give url" in caught.value.message


def test_a_posted_source_with_a_path_reference_is_refused(
    client: TestClient, editor: dict[str, str]
) -> None:
    source = {
        "slug": "a-path-source",
        "title": "A source",
        "publisher": "Somebody",
        "language": "en",
        "reference": "shared/source/000_382a7fa959d6d0c8.txt",
        "locator_scheme": "paragraphs",
    }
    response = client.post(
        "/api/v1/sources", json=source, headers=editor | {"Idempotency-Key": "path-source"}
    )
    assert response.status_code == 422, response.text
    assert "file path" in response.text
    assert client.get("/api/v1/sources/a-path-source").status_code == 404
