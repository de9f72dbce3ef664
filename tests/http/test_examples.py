"""The docs page's response examples are real answers on the seed data, and stay so."""

import csv
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from app.http.contract import PATH_EXAMPLES
from app.http.examples import JSON_TYPES, examples_file_of, recorded, shorten, shorten_text
from app.operations.schemas import STAGE_EXAMPLE

RECORD = os.environ.get("KSOPN_RECORD_EXAMPLES") == "1"

# A value from the seed for every path parameter: the docs' own examples ("Try it out"),
# and for a meeting, whose id the source does not itemize, one whose example is the 404;
# a release is made first (`RELEASE`), so that its reads show one.
PATH_VALUES = {
    **{name: str(value) for name, value in PATH_EXAMPLES.items()},
    "report_id": "2",
    "meeting_id": "1",
    "version": "1.0.0",
    "file": "datapackage.json",
}
# A reader's error report, posted first: staff's reads of the reports show it.
ERROR_REPORT = {
    "page": "/operations/channel",
    "what_is_wrong": "The heroin total of the 2018 stage is ten times the source's.",
    "source_says": "4.2 kg of heroin",
    "source_url": "https://example.org/press/2018",
    "contact": "reader@example.org",
}
QUERIES = {
    "/api/v1/seizures": "?year=2018&limit=3",
    "/api/v1/seizures.csv": "?year=2018",
    "/api/v1/seizures.ndjson": "?year=2018",
    "/api/v1/seizures/totals": "?from=2017-01-01&to=2019-12-31&group_by=substance",
    "/api/v1/seizures/totals.csv": "?from=2017-01-01&to=2019-12-31&group_by=substance",
    "/api/v1/member-states": "?on=2020-06-01",
    "/api/v1/member-states.csv": "?on=2020-06-01",
    "/api/v1/member-states.ndjson": "?on=2020-06-01",
    "/api/v1/organizations": "?q=unodc",
    "/api/v1/search": "?q=КСОПН",
}


RELEASE = {"version": "1.0.0", "note": "The seeded registry, released for the docs' examples."}


def _examples(
    client: TestClient, editor: dict[str, str], admin: dict[str, str], releases_dir: Path
) -> dict[str, Any]:
    app: Any = client.app  # the release's files go to the test's own folder
    app.state.settings = app.state.settings.model_copy(update={"releases_dir": releases_dir})
    posted = client.post("/api/v1/operations/channel/stages", json=STAGE_EXAMPLE, headers=editor)
    assert posted.status_code == 201, posted.text
    released = client.post("/api/v1/releases", json=RELEASE, headers=admin)
    assert released.status_code == 201, released.text
    stage = posted.json()
    reported = client.post("/api/v1/error-reports", json=ERROR_REPORT)
    assert reported.status_code == 202, reported.text
    values = PATH_VALUES | {
        "stage_id": str(stage["id"]),
        "participation_id": str(stage["participants"][0]["id"]),
        "error_report_id": str(reported.json()["id"]),
    }
    examples: dict[str, Any] = {
        "POST /api/v1/operations/{operation}/stages": {"status": 201, "body": shorten(stage)}
    }
    paths = client.get("/openapi.json").json()["paths"]
    for path in (path for path, methods in paths.items() if "get" in methods):
        if not path.startswith("/api/"):
            continue
        url = path.format(**{name: values[name] for name in re.findall(r"{(\w+)}", path)})
        response = client.get(url + QUERIES.get(path, ""), headers=admin)
        assert response.status_code < 500, (url, response.text)
        examples[f"GET {path}"] = _example(response)
    return examples


def _example(response: httpx.Response) -> dict[str, Any]:
    """A JSON answer, shortened; or a download's media type and first lines."""
    media_type = response.headers["content-type"].split(";")[0]
    if media_type in JSON_TYPES:
        return {"status": response.status_code, "body": shorten(response.json())}
    body = shorten_text(media_type, response.text)
    return {"status": response.status_code, "media_type": media_type, "body": body}


