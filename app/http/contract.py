"""What the OpenAPI document says beyond what FastAPI infers from the routes, so that the
document is the contract the API keeps (tests/system/test_fuzz.py holds the API to it, and
tests/http/test_openapi_contract.py this module to what the server sends).

- Every error is `application/problem+json` (app/errors.py), never `application/json`.
- Reads are public unless KSOPN_REQUIRE_KEY_FOR_READS is set: then they require nothing
  (`security: []`, no padlock; a generated client needs no key for them), and a key sent
  anyway is checked (401). An operation that needs a key requires the bearer scheme and
  documents 401. Every operation states its requirement, as linters ask.
- A change that documents 428 needs `If-Match`: a required header parameter.
- A request body can be too large (413); presenting keys that fail too often is 429; a
  database that is busy or down is 503 (app/errors.py), anywhere.
- Every read under /api/ is conditional: it sends an ETag, takes `If-None-Match` and may
  answer 304. A read of the registry's facts (not one that needs a key of its own) also
  sends `Last-Modified` and takes `If-Modified-Since` (app/http/modified.py).
- The headers the server sends are declared on the responses that carry them, each defined
  once under `components/headers`.
- Operations are grouped by tags in the order a reader goes (reads, then staff writes, the
  audit log last), and a path that only takes writes follows the path it belongs under.
- Path parameters of reads and posts have an example from the seed data, and
  `Idempotency-Key` a fresh UUID, so that "Try it out" works as it stands. When reads need
  a key, path parameters name no record: the document is served to anyone.
"""

import uuid
from typing import Any

from app.http.as_of import PARAMETER as AS_OF
from app.http.modified import UNDATED_KEY
from app.http.schemas import Problem
from app.settings import Settings

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON = "application/json"
IF_MATCH: dict[str, Any] = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The ETag of your last GET of the entity, quotes included, as the ETag "
    "header gave it (or `*` for whatever is current): 428 without it, 400 when it is no "
    "quoted ETag, 412 when the entity changed since.",
    # RFC 9110 13.1.1: `*` or a list of entity-tags; the ASCII ones, which clients send.
    "schema": {"type": "string", "pattern": r'^(\*|(W/)?"[!#-~]*"( ?, ?(W/)?"[!#-~]*")*)$'},
}
IF_NONE_MATCH: dict[str, Any] = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of a copy you hold (or several, comma-separated): 304 and no "
    "body when it is still current.",
    "schema": {"type": "string"},
}
IF_MODIFIED_SINCE: dict[str, Any] = {
    "name": "If-Modified-Since",
    "in": "header",
    "required": False,
    "description": "The `Last-Modified` of a copy you hold (an HTTP-date, "
    "`Sun, 06 Dec 2026 07:30:00 GMT`): 304 and no body when the registry's facts have not "
    "changed since that second. Ignored when `If-None-Match` is sent (which then decides), "
    "and when it is no valid HTTP-date.",
    "schema": {"type": "string"},
}
NOT_MODIFIED = (
    "Not modified: the copy that `If-None-Match` names (or, without it, the copy of the "
    "time `If-Modified-Since` gives) is current. No body."
)
EXTRA_PROBLEMS = {
    "401": "No API key, or an unknown or revoked one.",
    "401 public": "A key was sent and it is unknown or revoked (reads need none).",
    "413": "The request body is larger than the server takes.",
    "429": "Too many failed key checks from this client; retry after `Retry-After` seconds.",
    "503": "The database is busy or unreachable; nothing was changed. Retry after "
    "`Retry-After` seconds.",
}


