"""System tests: real server processes (concurrency, crashes, load, fuzzing) and a real
browser. Every test in this folder is in the slow lane (`slow`), which `make test-fast`
leaves out and `make test` runs."""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.slow)
