"""What the OpenAPI document says beyond what FastAPI infers from the routes, so that the
document is the contract the API keeps (tests/system/test_fuzz.py holds the API to it).

- Every error is `application/problem+json` (app/errors.py), never `application/json`.
- Reads are public unless KSOPN_REQUIRE_KEY_FOR_READS is set: their key is optional (the
  `{}` requirement). An operation that needs a key documents 401; one that does not, none.
- A change that documents 428 needs `If-Match`: a required header parameter.
- A request body can be too large (413); presenting keys that fail too often is 429; a
  database that is busy or down is 503 (app/errors.py), anywhere.
"""

from typing import Any

from app.schemas.common import Problem
from app.settings import Settings

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
IF_MATCH: dict[str, Any] = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The ETag of your last GET of the entity (or `*` for whatever is current): "
    "428 without it, 412 when the entity changed since.",
    "schema": {"type": "string"},
}
EXTRA_PROBLEMS = {
    "401": "No API key, or an unknown or revoked one.",
    "413": "The request body is larger than the server takes.",
    "429": "Too many failed key checks from this client; retry after `Retry-After` seconds.",
    "503": "The database is busy or unreachable; nothing was changed. Retry after "
    "`Retry-After` seconds.",
}


def complete(schema: dict[str, Any], settings: Settings) -> None:
    """Completes the generated document in place (see the module's docstring)."""
    schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "Problem", Problem.model_json_schema()
    )
    for item in schema.get("paths", {}).values():
        for method in METHODS:
            if method in item:
                _complete_operation(item[method], settings)


def _complete_operation(operation: dict[str, Any], settings: Settings) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    security = operation.get("security")
    if security:
        if "401" not in responses:  # a read: the key is optional unless reads need one
            if settings.require_key_for_reads:
                responses["401"] = {"description": EXTRA_PROBLEMS["401"]}
            elif {} not in security:
                operation["security"] = [{}, *security]
        responses.setdefault("429", {"description": EXTRA_PROBLEMS["429"]})
    if "requestBody" in operation:
        responses.setdefault("413", {"description": EXTRA_PROBLEMS["413"]})
    responses.setdefault("503", {"description": EXTRA_PROBLEMS["503"]})
    if "428" in responses:
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("in") == "header" and p.get("name") == "If-Match" for p in parameters):
            parameters.append(dict(IF_MATCH))
    for status, response in responses.items():
        if status[0] in "45" or status == "default":
            _as_problem(response)


def _as_problem(response: dict[str, Any]) -> None:
    """The response's content as app/errors.py sends it, keeping a documented example."""
    content = response.get("content", {})
    example = next((c["example"] for c in content.values() if "example" in c), None)
    problem: dict[str, Any] = {"schema": PROBLEM_REF}
    if example is not None:
        problem["example"] = example
    response["content"] = {"application/problem+json": problem}
