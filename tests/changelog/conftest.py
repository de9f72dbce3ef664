"""A stage posted, corrected and deleted through the API, for the changelog's tests; and
the release fixtures of tests/releases."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.operations.schemas import STAGE_EXAMPLE
from tests.releases.conftest import made, releases_dir  # noqa: F401 (fixtures)

NAME = "Example stage, renamed"


@pytest.fixture
def stage_history(client: TestClient, editor: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Posts the example stage; `correct=True` renames it and moves its end, `delete=True`
    deletes it after. The stage as posted is returned."""

    def make(*, correct: bool = False, delete: bool = False) -> dict[str, Any]:
        posted = client.post(
            "/api/v1/operations/channel/stages", json=STAGE_EXAMPLE, headers=editor
        )
        assert posted.status_code == 201, posted.text
        stage: dict[str, Any] = posted.json()
        etag = posted.headers["etag"]
        if correct:
            patched = client.patch(
                f"/api/v1/stages/{stage['id']}",
                json={"name": NAME, "end_on": "2021-05-25"},
                headers={**editor, "If-Match": etag},
            )
            assert patched.status_code == 200, patched.text
            etag = patched.headers["etag"]
        if delete:
            deleted = client.delete(
                f"/api/v1/stages/{stage['id']}", headers={**editor, "If-Match": etag}
            )
            assert deleted.status_code == 204, deleted.text
        return stage

    return make
