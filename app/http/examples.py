"""Response examples for the docs page, recorded from real responses on the seed data.

Each domain keeps its own, `app/<domain>/examples.json`, and registers the file
(`add_examples_file`): a file maps "METHOD /path/template" of the domain's routes to a status
and body (and, for a download, its media type and first lines). The test
`tests/http/test_examples.py` checks each one against what the API answers today (run it
with KSOPN_RECORD_EXAMPLES=1 to record them again, each into the file of the domain whose
route answered), so the docs never show a shape or a figure the API no longer gives.

When reads need a key (KSOPN_REQUIRE_KEY_FOR_READS), the document goes without them: it is
served to anyone, as the docs pages and client generators fetch it without a key, and the
examples are the registry's own records and figures.
"""

import csv
import io
import json
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from app.http import contract
from app.http.listing import CSV, write_csv

EXAMPLE_FILES: list[Path] = []  # registered by the domains, one file each
MAX_LIST_ITEMS = 3  # examples stay short; a list shows its first few items
JSON_TYPES = ("application/json", "application/problem+json")


def shorten(value: Any) -> Any:
    if isinstance(value, list):
        return [shorten(item) for item in value[:MAX_LIST_ITEMS]]
    if isinstance(value, dict):
        return {key: shorten(item) for key, item in value.items()}
    return value


def shorten_text(media_type: str, text: str) -> str:
    """A download's first lines: a CSV's header and first rows (a row may span lines), or
    the first lines of NDJSON. Without the byte-order mark, which a page would not show."""
    text = text.removeprefix("\ufeff")
    if media_type == CSV.media_type:
        rows = list(csv.reader(io.StringIO(text, newline="")))
        return write_csv(rows[: MAX_LIST_ITEMS + 1]).decode()
    return "".join(text.splitlines(keepends=True)[:MAX_LIST_ITEMS])


def add_examples_file(path: Path) -> None:
    """A domain's recorded examples (`app/<domain>/examples.json`, beside its router)."""
    if path not in EXAMPLE_FILES:
        EXAMPLE_FILES.append(path)
        recorded.cache_clear()


def examples_file_of(module: str) -> Path:
    """The registered file of the domain that `module` (a route's endpoint's) belongs to."""
    folder = Path(*module.split(".")[:-1])
    found = [
        path for path in EXAMPLE_FILES if path.parent.parts[-len(folder.parts) :] == folder.parts
    ]
    if not found:
        raise LookupError(f"no examples file is registered for {module}")
    return found[0]


@cache
def recorded() -> dict[str, dict[str, Any]]:
    examples: dict[str, dict[str, Any]] = {}
    for path in EXAMPLE_FILES:
        if path.exists():
            examples |= json.loads(path.read_text(encoding="utf-8"))
    return examples


def install_examples(app: FastAPI) -> None:
    """Adds the recorded examples to the OpenAPI document the app serves, once the document
    is completed as a contract (app/http/contract.py); none when reads need a key."""

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            settings = app.state.settings
            contract.complete(schema, settings)
            examples = {} if settings.require_key_for_reads else recorded()
            for key, example in examples.items():
                method, path = key.split(" ", 1)
                operation = schema["paths"].get(path, {}).get(method.lower())
                if operation is None:
                    continue
                response = operation["responses"].get(str(example["status"]))
                content = (response or {}).get("content", {})
                media_types = [example.get("media_type"), *JSON_TYPES]
                shown = next((media for media in media_types if media in content), None)
                if shown is not None:
                    content[shown]["example"] = example["body"]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
