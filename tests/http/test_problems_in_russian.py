"""Problem details in Russian for a client that asks for them, and on Russian pages (issue
22, point 22): the same `type`, status and field names, the words in Russian."""

import copy
from typing import Any

from fastapi.testclient import TestClient

from app.operations.schemas import STAGE_EXAMPLE

RUSSIAN = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}
CYRILLIC = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


def _russian(text: str) -> bool:
    return bool(set(text.lower()) & CYRILLIC)


def _too_large_parts() -> dict[str, Any]:
    body = copy.deepcopy(STAGE_EXAMPLE)
    body["number"] = 95
    body["seizures"][0]["quantity"] = "1 t"
    return body


def test_a_refused_stage_in_russian(client: TestClient, editor: dict[str, str]) -> None:
    body = _too_large_parts()
    url = "/api/v1/operations/channel/stages"
    english = client.post(url, json=body, headers=editor)
    russian = client.post(url, json=body, headers={**editor, **RUSSIAN})
    assert english.status_code == russian.status_code == 422
    en, ru = english.json(), russian.json()
    assert en["type"] == ru["type"]
    assert [e["name"] for e in en["errors"]] == [e["name"] for e in ru["errors"]]
    assert "add up to" in en["errors"][0]["message"]
    assert ru["errors"][0]["message"].startswith("части seizures[0] в сумме дают")
    assert _russian(ru["title"])
    assert russian.headers["content-language"] == "ru"


def test_a_bad_query_in_russian(client: TestClient) -> None:
    english = client.get("/api/v1/seizures?year=abc").json()
    russian = client.get("/api/v1/seizures?year=abc", headers=RUSSIAN).json()
    assert english["type"] == russian["type"]
    assert [e["name"] for e in english["errors"]] == [e["name"] for e in russian["errors"]]
    assert russian["errors"][0]["message"] == "нужно целое число"
    assert _russian(russian["detail"])
    misspelt = client.get("/api/v1/seizures?substnce=heroin", headers=RUSSIAN).json()
    assert misspelt["errors"][0]["name"] == "substnce"
    assert "может быть, `substance`?" in misspelt["errors"][0]["message"]


def test_english_stays_english(client: TestClient) -> None:
    answer = client.get("/api/v1/seizures?year=abc", headers={"Accept-Language": "en, ru;q=0.5"})
    assert not _russian(answer.text)


def test_the_error_page_in_russian(client: TestClient) -> None:
    page = client.get("/?year=abc&lang=ru")
    assert page.status_code == 422
    assert "нужно целое число" in page.text
    misspelt = client.get("/?substnce=heroin&lang=ru").text
    assert (
        "может быть, <code>substance</code>" in misspelt or "может быть, `substance`?" in misspelt
    )


def test_every_refused_stage_name_in_russian(client: TestClient) -> None:
    """Each way a `stage` filter can name nothing reads in Russian on a Russian page and
    in the API's Russian answer; the English answer stays English."""
    for value, russian_start in (
        ("nowhere", "'nowhere' не название этапа"),
        ("31", "назовите этап вместе с операцией"),
        ("nosuch-31", "нет этапа 'nosuch-31': нет такой операции"),
        ("channel-999", "нет этапа 'channel-999'"),
    ):
        page = client.get(f"/?stage={value}&lang=ru")
        assert page.status_code == 422
        assert russian_start in page.text.replace("&#39;", "'"), value
        answer = client.get(f"/api/v1/seizures?stage={value}", headers=RUSSIAN).json()
        assert answer["errors"][0]["message"].startswith(russian_start), value
        english = client.get(f"/api/v1/seizures?stage={value}").json()
        assert not _russian(english["errors"][0]["message"]), value
