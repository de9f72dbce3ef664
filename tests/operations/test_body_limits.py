"""The limits of a write body: how deep parts nest, how many parts a report has, how many
reports one body holds; and that no nesting of a body, in any field, is a 500."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.http.schemas import has_nul
from app.operations.schemas import STAGE_EXAMPLE
from app.seizures.schemas import MAX_PART_DEPTH, MAX_PARTS, MAX_REPORTS
from tests.helpers import PROBLEM

POST_STAGE = "/api/v1/operations/channel/stages"


def _nested(levels: int, grams: int = 1000) -> dict[str, Any]:
    """A report with `levels` levels of parts below it, one part a level, each smaller."""
    report: dict[str, Any] = {"substance": "heroin", "quantity": f"{grams} g"}
    for level in range(levels):
        report = {"substance": "heroin", "quantity": f"{grams + level + 1} g", "parts": [report]}
    return report


def _stage(**changes: Any) -> dict[str, Any]:
    return {**STAGE_EXAMPLE, **changes}


def _post(client: TestClient, editor: dict[str, str], body: Any) -> Any:
    return client.post(POST_STAGE, json=body, headers=editor)


def _only_error(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    errors: list[dict[str, Any]] = response.json()["errors"]
    assert len(errors) == 1, errors
    return errors[0]


def test_parts_nested_to_the_limit_are_posted(client: TestClient, editor: dict[str, str]) -> None:
    response = _post(client, editor, _stage(seizures=[_nested(MAX_PART_DEPTH)]))
    assert response.status_code == 201, response.text
    assert len(response.json()["seizures"]) == MAX_PART_DEPTH + 1


@pytest.mark.parametrize("levels", [MAX_PART_DEPTH + 1, 160, 400])
def test_parts_nested_deeper_are_refused_naming_the_limit_and_the_part(
    client: TestClient, editor: dict[str, str], levels: int
) -> None:
    """160 levels (9 KB) were a 500 and a reset connection: the check for NUL characters
    recursed through the body and ran out of stack."""
    error = _only_error(_post(client, editor, _stage(seizures=[_nested(levels)])))
    assert error["name"] == "seizures[0]" + ".parts[0]" * (MAX_PART_DEPTH + 1)
    assert f"at most {MAX_PART_DEPTH} levels" in error["message"]


def test_a_part_added_below_the_deepest_level_is_refused(
    client: TestClient, editor: dict[str, str]
) -> None:
    stage = _post(client, editor, _stage(seizures=[_nested(MAX_PART_DEPTH)])).json()
    parents = {report["parent_id"] for report in stage["seizures"]}
    deepest = next(report for report in stage["seizures"] if report["id"] not in parents)
    part = {"source": "mvd-ksopn-15-years-2020", "locator": "¶8", "substance": "heroin"}
    response = client.post(
        f"/api/v1/stages/{stage['id']}/seizures",
        json={**part, "quantity": "1 g", "parent_id": deepest["id"]},
        headers=editor,
    )
    error = _only_error(response)
    assert error["name"] == "parent_id"
    assert f"at most {MAX_PART_DEPTH} levels" in error["message"]


def test_more_reports_than_the_limit_are_refused_naming_it(
    client: TestClient, editor: dict[str, str]
) -> None:
    """The limit counts parts too: a body of 20 reports of 50 parts each is 1,020 reports."""
    part = {"substance": "heroin", "quantity": "1 g"}
    report = {"substance": "heroin", "quantity": "1 kg", "parts": [part] * MAX_PARTS}
    count = 20 * (MAX_PARTS + 1)
    assert count > MAX_REPORTS
    error = _only_error(_post(client, editor, _stage(seizures=[report] * 20)))
    assert error["name"] == "seizures"
    assert f"at most {MAX_REPORTS} seizure reports" in error["message"]
    assert str(count) in error["message"]


def test_more_parts_than_the_limit_are_refused_naming_it(
    client: TestClient, editor: dict[str, str]
) -> None:
    part = {"substance": "heroin", "quantity": "1 g"}
    report = {"substance": "heroin", "quantity": "1 kg", "parts": [part] * (MAX_PARTS + 1)}
    error = _only_error(_post(client, editor, _stage(seizures=[report])))
    assert error["name"] == "seizures[0].parts"
    assert f"at most {MAX_PARTS}" in error["message"]


def _deep(levels: int, kind: str) -> str:
    return "[" * levels + "]" * levels if kind == "list" else '{"a": ' * levels + "1" + "}" * levels


@pytest.mark.parametrize("kind", ["list", "object"])
@pytest.mark.parametrize(
    "template",
    [
        '{"number": 90, "source": "s", "locator": "x", "name": %s}',
        '{"number": 90, "source": "s", "locator": "x", "participants": %s}',
        '{"number": 90, "source": "s", "locator": "x", "seizures": %s}',
        '{"number": 90, "source": "s", "locator": "x", '
        '"seizures": [{"substance": "heroin", "quantity": %s}]}',
    ],
)
@pytest.mark.parametrize("levels", [600, 10_000])
def test_a_body_nested_deep_in_any_field_is_a_client_error(
    client: TestClient, editor: dict[str, str], template: str, kind: str, levels: int
) -> None:
    """600 levels were a 500 in any field (the NUL check's recursion); 10,000 are more than
    the JSON parser reads, a 400 that says so."""
    response = client.post(
        POST_STAGE,
        content=template % _deep(levels, kind),
        headers={**editor, "Content-Type": "application/json", "Idempotency-Key": "deep"},
    )
    assert response.status_code in (400, 422), response.text
    if response.status_code == 400:
        assert "nests" in response.json()["detail"]


def test_the_nul_check_reads_any_depth() -> None:
    deep: Any = "\x00"
    for _ in range(100_000):
        deep = [deep]
    assert has_nul(deep)
    assert not has_nul({"a": [[["text"]]] * 3})


def test_the_limits_are_in_the_openapi_document(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    seizures = schemas["StageCreate"]["properties"]["seizures"]
    assert seizures["maxItems"] == MAX_REPORTS
    assert f"at most {MAX_REPORTS} reports in all, parts included" in seizures["description"]
    parts = schemas["SeizureIn"]["properties"]["parts"]
    assert parts["maxItems"] == MAX_PARTS
    assert f"nested at most {MAX_PART_DEPTH} levels" in parts["description"]