def test_recorded_examples_are_what_the_api_answers(
    client: TestClient, editor: dict[str, str], admin: dict[str, str], tmp_path: Path
) -> None:
    examples = _examples(client, editor, admin, tmp_path / "releases")
    if RECORD:  # each into the file of the domain whose route answered
        owners = {
            f"{method} {context.path_format}": context.endpoint.__module__
            for context in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
            for method in context.methods or ()
        }
        by_file: dict[Any, dict[str, Any]] = {}
        for key, example in examples.items():
            by_file.setdefault(examples_file_of(owners[key]), {})[key] = example
        for path, kept in by_file.items():
            text = json.dumps(kept, ensure_ascii=False, indent=1, sort_keys=True)
            path.write_text(text + "\n", encoding="utf-8")
        recorded.cache_clear()
    assert _comparable(_read(recorded())) == _comparable(_read(examples)), (
        "the API's answers changed; record the examples again with KSOPN_RECORD_EXAMPLES=1"
    )


def test_every_read_endpoint_shows_an_example(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, methods in paths.items():
        if "get" not in methods or not path.startswith("/api/"):
            continue
        responses = methods["get"]["responses"]
        shown = [
            media.get("example")
            for response in responses.values()
            for media in response.get("content", {}).values()
        ]
        assert any(example is not None for example in shown), path


def _read(examples: dict[str, Any]) -> Any:
    """The examples as data: a download's lines read as rows, so ids and times in them can
    be told apart from the rest as in a JSON answer."""
    read = json.loads(json.dumps(examples))
    for example in read.values():
        if example.get("media_type") == "text/csv":
            rows = csv.DictReader(io.StringIO(example["body"], newline=""))
            example["body"] = [{key: _cell(value) for key, value in row.items()} for row in rows]
        elif "media_type" in example:
            example["body"] = [json.loads(line) for line in example["body"].splitlines()]
    return read


def _cell(value: str) -> Any:
    """A CSV cell holding a JSON object or list (the audit log's `before`), as data."""
    try:
        return json.loads(value) if value.startswith(("{", "[")) else value
    except ValueError:
        return value


DATA_VERSION = re.compile(r"\b1\d{15}\b")  # microseconds since 1970 (app/models/versions.py)
ID_IN_PATH = re.compile(r"/[0-9]+(?=$|[/?#])")


def _comparable(value: Any) -> Any:
    """Without what varies by run: the audit log's times and the error reports' (`*_at`), and the ids the database gives the
    rows posted above (PostgreSQL's sequences do not roll back; a test that migrates down and
    up again reseeds with new ids), in fields and in page addresses alike."""
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, dict):
        return {key: _mask(key, item) for key, item in value.items()}
    if isinstance(value, str):  # a data version named in a text (a release's description)
        return DATA_VERSION.sub("<data version>", value)
    return value


# What a release made in the run holds of the run: the data version it froze, its files'
# checksums and sizes (datapackage.json's too, with its `created`), and the citations.
RELEASE_VARIES = ("data_version", "sha256", "size", "citation", "created", "hash", "bytes")


def _mask(key: str, value: Any) -> Any:
    if key.startswith(RELEASE_VARIES):
        return "<varies>"
    if key == "at" or key.endswith("_at"):
        return "<time>"
    if key == "id" or key.endswith(("_id", "_ids")):
        return "<id>"
    if (key == "url" or key.endswith("_url")) and isinstance(value, str):
        return ID_IN_PATH.sub("/<id>", value)  # a page's address names its row by id
    return _comparable(value)


def test_every_endpoint_and_parameter_is_described(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, methods in paths.items():
        for method, operation in methods.items():
            assert operation.get("summary"), (method, path)
            assert operation.get("description"), (method, path)
            for parameter in operation.get("parameters", []):
                described = parameter.get("description") or parameter["schema"].get("description")
                assert described, (method, path, parameter["name"])
