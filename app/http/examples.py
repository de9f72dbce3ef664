"""Response examples for the docs page, recorded from real responses on the seed data.

`app/http/examples.json` maps "METHOD /path/template" to a status and body; the test
`tests/http/test_examples.py` checks each one against what the API answers today (run it with
KSOPN_RECORD_EXAMPLES=1 to record them again), so the docs never show a shape or a
figure the API no longer gives.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from app.http import contract

EXAMPLES_FILE = Path(__file__).with_name("examples.json")
MAX_LIST_ITEMS = 3  # examples stay short; a list shows its first few items


def shorten(value: Any) -> Any:
    if isinstance(value, list):
        return [shorten(item) for item in value[:MAX_LIST_ITEMS]]
    if isinstance(value, dict):
        return {key: shorten(item) for key, item in value.items()}
    return value


@cache
def recorded() -> dict[str, dict[str, Any]]:
    if not EXAMPLES_FILE.exists():
        return {}
    examples: dict[str, dict[str, Any]] = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    return examples


def install_examples(app: FastAPI) -> None:
    """Adds the recorded examples to the OpenAPI document the app serves, once the document
    is completed as a contract (app/http/contract.py)."""

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            contract.complete(schema, app.state.settings)
            for key, example in recorded().items():
                method, path = key.split(" ", 1)
                operation = schema["paths"].get(path, {}).get(method.lower())
                if operation is None:
                    continue
                response = operation["responses"].get(str(example["status"]))
                content = (response or {}).get("content", {})
                for media_type in ("application/json", "application/problem+json"):
                    if media_type in content:
                        content[media_type]["example"] = example["body"]
                        break
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
