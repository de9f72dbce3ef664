"""Request bodies and their errors as a careful client expects them: integers as JSON Schema
counts them, one error per mistake named by one path style, messages in the client's terms
(quantities with their units, reports by their place in the body or their URL), and
If-Match headers told apart: malformed, weak, stale."""

import copy
import re
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError

from app.http.bodies import PARTY_FORMS, QUANTITY_FORMS, WriteIn
from app.operations.schemas import STAGE_EXAMPLE
from tests.helpers import PROBLEM

POST_STAGE = "/api/v1/operations/channel/stages"
CITE = {"source": "mvd-ksopn-15-years-2020", "locator": "¶8"}
# A field as every error names it: `seizures[0].parts[1].quantity.amount`.
FIELD_PATH = re.compile(r"[a-z_]+(\[\d+\])*(\.[a-z_]+(\[\d+\])*)*")


def _stage(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(STAGE_EXAMPLE)
    body.update(changes)
    return body


def _with_part_quantity(quantity: Any) -> dict[str, Any]:
    """The example stage, its second part's quantity replaced."""
    body = _stage()
    body["seizures"][0]["parts"][1]["quantity"] = quantity
    return body


def _errors(response: Any, status: int = 422) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    errors: list[dict[str, Any]] = response.json()["errors"]
    return errors


def _only_error(response: Any, status: int = 422) -> dict[str, Any]:
    errors = _errors(response, status)
    assert len(errors) == 1, errors
    return errors[0]


def _edit(client: TestClient, editor: dict[str, str], url: str) -> dict[str, str]:
    return {**editor, "If-Match": client.get(url).headers["etag"]}


@pytest.fixture
def stage(client: TestClient, editor: dict[str, str]) -> dict[str, Any]:
    """The documented example, posted: a total of "more than 2 t 500 kg" whose parts are
    hashish, 1 t 200 kg, and heroin, 85.5 kg."""
    response = client.post(POST_STAGE, json=_stage(), headers=editor)
    assert response.status_code == 201, response.text
    posted: dict[str, Any] = response.json()
    return posted


# -- integers as JSON Schema counts them ----------------------------------------------------


def test_whole_numbers_written_as_floats_are_integers(
    client: TestClient, editor: dict[str, str]
) -> None:
    body = _stage(number=235.0)
    body["seizures"][0]["cases"] = 120.0
    response = client.post(POST_STAGE, json=body, headers=editor)
    assert response.status_code == 201, response.text
    assert response.json()["number"] == 235
    assert response.json()["seizures"][0]["cases"] == 120


# None is no longer refused: a stage whose number no source states has none (issue 23).
@pytest.mark.parametrize("number", ["235", True, 235.5, 0.0, 2.0**31, [235]])
def test_other_numbers_are_still_refused(
    client: TestClient, editor: dict[str, str], number: Any
) -> None:
    error = _only_error(client.post(POST_STAGE, json=_stage(number=number), headers=editor))
    assert (error["name"], error["in"]) == ("number", "body")


def test_a_fraction_is_named_as_one(client: TestClient, editor: dict[str, str]) -> None:
    error = _only_error(client.post(POST_STAGE, json=_stage(number=31.5), headers=editor))
    assert "fractional part" in error["message"]


def test_integral_floats_everywhere_a_body_takes_an_integer(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any]
) -> None:
    figure = {
        **CITE,
        "slug": "channel-stages-2021",
        "metric": "stages_carried_out",
        "operation": "channel",
        "value": 31.0,
        "unit": "stages",
        "as_reported": "31",
        "as_of": {"date": "2021-01-01", "precision": "year"},
    }
    made = client.post("/api/v1/reported-figures", json=figure, headers=editor)
    assert made.status_code == 201, made.text
    assert made.json()["value"] == 31

    report = f"/api/v1/seizures/{stage['seizures'][1]['id']}"
    patched = client.patch(report, json={"cases": 7.0}, headers=_edit(client, editor, report))
    assert patched.status_code == 200, patched.text
    assert patched.json()["cases"] == 7


def _write_models() -> Iterator[type[BaseModel]]:
    pending: list[type[BaseModel]] = [WriteIn]
    while pending:
        model = pending.pop()
        yield model
        pending += model.__subclasses__()


