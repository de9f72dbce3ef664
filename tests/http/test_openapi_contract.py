"""The OpenAPI document says what the server does, in the terms generated clients read
(app/http/contract.py): stable operation names, conditional reads and the headers sent,
one media type per operation, enums in answers as in requests, security only where a key
is needed, typed problems, and an order and examples a reader of the docs can follow."""

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from app.http.contract import PATH_EXAMPLES, TAGS
from app.main import create_app
from app.operations.schemas import STAGE_EXAMPLE
from app.settings import Settings

POST_STAGE = "/api/v1/operations/channel/stages"
CAMEL_CASE = re.compile(r"[a-z]+(?:[A-Z0-9][a-z0-9]*)*")
JSON = "application/json"
DOWNLOADS = {"csv": "text/csv", "ndjson": "application/x-ndjson"}
# Headers the server sets that a client acts on: each one sent must be documented there.
ACTED_ON = (
    "etag",
    "last-modified",
    "link",
    "location",
    "idempotent-replayed",
    "content-disposition",
)


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _gets(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, method, operation in _operations(spec):
        if method == "get" and path.startswith("/api/"):
            yield path, operation


def _resolve(spec: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in value:
        *_, kind, name = value["$ref"].split("/")
        value = spec["components"][kind][name]
    return value


def _parameters(operation: dict[str, Any], where: str = "query") -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == where}


def _url(path: str, values: dict[str, Any]) -> str:
    return path.format(**{name: values[name] for name in re.findall(r"{(\w+)}", path)})


# -- 1. operation names ----------------------------------------------------------------


def test_every_operation_has_a_readable_name_of_its_own(spec: dict[str, Any]) -> None:
    names = [operation["operationId"] for _, _, operation in _operations(spec)]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    for name in names:
        assert CAMEL_CASE.fullmatch(name), name  # FastAPI's own are `list_api_v1_..._get`
    assert {
        "listSeizures", "getSeizure", "getSeizureTotals", "postStage", "patchStage",
        "deleteStage", "listStages", "listOperationStages", "addSeizure", "addParticipation",
        "getParticipation", "readAuditLog", "getHealth", "getMemberStates", "getSubstanceTree",
        "exportSeizuresCsv", "exportSeizuresNdjson", "exportSeizureTotalsCsv",
    } <= set(names)  # fmt: skip


# -- 2. conditional reads and the headers sent -------------------------------------------


def test_every_read_under_the_api_is_documented_as_conditional(spec: dict[str, Any]) -> None:
    for path, operation in _gets(spec):
        assert "If-None-Match" in _parameters(operation, "header"), path
        not_modified = operation["responses"]["304"]
        assert "content" not in not_modified, path
        assert {"ETag", "Cache-Control", "Vary"} <= set(not_modified["headers"]), path
        assert "ETag" in operation["responses"]["200"]["headers"], path
    assert "304" not in spec["paths"]["/healthz"]["get"]["responses"]


def test_headers_are_declared_once_and_referred_to(spec: dict[str, Any]) -> None:
    headers = spec["components"]["headers"]
    assert {"ETag", "Link", "Location", "Idempotent-Replayed", "Retry-After"} <= set(headers)
    assert {"WWW-Authenticate", "Vary", "Cache-Control", "Content-Disposition"} <= set(headers)
    for path, method, operation in _operations(spec):
        for status, response in operation["responses"].items():
            for name, header in response.get("headers", {}).items():
                assert header == {"$ref": f"#/components/headers/{name}"}, (method, path)
            declared = set(response.get("headers", {}))
            if status == "201":
                assert "Location" in declared, (method, path)
                takes_key = "Idempotency-Key" in _parameters(operation, "header")
                assert ("Idempotent-Replayed" in declared) == takes_key, (method, path)
            if status in ("429", "503"):
                assert "Retry-After" in declared, (method, path, status)
            if status == "401":
                assert "WWW-Authenticate" in declared, (method, path)
            if method == "get" and status == "200":
                paged = "cursor" in _parameters(operation)
                assert ("Link" in declared) == paged, path


@pytest.fixture
def path_values(
    client: TestClient, editor: dict[str, str], admin: dict[str, str], tmp_path: Path
) -> dict[str, Any]:
    """A record for every path parameter: the seed's, the example stage, posted, and a
    release, made (its files in a folder of the test's)."""
    posted = client.post(POST_STAGE, json=STAGE_EXAMPLE, headers=editor)
    assert posted.status_code == 201, posted.text
    stage = posted.json()
    reported = client.post(
        "/api/v1/error-reports", json={"page": "/", "what_is_wrong": "A figure is wrong."}
    )
    assert reported.status_code == 202, reported.text
    app: Any = client.app
    app.state.settings = app.state.settings.model_copy(update={"releases_dir": tmp_path})
    release = {"version": "1.0.0", "note": "A release for the contract's tests."}
    made = client.post("/api/v1/releases", json=release, headers=admin)
    assert made.status_code == 201, made.text
    return PATH_EXAMPLES | {
        "error_report_id": reported.json()["id"],
        "stage_id": stage["id"],
        "participation_id": stage["participants"][0]["id"],
        "meeting_id": 1,  # none is seeded: its 404 is a problem, not a read
        "version": "1.0.0",
        "file": "datapackage.json",
    }


def test_every_read_sends_an_etag_and_answers_304_to_it(
    client: TestClient, spec: dict[str, Any], path_values: dict[str, Any], admin: dict[str, str]
) -> None:
    checked = 0
    for path, operation in _gets(spec):
        url = _url(path, path_values)
        first = client.get(url, headers=admin)
        if first.status_code == 404:
            continue
        assert first.status_code == 200, (url, first.text)
        _assert_headers_documented(spec, operation, first)
        again = client.get(url, headers={**admin, "If-None-Match": first.headers["etag"]})
        assert again.status_code == 304, url
        assert again.content == b""
        _assert_headers_documented(spec, operation, again)
        checked += 1
    assert checked > 60


def _assert_headers_documented(
    spec: dict[str, Any], operation: dict[str, Any], response: Any
) -> None:
    """Every header the response must carry is there, and every one a client acts on that
    it carries is documented."""
    documented = operation["responses"][str(response.status_code)].get("headers", {})
    for name, header in documented.items():
        if _resolve(spec, header)["required"]:
            assert name.lower() in response.headers, (response.url, name)
    declared = {name.lower() for name in documented}
    for name in ACTED_ON:
        if name in response.headers:
            assert name in declared, (response.url, response.status_code, name)


def test_a_write_answers_with_the_headers_it_documents(
    client: TestClient, spec: dict[str, Any], editor: dict[str, str]
) -> None:
    post = spec["paths"]["/api/v1/operations/{operation}/stages"]["post"]
    headers = {**editor, "Idempotency-Key": str(uuid.uuid4())}
    created = client.post(POST_STAGE, json=STAGE_EXAMPLE, headers=headers)
    assert created.status_code == 201, created.text
    _assert_headers_documented(spec, post, created)
    replayed = client.post(POST_STAGE, json=STAGE_EXAMPLE, headers=headers)
    assert replayed.headers["idempotent-replayed"] == "true"
    _assert_headers_documented(spec, post, replayed)

    location = created.headers["location"]
    patch = spec["paths"]["/api/v1/stages/{stage_id}"]["patch"]
    changed = client.patch(
        location, json={"name": "Channel - Almaty"}, headers={**editor, "If-Match": "*"}
    )
    assert changed.status_code == 200, changed.text
    _assert_headers_documented(spec, patch, changed)
    refused = client.post(POST_STAGE, json=STAGE_EXAMPLE)
    assert refused.status_code == 401
    _assert_headers_documented(spec, post, refused)


# -- 3. one media type per operation: the downloads have URLs of their own ---------------


def test_a_list_answers_json_and_its_downloads_have_their_own_operations(
    spec: dict[str, Any],
) -> None:
    lists = [(path, op) for path, op in _gets(spec) if "cursor" in _parameters(op)]
    assert len(lists) == 19
    for path, operation in lists:
        assert set(operation["responses"]["200"]["content"]) == {JSON}, path
        assert "format" not in _parameters(operation), path
        assert ".csv" in operation["description"], path
        filters = _parameters(operation) - {"limit", "cursor", "count"}
        for extension, media_type in DOWNLOADS.items():
            export = spec["paths"][f"{path}.{extension}"]["get"]
            assert export["operationId"].startswith("export"), path
            assert export["operationId"].endswith(extension.capitalize()), path
            assert _parameters(export) == filters, path
            ok = export["responses"]["200"]
            assert set(ok["content"]) == {media_type}, path
            assert ok["content"][media_type]["schema"] == {"type": "string"}, path
            assert "Content-Disposition" in ok["headers"], path
    totals = spec["paths"]["/api/v1/seizures/totals.csv"]["get"]
    assert totals["operationId"] == "exportSeizureTotalsCsv"
    assert set(totals["responses"]["200"]["content"]) == {"text/csv"}
    page = spec["paths"]["/api/v1/seizures/totals"]["get"]["responses"]["200"]["content"]
    assert set(page) == {JSON}


@pytest.mark.parametrize(
    ("url", "same_as"),
    [
        ("/api/v1/seizures.csv?year=2018", "/api/v1/seizures?year=2018&format=csv"),
        ("/api/v1/seizures.ndjson?year=2018", "/api/v1/seizures?year=2018&format=ndjson"),
        ("/api/v1/countries.csv?q=kyrgyz", "/api/v1/countries?q=kyrgyz&format=csv"),
        (
            "/api/v1/seizures/totals.csv?year=2018&group_by=substance",
            "/api/v1/seizures/totals?year=2018&group_by=substance&format=csv",
        ),
    ],
)
def test_a_download_url_gives_what_format_gives(client: TestClient, url: str, same_as: str) -> None:
    download, negotiated = client.get(url), client.get(same_as)
    assert download.status_code == negotiated.status_code == 200, download.text
    assert download.content == negotiated.content
    assert download.headers["content-type"] == negotiated.headers["content-type"]
    assert download.headers["content-disposition"] == negotiated.headers["content-disposition"]


def test_accept_still_picks_a_download_on_the_list(client: TestClient) -> None:
    response = client.get("/api/v1/countries", headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize(
    "query", ["format=csv", "format=json", "limit=5", "cursor=x", "count=true"]
)
def test_a_download_refuses_what_only_a_page_takes(client: TestClient, query: str) -> None:
    response = client.get(f"/api/v1/seizures.csv?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["name"] == query.split("=")[0]


def test_the_audit_log_download_needs_an_admin_key(
    client: TestClient, editor: dict[str, str], admin: dict[str, str]
) -> None:
    assert client.get("/api/v1/audit.csv").status_code == 401
    assert client.get("/api/v1/audit.csv", headers=editor).status_code == 403
    assert client.get("/api/v1/audit.ndjson", headers=admin).status_code == 200


# -- 4. enums in answers as in requests ---------------------------------------------------

ENUM_FIELDS = [
    ("SeizureOut", "qualifier", "Qualifier"),
    ("SeizureOut", "unit_kind", "UnitKind"),
    ("TotalLine", "qualifier", "Qualifier"),
    ("TotalLine", "unit_kind", "UnitKind"),
    ("FuzzyDate", "precision", "DatePrecision"),
    ("ParticipationOut", "role", "Role"),
    ("ParticipationOut", "regularity", "Regularity"),
    ("PartyOut", "kind", "PartyKind"),
    ("OperationOut", "kind", "OperationKind"),
    ("OrganizationOut", "kind", "OrganizationKind"),
    ("MemberStateOut", "status", "MembershipStatus"),
    ("DocumentOut", "kind", "DocumentKind"),
    ("DocumentOut", "status", "DocumentStatus"),
    ("DocumentOut", "body_relation", "BodyRelation"),
    ("EventOut", "date_precision", "DatePrecision"),
    ("ReportedFigureOut", "qualifier", "Qualifier"),
    ("FigureRef", "qualifier", "Qualifier"),
    ("AssessmentOut", "assessor_kind", "AssessorKind"),
    ("AuditEntryOut", "action", "AuditAction"),
]


@pytest.mark.parametrize(("model", "field", "enum"), ENUM_FIELDS)
def test_answers_name_the_enums_requests_take(
    spec: dict[str, Any], model: str, field: str, enum: str
) -> None:
    schema = spec["components"]["schemas"][model]["properties"][field]
    refs = [each.get("$ref") for each in [schema, *schema.get("anyOf", [])]]
    assert f"#/components/schemas/{enum}" in refs, schema


# -- 5. a key only where one is needed -----------------------------------------------------


def test_public_reads_declare_no_security_and_writes_a_bearer_key(spec: dict[str, Any]) -> None:
    for path, method, operation in _operations(spec):
        responses = operation["responses"]
        # Anyone may report an error (POST /error-reports); staff read the reports.
        public_write = (method, path) == ("post", "/api/v1/error-reports")
        staff_read = path.startswith(("/api/v1/audit", "/api/v1/error-reports"))
        if (method != "get" and not public_write) or (method == "get" and staff_read):
            assert operation["security"] == [{"HTTPBearer": []}], (method, path)
            assert {"401", "403"} <= set(responses), (method, path)
        else:
            assert operation["security"] == [], (method, path)  # stated: none
            assert "403" not in responses, path
    assert "security" not in spec  # no requirement for the whole API


def test_reads_that_need_a_key_declare_it(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, require_key_for_reads=True))
    spec = app.openapi()
    for path, operation in _gets(spec):
        assert operation["security"] == [{"HTTPBearer": []}], path
        assert "401" in operation["responses"], path
    assert spec["paths"]["/healthz"]["get"]["security"] == []


# -- 6. typed problems ---------------------------------------------------------------------


def test_problems_document_their_errors_and_extension_members(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert problem["additionalProperties"] is True
    items = _resolve(spec, problem["properties"]["errors"]["items"])
    assert set(items["required"]) == {"name", "in", "message"}
    members = {"existing", "current_etag", "max_body_bytes", "retry_after", "parts"}
    assert members <= set(problem["properties"])
    assert not members & set(problem["required"])
    for member in members:
        assert "null" not in str(problem["properties"][member]), member


def test_problems_the_server_sends_are_valid_problems(
    client: TestClient, spec: dict[str, Any], editor: dict[str, str]
) -> None:
    validator = jsonschema_rs.validator_for(
        {**spec["components"]["schemas"]["Problem"], "components": spec["components"]}
    )
    first = client.post(POST_STAGE, json=STAGE_EXAMPLE, headers=editor)
    taken = client.post(POST_STAGE, json=STAGE_EXAMPLE, headers=editor)
    stale = client.patch(
        first.headers["location"], json={"name": "x"}, headers={**editor, "If-Match": '"0"'}
    )
    problems = [
        (taken, 409, "existing"),
        (stale, 412, "current_etag"),
        (client.get("/api/v1/seizures?year=1"), 422, "errors"),
    ]
    for response, status, member in problems:
        assert response.status_code == status, response.text
        body = response.json()
        assert member in body, body
        validator.validate(body)


# -- 7. an operation's stages ---------------------------------------------------------------


def test_an_operations_stages_are_paged_as_the_stages_are(
    client: TestClient, editor: dict[str, str], spec: dict[str, Any]
) -> None:
    for number in (90, 91, 92):
        stage = {**STAGE_EXAMPLE, "number": number, "seizures": []}
        assert client.post(POST_STAGE, json=stage, headers=editor).status_code == 201
    own = client.get("/api/v1/operations/channel/stages?limit=2").json()
    listed = client.get("/api/v1/stages?operation=channel&limit=2").json()
    assert [s["number"] for s in own["items"]] == [s["number"] for s in listed["items"]] == [90, 91]
    assert own["next"] is not None
    rest = client.get(own["next"]).json()
    assert [s["number"] for s in rest["items"]] == [92]
    assert client.get("/api/v1/operations/grom/stages").json()["items"] == []
    unknown = client.get("/api/v1/operations/nope/stages")
    assert unknown.status_code == 404
    operation = spec["paths"]["/api/v1/operations/{operation}/stages"]["get"]
    assert operation["operationId"] == "listOperationStages"
    assert "404" in operation["responses"]


# -- 8. tags and their order -----------------------------------------------------------


def test_each_operation_has_one_tag_in_the_documented_order(spec: dict[str, Any]) -> None:
    names = [tag["name"] for tag in spec["tags"]]
    assert names == [tag["name"] for tag in TAGS]
    assert names[-1] == "staff: audit"
    assert all(tag["description"] for tag in spec["tags"])
    by_tag: dict[str, list[str]] = {name: [] for name in names}
    for _, _, operation in _operations(spec):
        assert len(operation["tags"]) == 1, operation["operationId"]
        by_tag[operation["tags"][0]].append(operation["operationId"])
    stage_writes = by_tag["staff: stages"]
    assert stage_writes[:3] == ["postStage", "patchStage", "deleteStage"]
    assert by_tag["operations"][:3] == ["listOperations", "exportOperationsCsv",
                                        "exportOperationsNdjson"]  # fmt: skip
    assert "getParticipation" in by_tag["operations"]


# -- 9. examples "Try it out" can send --------------------------------------------------


def test_post_a_stage_can_be_tried_as_documented(
    client: TestClient, spec: dict[str, Any], editor: dict[str, str]
) -> None:
    post = spec["paths"]["/api/v1/operations/{operation}/stages"]["post"]
    parameters = {p["name"]: p for p in post["parameters"]}
    assert parameters["operation"]["example"] == "channel"
    uuid.UUID(parameters["Idempotency-Key"]["example"])
    example = post["requestBody"]["content"][JSON]["examples"]["stage"]["value"]
    headers = {**editor, "Idempotency-Key": parameters["Idempotency-Key"]["example"]}
    tried = client.post(POST_STAGE, json=example, headers=headers)
    assert tried.status_code == 201, tried.text
    # The README's walk-through posts stage 31 afterwards, and still can.
    readme = {**example, "number": 31}
    assert client.post(POST_STAGE, json=readme, headers=editor).status_code == 201


def test_path_parameters_of_reads_have_seeded_examples(
    client: TestClient, spec: dict[str, Any]
) -> None:
    for path, operation in _gets(spec):
        examples = {
            p["name"]: p["example"] for p in operation.get("parameters", []) if "example" in p
        }
        if examples and not re.search(r"{(stage_id|participation_id|meeting_id)}", path):
            assert client.get(_url(path, examples)).status_code == 200, path
