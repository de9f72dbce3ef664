"""No CSV the registry writes holds text a spreadsheet would run as a formula (OWASP: a
cell starting with =, +, -, @, a tab or a carriage return): such text is quoted with `'`,
in every column, lists included, and each element of a list too."""

import csv
import io
from typing import Any

from fastapi.testclient import TestClient

from app.http.listing import FORMULA_STARTS
from app.operations.schemas import STAGE_EXAMPLE

HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)"]


def _rows(client: TestClient, url: str, key: dict[str, str]) -> list[dict[str, str]]:
    response = client.get(url, headers=key)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def _post(client: TestClient, url: str, body: dict[str, Any], editor: dict[str, str]) -> None:
    response = client.post(url, json=body, headers=editor)
    assert response.status_code == 201, response.text


def test_an_organizations_aliases_are_inert_in_its_csv(
    client: TestClient, editor: dict[str, str]
) -> None:
    """The aliases came out as a bare formula: lists were joined after the check."""
    organization = {
        "slug": "hostile-office",
        "kind": "law_enforcement_agency",
        "name_en": "Hostile office",
        "name_ru": "Враждебное ведомство",
        "aliases_en": HOSTILE,
        "aliases_ru": ["ведомство", "=2+2"],
    }
    _post(client, "/api/v1/organizations", organization, editor)
    rows = _rows(client, "/api/v1/organizations.csv", editor)
    row = next(r for r in rows if r["slug"] == "hostile-office")
    assert row["aliases_en"] == ";".join("'" + alias for alias in HOSTILE)
    assert row["aliases_ru"] == "ведомство;'=2+2"


def test_no_csv_export_has_a_cell_or_element_a_spreadsheet_would_run(
    client: TestClient, editor: dict[str, str], admin: dict[str, str]
) -> None:
    """Hostile text in every kind of record, then every CSV the API documents."""
    source = {
        "slug": "hostile-source",
        "title": "@title",
        "publisher": "-publisher",
        "language": "en",
        "locator_scheme": "=scheme",
    }
    _post(client, "/api/v1/sources", source, editor)
    organization = {
        "slug": "hostile-office",
        "kind": "law_enforcement_agency",
        "name_en": "=name",
        "name_ru": "+имя",
        "aliases_en": HOSTILE,
        "description": "@description",
    }
    _post(client, "/api/v1/organizations", organization, editor)
    stage = {**STAGE_EXAMPLE, "name": "=stage", "description": "+1", "locator": "-1"}
    stage |= {"source": "hostile-source", "observers": [{"party": "unodc", "detail": "@unodc"}]}
    _post(client, "/api/v1/operations/channel/stages", stage, editor)
    paths = client.get("/openapi.json").json()["paths"]
    exports = [path for path in paths if path.endswith(".csv") and "{" not in path]
    assert "/api/v1/seizures/totals.csv" in exports
    assert "/api/v1/organizations.csv" in exports
    for path in exports:
        for row in _rows(client, path, admin):
            for column, cell in row.items():
                for element in [cell, *cell.split(";")]:
                    assert not element.startswith(FORMULA_STARTS), (path, column, cell)
