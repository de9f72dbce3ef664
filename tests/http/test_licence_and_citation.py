"""The registry says under what terms its code and data may be used, and how to cite it
(issue 24): LICENSE for the code, CITATION.cff for the registry, the data's licence in the
OpenAPI document's `info`."""

import tomllib

import yaml
from fastapi.testclient import TestClient

from app import PROJECT_DIR


def test_the_openapi_document_names_the_data_licence(client: TestClient) -> None:
    licence = client.get("/openapi.json").json()["info"]["license"]
    assert licence == {"name": "CC BY 4.0 (the data)", "identifier": "CC-BY-4.0"}


def test_the_code_has_a_licence() -> None:
    text = (PROJECT_DIR / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Permission is hereby granted" in text


def test_the_citation_file_cites_this_version_under_the_data_licence() -> None:
    citation = yaml.safe_load((PROJECT_DIR / "CITATION.cff").read_text(encoding="utf-8"))
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    assert citation["type"] == "dataset"
    assert citation["license"] == "CC-BY-4.0"
    assert citation["version"] == project["project"]["version"]
    assert all(author.get("name") for author in citation["authors"])
    assert citation["title"].startswith("KSOPN registry")
    assert "cite" in citation["message"]
