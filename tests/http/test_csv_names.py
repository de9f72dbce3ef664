"""Every CSV export names things in both languages: a `_ru` column beside every `_en` one
(issue 22, point 18)."""

import csv
import io

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


def _csv_paths() -> list[str]:
    app = create_app(Settings(database_url="sqlite://"))
    paths = [path for path in app.openapi()["paths"] if path.endswith(".csv")]
    examples = {"{operation}": "channel"}
    found = []
    for path in paths:
        for placeholder, value in examples.items():
            path = path.replace(placeholder, value)
        if "totals" in path:
            path += "?group_by=year,substance,country,operation,stage"
        found.append(path)
    return found


@pytest.mark.parametrize("path", _csv_paths())
def test_every_english_name_column_has_its_russian_twin(
    client: TestClient, admin: dict[str, str], path: str
) -> None:
    response = client.get(path, headers=admin)  # the audit log's export needs an admin
    assert response.status_code == 200, response.text
    header = next(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    english = [column for column in header if column.endswith("_en")]
    missing = [c for c in english if c.removesuffix("_en") + "_ru" not in header]
    assert not missing, f"{path}: {missing}"
    for column in english:  # beside it, not somewhere else
        assert header[header.index(column) + 1] == column.removesuffix("_en") + "_ru", path
