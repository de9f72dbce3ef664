"""A release's files go to a folder of the test's own; `made` makes a release by the API."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

NOTE = "The core seeds, released for the tests."


@pytest.fixture
def releases_dir(client: TestClient, tmp_path: Path) -> Path:
    """The app's releases go to a folder of this test's (the fixture puts the settings back)."""
    folder = tmp_path / "releases"
    app: Any = client.app
    app.state.settings = app.state.settings.model_copy(update={"releases_dir": folder})
    return folder


@pytest.fixture
def made(
    client: TestClient, admin: dict[str, str], releases_dir: Path
) -> Callable[..., dict[str, Any]]:
    def make(version: str = "1.0.0", note: str = NOTE) -> dict[str, Any]:
        response = client.post(
            "/api/v1/releases", json={"version": version, "note": note}, headers=admin
        )
        assert response.status_code == 201, response.text
        assert response.headers["location"] == f"/api/v1/releases/{version}"
        return dict(response.json())

    return make
