"""The front page is written once per data version, language and query, and given again to
any request of the same (app/pages/router.py, `new_front_pages`): byte for byte the page a
new reading would write, whatever else the request's headers say, until a write."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.operations.schemas import STAGE_EXAMPLE
from app.pages import service


@pytest.fixture
def figure_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the readings of the front page's figures."""
    reads: list[int] = []
    seizure_view = service.seizure_view

    def counted(*args: Any, **kwargs: Any) -> service.SeizureView:
        reads.append(1)
        return seizure_view(*args, **kwargs)

    monkeypatch.setattr(service, "seizure_view", counted)
    return reads


def test_the_front_page_is_read_once_per_version_language_and_query(
    client: TestClient, editor: dict[str, str], figure_reads: list[int]
) -> None:
    first = client.get("/", headers={"X-Request": "1"})
    again = client.get("/", headers={"X-Request": "2", "User-Agent": "another"})
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert list(again.headers.items()) == list(first.headers.items())
    assert len(figure_reads) == 1

    russian = client.get("/?lang=ru")  # another language, another query: their own pages
    by_header = client.get("/", headers={"Accept-Language": "ru"})
    client.get("/?to=2018-12-31")
    assert len(figure_reads) == 4
    assert client.get("/?lang=ru", headers={"X-Request": "3"}).content == russian.content
    assert client.get("/", headers={"Accept-Language": "ru, en"}).content == by_header.content
    assert len(figure_reads) == 4

    response = client.post("/api/v1/operations/channel/stages", json=STAGE_EXAMPLE, headers=editor)
    assert response.status_code == 201, response.text
    after_write = client.get("/", headers={"X-Request": "4"})  # a new data version: read anew
    assert len(figure_reads) == 5
    assert after_write.content != first.content