def _header(description: str, *, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {
        "description": description,
        "required": required,
        "schema": {"type": "string", **schema},
    }


# `required` where the server always sends the header with the response that declares it.
HEADERS: dict[str, dict[str, Any]] = {
    "ETag": _header(
        "The version of this representation: send it back as `If-None-Match` to revalidate "
        "a copy, or as `If-Match` to change the entity.",
        required=True,
    ),
    "Last-Modified": _header(
        "When the registry's facts last changed (an HTTP-date, to the second): send it back "
        "as `If-Modified-Since` to revalidate a copy. The ETag is finer (two changes within "
        "one second share a date) and wins when both are sent.",
        required=True,
    ),
    "Cache-Control": _header("How long a cache may keep the answer (public reads), or `no-store`."),
    "Vary": _header("The request headers the answer depends on (`Accept`, `Accept-Encoding`)."),
    "Link": _header('The next page, `<URL>; rel="next"`; absent on the last page.'),
    "Location": _header("The URL of the entity created.", required=True),
    "Idempotent-Replayed": _header(
        "`true` when the answer is the stored one of an earlier request with the same "
        "`Idempotency-Key`: nothing was created this time.",
        enum=["true"],
    ),
    "Content-Disposition": _header("`attachment` with the file's name, for a download (RFC 6266)."),
    "Retry-After": _header("Seconds to wait before trying again.", pattern="^[0-9]+$"),
    "WWW-Authenticate": _header('The scheme a key is sent with: `Bearer realm="ksopn"`.'),
}

# What each domain says of itself in the document, registered by the domain's router
# (`describe_tag`, `add_path_examples`), so that a new domain edits no line of the kit.
# Tags are kept in the order a reader goes: by `place`.
TAGS: list[dict[str, Any]] = []
_TAG_PLACES: dict[str, int] = {}
# For "Try it out": a record of the seed data for each path parameter that names one.
PATH_EXAMPLES: dict[str, str | int] = {}


def describe_tag(name: str, description: str, *, place: int) -> None:
    """A tag of the document, shown at `place` (reads first, then staff writes)."""
    if name in _TAG_PLACES:
        return
    _TAG_PLACES[name] = place
    TAGS.append({"name": name, "description": description})
    TAGS.sort(key=lambda tag: _TAG_PLACES[tag["name"]])


def add_path_examples(**examples: str | int) -> None:
    """Path parameters' examples: each names a record of the seed data."""
    PATH_EXAMPLES.update(examples)


describe_tag("health", "Whether the server and its database answer.", place=50)


def complete(schema: dict[str, Any], settings: Settings) -> None:
    """Completes the generated document in place (see the module's docstring)."""
    components = schema.setdefault("components", {})
    _add_problem_schema(components.setdefault("schemas", {}))
    components["headers"] = {name: dict(header) for name, header in HEADERS.items()}
    idempotency_key = str(uuid.uuid4())  # once per process: the document is made once
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                _complete_operation(path, method, operation, settings)
                _add_examples(method, operation, idempotency_key, settings)
    schema["tags"] = TAGS
    schema["paths"] = in_reading_order(schema.get("paths", {}))
    # Relative to the document's own URL: the host it is served from, whatever its name.
    schema.setdefault("servers", [{"url": "/"}])


def _add_problem_schema(schemas: dict[str, Any]) -> None:
    """The Problem schema, for an app none of whose routes names it (FastAPI adds it, with
    the schemas it refers to, wherever one does)."""
    if "Problem" in schemas:
        return
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem


def _complete_operation(
    path: str, method: str, operation: dict[str, Any], settings: Settings
) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    # A route that needs a key of its own documents 401 itself (the audit log): its reads
    # show the staff's tables, which are not dated (app/http/modified.py); nor is a public
    # read whose route says UNDATED (the mark is the route's, not the document's).
    undated = operation.pop(UNDATED_KEY, False)
    dated = is_conditional(path, method) and "401" not in responses and not undated
    if not dated:  # `as_of` is the reads' of the record (app/http/as_of.py): others refuse it
        parameters = operation.get("parameters", [])
        operation["parameters"] = [p for p in parameters if p.get("name") != AS_OF]
        if not operation["parameters"]:
            del operation["parameters"]
    _declare_security(operation, settings)
    if "requestBody" in operation:
        responses.setdefault("413", {"description": EXTRA_PROBLEMS["413"]})
    responses.setdefault("503", {"description": EXTRA_PROBLEMS["503"]})
    if "428" in responses:
        _add_parameter(operation, IF_MATCH)
    conditional = is_conditional(path, method)
    if conditional:
        _add_parameter(operation, IF_NONE_MATCH)
        responses.setdefault("304", {"description": NOT_MODIFIED})
    if dated:
        _add_parameter(operation, IF_MODIFIED_SINCE)
    for status, response in responses.items():
        if status[0] in "45" or status == "default":
            _as_problem(response)
        _declare_headers(method, operation, status, response, conditional=conditional, dated=dated)


def _declare_security(operation: dict[str, Any], settings: Settings) -> None:
    """FastAPI gives every route under /api/ the bearer scheme, which the key check of reads
    (`reader_check`) declares; routes that need a key already document 401 (writes, the
    audit log). A public read requires nothing, but a key sent to it is checked: 401."""
    responses = operation["responses"]
    if not operation.get("security"):
        operation["security"] = []  # /healthz: open, whatever the settings
        return
    needs_key = "401" in responses or settings.require_key_for_reads
    if not needs_key:  # a public read: no client must hold a key for it
        operation["security"] = []
    responses.setdefault(
        "401", {"description": EXTRA_PROBLEMS["401" if needs_key else "401 public"]}
    )
    responses.setdefault("429", {"description": EXTRA_PROBLEMS["429"]})


def is_conditional(path: str, method: str) -> bool:
    """A read that sends an ETag and answers 304 to an `If-None-Match` that names it: every
    GET under /api/, a JSON page or entity (`representation.represent`) and a download
    (`listing.download`) alike. Not /healthz, which is never cached."""
    return method == "get" and path.startswith("/api/")


def _declare_headers(
    method: str,
    operation: dict[str, Any],
    status: str,
    response: dict[str, Any],
    *,
    conditional: bool,
    dated: bool,
) -> None:
    names = _headers_of(method, operation, status, response, conditional=conditional)
    if dated and status in ("200", "304"):
        names.insert(1, "Last-Modified")
    if names:
        headers = response.setdefault("headers", {})
        for name in names:
            headers[name] = {"$ref": f"#/components/headers/{name}"}


def _headers_of(
    method: str,
    operation: dict[str, Any],
    status: str,
    response: dict[str, Any],
    *,
    conditional: bool,
) -> list[str]:
    """The headers the server sends with this response (app/http/representation.py,
    pagination.py, listing.py, caching.py, app/staff/idempotency.py, app/errors.py)."""
    media_types = set(response.get("content", {}))
    downloads = set(operation["responses"].get("200", {}).get("content", {})) - {JSON}
    names = []
    if status == "304" or (status == "200" and conditional):
        names.append("ETag")
    elif method != "get" and status in ("200", "201") and JSON in media_types:
        names.append("ETag")  # a write answers with the entity as a GET would
    if method == "get" and status in ("200", "304"):
        names += ["Cache-Control", "Vary"]
    if status == "200" and method == "get" and _takes(operation, "query", "cursor"):
        names.append("Link")
    if status in ("200", "304") and downloads:
        names.append("Content-Disposition")  # a 304 of a download tells its name too
    if status == "201":
        names.append("Location")
        if _takes(operation, "header", "Idempotency-Key"):
            names.append("Idempotent-Replayed")
    if status in ("429", "503"):
        names.append("Retry-After")
    if status == "401":
        names.append("WWW-Authenticate")
    return names


def _takes(operation: dict[str, Any], where: str, name: str) -> bool:
    return any(
        p.get("in") == where and p.get("name") == name for p in operation.get("parameters", [])
    )


def _add_parameter(operation: dict[str, Any], parameter: dict[str, Any]) -> None:
    if not _takes(operation, parameter["in"], parameter["name"]):
        operation.setdefault("parameters", []).append(dict(parameter))


def _add_examples(
    method: str, operation: dict[str, Any], idempotency_key: str, settings: Settings
) -> None:
    """Examples that "Try it out" can send as they are: seeded records in the paths of reads
    and posts (not of changes and deletions, which would then name a real record; nor when
    reads need a key), and an Idempotency-Key of its own."""
    if method not in ("get", "post"):
        return
    name_records = not settings.require_key_for_reads
    for parameter in operation.get("parameters", []):
        name = parameter["name"]
        if parameter["in"] == "path" and name in PATH_EXAMPLES and name_records:
            parameter["example"] = PATH_EXAMPLES[name]
        elif parameter["in"] == "header" and name == "Idempotency-Key":
            parameter["example"] = idempotency_key


def _as_problem(response: dict[str, Any]) -> None:
    """The response's content as app/errors.py sends it, keeping a documented example."""
    content = response.get("content", {})
    example = next((c["example"] for c in content.values() if "example" in c), None)
    problem: dict[str, Any] = {"schema": PROBLEM_REF}
    if example is not None:
        problem["example"] = example
    response["content"] = {"application/problem+json": problem}


def in_reading_order(paths: dict[str, Any]) -> dict[str, Any]:
    """The paths as registered (reads first, in the order of app/main.py's routers), but a
    path that only takes writes (`/stages/{stage_id}/seizures`) right after the path it
    extends, so a tag lists a resource's writes together: post a stage, correct it, add to
    it. Swagger UI and ReDoc list a tag's operations in path order."""
    ordered: dict[str, Any] = {}
    later = []
    for path, item in paths.items():
        if "get" in item or not _parent(path, paths):
            ordered[path] = item
        else:
            later.append(path)
    for path in later:
        ordered = _inserted_after(ordered, _parent(path, paths), path, paths[path])
    return ordered


def _parent(path: str, paths: dict[str, Any]) -> str:
    """The longest other path that `path` extends, or ""."""
    prefixes = [other for other in paths if other != path and path.startswith(other + "/")]
    return max(prefixes, key=len, default="")


def _inserted_after(
    ordered: dict[str, Any], anchor: str, path: str, item: dict[str, Any]
) -> dict[str, Any]:
    """`ordered` with `path` after `anchor` and after the paths already placed there."""
    keys = list(ordered)
    position = keys.index(anchor) + 1
    while position < len(keys) and keys[position].startswith(anchor + "/"):
        position += 1
    keys.insert(position, path)
    return {key: item if key == path else ordered[key] for key in keys}