def _integer_fields() -> Iterator[tuple[str, TypeAdapter[Any], dict[str, Any]]]:
    """(model.field, its validator, its JSON schema) of every integer of every request body."""
    for model in _write_models():
        for name, field in model.model_fields.items():
            typed: Any = Annotated[field.annotation, field]
            adapter: TypeAdapter[Any] = TypeAdapter(typed)
            schema = adapter.json_schema()
            integer = next(
                (kind for kind in schema.get("anyOf", [schema]) if kind.get("type") == "integer"),
                None,
            )
            if integer is not None:
                yield f"{model.__name__}.{name}", adapter, integer


def test_every_integer_of_every_body_takes_an_integral_float() -> None:
    """Each integer field is built on WholeNumber: a new one that is not fails here."""
    fields = list(_integer_fields())
    assert {"StageCreate.number", "SeizureIn.cases", "FigureCreate.value"} <= {
        name for name, _, _ in fields
    }
    for name, adapter, schema in fields:
        least = schema.get("minimum", 0)
        assert adapter.validate_python(float(least)) == least, name
        for wrong in ("1", True, least + 0.5):
            with pytest.raises(ValidationError):
                adapter.validate_python(wrong)


def test_integer_bounds_are_documented_in_json_schema_terms(client: TestClient) -> None:
    """`minimum`/`maximum`, never pydantic's own `ge`/`le` (which a bound set on a type
    with a validator of its own would be documented as)."""

    def keys(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                if key != "properties":  # a property may be called anything
                    yield from keys(value)
                else:
                    for each in value.values():
                        yield from keys(each)
        elif isinstance(node, list):
            for item in node:
                yield from keys(item)

    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert not {"ge", "le", "gt", "lt"} & set(keys(schemas))


@pytest.mark.parametrize(("limit", "status"), [("2", 200), ("2.0", 200), ("2.5", 422)])
def test_query_integers_read_as_body_integers_do(
    client: TestClient, limit: str, status: int
) -> None:
    response = client.get(f"/api/v1/seizures?limit={limit}")
    assert response.status_code == status, response.text
    if status == 200:
        assert len(response.json()["items"]) == 2
    else:
        assert _only_error(response)["name"] == "limit"


# -- one error per mistake, one path style ---------------------------------------------------


def test_a_negative_amount_is_one_error_at_the_amount(
    client: TestClient, editor: dict[str, str]
) -> None:
    body = _with_part_quantity({"amount": -1, "unit": "kg"})
    error = _only_error(client.post(POST_STAGE, json=body, headers=editor))
    assert error["name"] == "seizures[0].parts[1].quantity.amount"
    assert error["in"] == "body"
    assert "greater than or equal to 0" in error["message"]


@pytest.mark.parametrize("quantity", [5, True, None, ["1 kg"], 2.5])
def test_a_quantity_of_neither_form_lists_the_forms(
    client: TestClient, editor: dict[str, str], quantity: Any
) -> None:
    body = _with_part_quantity(quantity)
    error = _only_error(client.post(POST_STAGE, json=body, headers=editor))
    assert error["name"] == "seizures[0].parts[1].quantity"
    assert error["message"] == QUANTITY_FORMS


@pytest.mark.parametrize("phrase", ["lots", "5", "about"])
def test_an_unreadable_phrase_lists_the_forms(
    client: TestClient, editor: dict[str, str], phrase: str
) -> None:
    error = _only_error(client.post(POST_STAGE, json=_with_part_quantity(phrase), headers=editor))
    assert error["name"] == "seizures[0].parts[1].quantity"
    assert QUANTITY_FORMS in error["message"]


def test_a_bad_phrase_is_one_error_in_the_string_forms_terms(
    client: TestClient, editor: dict[str, str]
) -> None:
    error = _only_error(client.post(POST_STAGE, json=_with_part_quantity(""), headers=editor))
    assert error["name"] == "seizures[0].parts[1].quantity"
    assert "at least 1 character" in error["message"]
    too_long = _only_error(
        client.post(POST_STAGE, json=_with_part_quantity("1 kg " * 30), headers=editor)
    )
    assert "at most 100 characters" in too_long["message"]


@pytest.mark.parametrize("party", [5, None, True, ["KAZ"]])
def test_a_party_of_neither_form_lists_the_forms(
    client: TestClient, editor: dict[str, str], party: Any
) -> None:
    body = _stage(participants=["KAZ", party])
    error = _only_error(client.post(POST_STAGE, json=body, headers=editor))
    assert error == {"name": "participants[1]", "in": "body", "message": PARTY_FORMS}


def test_a_party_object_names_its_own_field(client: TestClient, editor: dict[str, str]) -> None:
    body = _stage(observers=[{"party": "unodc", "detail": ""}])
    error = _only_error(client.post(POST_STAGE, json=body, headers=editor))
    assert error["name"] == "observers[0].detail"
    event = {
        **CITE,
        "slug": "expo-2021",
        "kind": "exhibition",
        "name_en": "Anti-drug expo",
        "start_on": "2021-03-01",
        "organizers": [{"party": ""}],
    }
    refused = client.post("/api/v1/events", json=event, headers=editor)
    assert _only_error(refused)["name"] == "organizers[0].party"


def test_pydantic_and_the_write_path_name_fields_alike(
    client: TestClient, editor: dict[str, str]
) -> None:
    """The same part's field, refused by its form (pydantic) and by the registry (no such
    substance): one path style."""
    malformed = _stage()
    malformed["seizures"][0]["parts"][1]["period_start"] = "2021-5-1"
    unknown = _stage()
    unknown["seizures"][0]["parts"][1]["substance"] = "no-such-drug"
    names = [
        _only_error(client.post(POST_STAGE, json=body, headers=editor))["name"]
        for body in (malformed, unknown)
    ]
    assert names == ["seizures[0].parts[1].period_start", "seizures[0].parts[1].substance"]


def test_many_mistakes_are_each_named_once(client: TestClient, editor: dict[str, str]) -> None:
    body = _with_part_quantity({"amount": -1, "unit": ""})
    body["participants"] = [7]
    body["number"] = "31"
    errors = _errors(client.post(POST_STAGE, json=body, headers=editor))
    assert sorted(error["name"] for error in errors) == [
        "number",
        "participants[0]",
        "seizures[0].parts[1].quantity.amount",
        "seizures[0].parts[1].quantity.unit",
    ]
    assert all(FIELD_PATH.fullmatch(error["name"]) for error in errors), errors


def test_a_patch_names_the_object_forms_field(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any]
) -> None:
    report = f"/api/v1/seizures/{stage['seizures'][2]['id']}"
    refused = client.patch(
        report,
        json={"quantity": {"amount": 1, "unit": "kg", "extra": 1}},
        headers=_edit(client, editor, report),
    )
    assert _only_error(refused)["name"] == "quantity.extra"


def test_the_schema_still_offers_both_forms(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    quantity = schemas["SeizureIn"]["properties"]["quantity"]["anyOf"]
    assert {"type": "string", "minLength": 1, "maxLength": 100} in quantity
    assert {"$ref": "#/components/schemas/AmountIn"} in quantity
    party = schemas["StageCreate"]["properties"]["participants"]["items"]["anyOf"]
    assert {"$ref": "#/components/schemas/PartyIn"} in party
    assert {"type": "string", "minLength": 1, "maxLength": 100} in party


# -- messages in the client's terms ----------------------------------------------------------


def test_parts_over_their_total_are_told_in_units(
    client: TestClient, editor: dict[str, str]
) -> None:
    error = _only_error(client.post(POST_STAGE, json=_with_part_quantity("3 t"), headers=editor))
    assert error["name"] == "seizures[0]"
    assert error["message"] == (
        "the parts of seizures[0] add up to 4,200 kg, more than its 2,500 kg "
        "('more than 2 t 500 kg')"
    )


def test_a_part_is_named_by_its_place_in_the_body(
    client: TestClient, editor: dict[str, str]
) -> None:
    error = _only_error(client.post(POST_STAGE, json=_with_part_quantity("3 l"), headers=editor))
    assert error["message"].startswith("seizures[0].parts[1] is a volume figure ('3 l')")
    assert not re.search(r"\b(part|report) \d", error["message"])


def test_the_parts_of_a_single_report_are_named_in_its_body(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any]
) -> None:
    report = {
        **CITE,
        "substance": "opioids",
        "quantity": "1 kg",
        "parts": [
            {"substance": "heroin", "quantity": "600 g"},
            {"substance": "opium", "quantity": "1 l"},
        ],
    }
    response = client.post(f"/api/v1/stages/{stage['id']}/seizures", json=report, headers=editor)
    error = _only_error(response)
    assert error["name"] == "parts"
    assert error["message"].startswith("parts[1] is a volume figure ('1 l')")


def test_stored_reports_are_named_by_their_urls(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any]
) -> None:
    total, hashish, heroin = stage["seizures"]
    part = {**CITE, "parent_id": total["id"], "substance": "opium", "quantity": "2 t"}
    added = client.post(f"/api/v1/stages/{stage['id']}/seizures", json=part, headers=editor)
    error = _only_error(added)
    assert error["name"] == "parent_id"
    assert error["message"] == (
        f"the parts of /api/v1/seizures/{total['id']} add up to 3,285.5 kg, more than its "
        "2,500 kg ('more than 2 t 500 kg')"
    )

    url = f"/api/v1/seizures/{heroin['id']}"
    liquid = client.patch(url, json={"quantity": "5 l"}, headers=_edit(client, editor, url))
    message = _only_error(liquid)["message"]
    assert message.startswith("this report is a volume figure ('5 l')")
    assert str(hashish["id"]) not in message


def test_a_report_with_parts_is_not_deleted_by_its_id(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any]
) -> None:
    url = f"/api/v1/seizures/{stage['seizures'][0]['id']}"
    refused = client.delete(url, headers=_edit(client, editor, url))
    assert refused.status_code == 409
    assert refused.json()["detail"] == "the report has parts; delete them first"


# -- a period that ends before it starts names its end, posted or patched -------------------


def test_a_reversed_period_names_its_end(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any]
) -> None:
    posted = client.post(POST_STAGE, json=_stage(number=32, end_on="2021-05-01"), headers=editor)
    assert _only_error(posted) == {
        "name": "end_on",
        "in": "body",
        "message": "the period ends before it starts",
    }
    url = f"/api/v1/stages/{stage['id']}"
    patched = client.patch(url, json={"end_on": "2021-05-01"}, headers=_edit(client, editor, url))
    assert _only_error(patched) == _only_error(posted)


def test_a_reversed_report_period_names_its_end(client: TestClient, editor: dict[str, str]) -> None:
    body = _stage()
    body["seizures"][0]["parts"][0].update(period_start="2021-05-20", period_end="2021-05-11")
    error = _only_error(client.post(POST_STAGE, json=body, headers=editor))
    assert error["name"] == "seizures[0].parts[0].period_end"
    assert error["message"] == "the period ends before it starts"


# -- If-Match ---------------------------------------------------------------------------------


def test_an_etag_without_its_quotes_is_malformed_not_stale(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any]
) -> None:
    url = f"/api/v1/stages/{stage['id']}"
    etag = client.get(url).headers["etag"]
    for header in (etag.strip('"'), f'"{etag.strip(chr(34))}', f"{etag} {etag}", "*, " + etag):
        response = client.patch(
            url, json={"name": "renamed"}, headers={**editor, "If-Match": header}
        )
        error = _only_error(response, 400)
        assert error == {"name": "If-Match", "in": "header", "message": "malformed"}
        assert "quotes included" in response.json()["detail"]
    assert client.get(url).json()["name"] == STAGE_EXAMPLE["name"]


def test_a_weak_etag_is_told_apart_from_a_stale_one(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any]
) -> None:
    url = f"/api/v1/stages/{stage['id']}"
    etag = client.get(url).headers["etag"]
    weak = client.patch(url, json={"name": "renamed"}, headers={**editor, "If-Match": f"W/{etag}"})
    assert _only_error(weak, 412)["message"] == "weak"
    assert "compares ETags strongly" in weak.json()["detail"]
    assert weak.json()["current_etag"]

    stale = client.patch(url, json={"name": "renamed"}, headers={**editor, "If-Match": '"0"'})
    assert _only_error(stale, 412)["message"] == "stale"
    assert stale.json()["detail"] != weak.json()["detail"]


@pytest.mark.parametrize("header", ["{etag}", " {etag} ", '"0", {etag}', 'W/"0",{etag}', "*"])
def test_a_well_formed_if_match_naming_the_etag_is_accepted(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any], header: str
) -> None:
    url = f"/api/v1/stages/{stage['id']}"
    etag = client.get(url).headers["etag"]
    response = client.patch(
        url, json={"name": "renamed"}, headers={**editor, "If-Match": header.format(etag=etag)}
    )
    assert response.status_code == 200, response.text
