"""Every write rule answers in Russian to a client that asks for Russian (issue 22, point 22):
each request below breaks one rule of the write path (app/rules.py, app/writes.py, the
domains' writes.py, the body schemas, the checks of keys, ETags and retries), and its
problem details must have no Latin-script prose in `title`, `detail` or any message, while
the `type`, the status and the field names stay those of the English answer."""

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.operations.schemas import STAGE_EXAMPLE

RUSSIAN = {"Accept-Language": "ru"}
POST_STAGE = "/api/v1/operations/channel/stages"

# What a Russian message may carry in Latin script: quoted text (what the client sent, a
# phrase from a source), code (`...`), URLs and paths, field paths, and these names of
# protocol parts, formats and parameters, which have no Russian form.
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|«[^»]*»|`[^`]*`|\{[^}]*\}")
CODE_LIKE = re.compile(r"\S*[/_\[\].=<>^$?:0-9]\S*")
NAMES = {
    "If-Match",
    "ETag",
    "GET",
    "PATCH",
    "POST",
    "JSON",
    "API",
    "NUL",
    "null",
    "true",
    "false",
    "RFC",
    "id",
    "Idempotency-Key",
    "Authorization",
    "Bearer",
    "W",
    "f",
    "t",
    "kg",
    "g",
    "mg",
    "l",
    "ml",
    "pcs",
    "body",
    "operation",
    "reference",
    "seizures",
    "results",
    "KAZ",
    "TJK",
    "unodc",
    "member-states",
    "outside_stage",
    "parent_id",
}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")


def latin_prose(text: str) -> list[str]:
    """The Latin-script words of `text` outside quotes, code and the allowed names."""
    bare = CODE_LIKE.sub(" ", QUOTED.sub(" ", text))
    return [word for word in LATIN_WORD.findall(bare) if word.strip("-") not in NAMES]


def test_the_detector_finds_english_and_lets_names_pass() -> None:
    assert latin_prose("Не принято: the parts of seizures[0] add up to") == [
        "the",
        "parts",
        "of",
        "add",
        "up",
        "to",
    ]
    assert latin_prose("части seizures[0] в сумме дают 2 500 кг ('1 t')") == []
    assert latin_prose("отправьте If-Match с ETag, см. /methods") == []


def _stage(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(STAGE_EXAMPLE)
    body["number"] = 96
    body.update(changes)
    return body


def _seizure(**changes: Any) -> dict[str, Any]:
    return _stage(seizures=[{"substance": "heroin", "quantity": "2 t", **changes}])


def _parts(*parts: dict[str, Any], total: str = "2 t") -> dict[str, Any]:
    return _stage(
        seizures=[{"substance": "controlled-substances", "quantity": total, "parts": list(parts)}]
    )


PRESS = {
    "slug": "press-ru-check",
    "url": "https://press.example/ru-check",
    "title": "Пример",
    "publisher": "Example Press",
    "language": "ru",
    "kind": "press",
    "locator_scheme": "¶N",
}

# A source of no stated kind and no date ranks after the example source (see /methods).
UNRANKED = {key: value for key, value in PRESS.items() if key != "kind"}

# name -> the body of a stage post that breaks one rule, and the field the answer names.
STAGE_POSTS: dict[str, tuple[dict[str, Any], str]] = {
    "parts exceed the whole": (_parts({"substance": "heroin", "quantity": "3 t"}), "seizures[0]"),
    "part of another unit kind": (
        _parts({"substance": "heroin", "quantity": "5 l"}),
        "seizures[0]",
    ),
    "part of another substance": (
        _stage(
            seizures=[
                {
                    "substance": "heroin",
                    "quantity": "2 t",
                    "parts": [{"substance": "hashish", "quantity": "1 t"}],
                }
            ]
        ),
        "seizures[0]",
    ),
    "part outside the period": (
        _parts(
            {
                "substance": "heroin",
                "quantity": "1 t",
                "period_start": "2021-05-09",
                "outside_stage": True,
            }
        ),
        "seizures[0]",
    ),
    "unknown party": (_stage(participants=["XYZ"]), "participants[0]"),
    "unknown substance": (_seizure(substance="unobtainium"), "seizures[0].substance"),
    "unknown source": (_stage(source="no-such-source"), "source"),
    "unreadable quantity": (_seizure(quantity="lots"), "seizures[0].quantity"),
    "unknown unit": (_seizure(quantity="5 bags"), "seizures[0].quantity"),
    "thousands or decimal": (_seizure(quantity="1,500 kg"), "seizures[0].quantity"),
    "mixed units": (_seizure(quantity="1 t 5 l"), "seizures[0].quantity"),
    "not whole": (_seizure(quantity="0.5 mg"), "seizures[0].quantity"),
    "empty quantity": (_seizure(quantity=""), "seizures[0].quantity"),
    "qualifier contradicts": (
        _seizure(quantity="more than 2 t", qualifier="exact"),
        "seizures[0].quantity",
    ),
    "outside the stage": (_seizure(period_start="2021-05-01"), "seizures[0].period_start"),
    "stage ends first": (_stage(start_on="2021-05-10", end_on="2021-05-01"), "end_on"),
    "no dates to default to": (_stage(start_on=None, end_on=None), "seizures[0].period_start"),
    "missing field": (_seizure(substance=None), "seizures[0].substance"),
    "wrong type": (_stage(number="ninety"), "number"),
    "unknown field": (_stage(colour="red"), "colour"),
    "bad enum": (_stage(results=[{"metric": "bananas", "as_reported": "5"}]), "results[0].metric"),
    "bad date": (_stage(start_on="10.05.2021"), "start_on"),
    "not a quantity": (_seizure(quantity=[1]), "seizures[0].quantity"),
    "not a party": (_stage(participants=[5]), "participants[0]"),
    "slug of digits": (_stage(source="123"), "source"),
    "result unreadable": (
        _stage(results=[{"metric": "firearms", "as_reported": "many firearms"}]),
        "results[0].as_reported",
    ),
    "result version of nothing": (
        _stage(results=[{"metric": "firearms", "as_reported": "5", "version_of": 3}]),
        "results[0].version_of",
    ),
    "result version of another metric": (
        _stage(
            results=[
                {"metric": "firearms", "as_reported": "5"},
                {"metric": "ammunition", "as_reported": "6", "version_of": 0},
            ]
        ),
        "results[1].version_of",
    ),
    "seizure version of nothing": (
        _stage(
            seizure_versions=[
                {"of": 4, "quantity": "1 t", "source": "example-source", "locator": "x"}
            ]
        ),
        "seizure_versions[0].of",
    ),
    "seizure version ranked first": (
        _stage(
            seizure_versions=[
                {"of": 0, "quantity": "1 t", "source": "mvd-ksopn-15-years-2020", "locator": "¶8"}
            ]
        ),
        "seizure_versions[0].source",
    ),
    "seizure version of another measure": (
        _stage(
            new_source=UNRANKED,
            seizure_versions=[
                {"of": 0, "quantity": "5 l", "source": "press-ru-check", "locator": "x"}
            ],
        ),
        "seizure_versions[0].quantity",
    ),
    "inline source with a path": (
        _stage(new_source={**PRESS, "reference": "../notes/page.txt"}),
        "new_source.reference",
    ),
    "too long": (_stage(locator="x" * 301), "locator"),
}


def _assert_russian(english: Any, russian: Any, field: str | None = None) -> None:
    assert english.status_code == russian.status_code, (english.text, russian.text)
    en, ru = english.json(), russian.json()
    assert en["type"] == ru["type"]
    assert [e["name"] for e in en.get("errors", [])] == [e["name"] for e in ru.get("errors", [])]
    if field is not None:
        assert field in [e["name"] for e in ru["errors"]], ru
    prose = [ru["title"], ru["detail"], *(e["message"] for e in ru.get("errors", []))]
    found = {text: words for text in prose if (words := latin_prose(text))}
    assert not found, found
    assert russian.headers["content-language"] == "ru"


@pytest.mark.parametrize("case", sorted(STAGE_POSTS))
def test_a_refused_stage_post_in_russian(
    client: TestClient, editor: dict[str, str], case: str
) -> None:
    body, field = STAGE_POSTS[case]
    english = client.post(POST_STAGE, json=body, headers=editor)
    assert english.status_code == 422, english.text
    russian = client.post(POST_STAGE, json=body, headers={**editor, **RUSSIAN})
    _assert_russian(english, russian, field)


def _posted_stage(client: TestClient, editor: dict[str, str]) -> dict[str, Any]:
    made = client.post(POST_STAGE, json=_stage(), headers=editor)
    assert made.status_code == 201, made.text
    stage: dict[str, Any] = made.json()
    return stage


Request = Callable[[TestClient, dict[str, str], dict[str, Any], dict[str, str]], Any]


def _patch(
    path: Callable[[dict[str, Any]], str], body: Any, etag: str | None = "current"
) -> Request:
    """A PATCH of the URL `path` gives for the posted stage, with its ETag (or `etag`)."""

    def send(
        client: TestClient, editor: dict[str, str], stage: dict[str, Any], extra: dict[str, str]
    ) -> Any:
        url = path(stage)
        headers = {**editor, **extra}
        if etag == "current":
            headers["If-Match"] = client.get(url).headers["etag"]
        elif etag is not None:
            headers["If-Match"] = etag
        return client.patch(url, json=body, headers=headers)

    return send


def _post(path: Callable[[dict[str, Any]], str], body: Callable[[dict[str, Any]], Any]) -> Request:
    def send(
        client: TestClient, editor: dict[str, str], stage: dict[str, Any], extra: dict[str, str]
    ) -> Any:
        return client.post(path(stage), json=body(stage), headers={**editor, **extra})

    return send


def _stage_url(stage: dict[str, Any]) -> str:
    return f"/api/v1/stages/{stage['id']}"


def _report_url(index: int) -> Callable[[dict[str, Any]], str]:
    return lambda stage: f"/api/v1/seizures/{stage['seizures'][index]['id']}"


def _delete_total(
    client: TestClient, editor: dict[str, str], stage: dict[str, Any], extra: dict[str, str]
) -> Any:
    url = _report_url(0)(stage)
    return client.delete(
        url, headers={**editor, **extra, "If-Match": client.get(url).headers["etag"]}
    )


def _seizures_of(stage: dict[str, Any]) -> str:
    return f"/api/v1/stages/{stage['id']}/seizures"


CITED = {"source": "example-source", "locator": "example"}

# name -> a request on a posted stage (STAGE_EXAMPLE's) that breaks one rule.
CORRECTIONS: dict[str, Request] = {
    "no If-Match": _patch(_stage_url, {"name_en": "x"}, etag=None),
    "If-Match unquoted": _patch(_stage_url, {"name_en": "x"}, etag="abc"),
    "If-Match stale": _patch(_stage_url, {"name_en": "x"}, etag='"stale"'),
    "If-Match weak": _patch(_stage_url, {"name_en": "x"}, etag='W/"weak"'),
    "dates leave reports out": _patch(
        _stage_url, {"end_on": "2021-05-12", "start_on": "2021-05-11"}
    ),
    "dates reversed": _patch(_stage_url, {"end_on": "2021-05-01"}),
    "null for a required field": _patch(_stage_url, {"source": None}),
    "headquarters country unknown": _patch(_stage_url, {"headquarters": {"country": "XYZ"}}),
    "report quantity over its parent": _patch(_report_url(1), {"quantity": "3 t"}),
    "report period outside": _patch(_report_url(0), {"period_start": "2021-01-01"}),
    "report with parts deleted": _delete_total,
    "part of no report here": _post(
        _seizures_of,
        lambda s: {**CITED, "substance": "heroin", "quantity": "1 kg", "parent_id": 10**6},
    ),
    "version of no figure": _post(
        _seizures_of,
        lambda s: {**CITED, "substance": "heroin", "quantity": "1 kg", "alternative_to": 10**6},
    ),
    "version of another substance": _post(
        _seizures_of,
        lambda s: {
            **CITED,
            "substance": "opium",
            "quantity": "1 kg",
            "alternative_to": s["seizures"][0]["id"],
        },
    ),
    "organization with a source and no locator": _post(
        lambda s: "/api/v1/organizations",
        lambda s: {
            "slug": "ru-check-org",
            "name_en": "Org",
            "name_ru": "Орг",
            "kind": "international_organization",
            "source": "example-source",
        },
    ),
    "source slug taken": _post(
        lambda s: "/api/v1/sources", lambda s: {**PRESS, "slug": "example-source"}
    ),
    "stage number taken": _post(lambda s: POST_STAGE, lambda s: _stage()),
    "unknown stage": _patch(lambda s: "/api/v1/stages/999999", {"name_en": "x"}, etag='"x"'),
}


@pytest.mark.parametrize("case", sorted(CORRECTIONS))
def test_a_refused_correction_in_russian(
    client: TestClient, editor: dict[str, str], case: str
) -> None:
    stage = _posted_stage(client, editor)
    send = CORRECTIONS[case]
    english = send(client, editor, stage, {})
    assert english.status_code >= 400, english.text
    russian = send(client, editor, stage, RUSSIAN)
    _assert_russian(english, russian)


def test_keys_and_retries_in_russian(client: TestClient, editor: dict[str, str]) -> None:
    no_key = client.post(POST_STAGE, json=_stage(), headers=RUSSIAN)
    assert no_key.status_code == 401
    _assert_russian(client.post(POST_STAGE, json=_stage()), no_key)
    bad = {"Authorization": "Bearer nope"}
    _assert_russian(
        client.post(POST_STAGE, json=_stage(), headers=bad),
        client.post(POST_STAGE, json=_stage(), headers={**bad, **RUSSIAN}),
    )
    retry = {**editor, "Idempotency-Key": "ru-check-1"}
    assert client.post(POST_STAGE, json=_stage(), headers=retry).status_code == 201
    other = _stage(number=97)
    _assert_russian(
        client.post(POST_STAGE, json=other, headers=retry),
        client.post(POST_STAGE, json=other, headers={**retry, **RUSSIAN}),
    )
    not_json = {**editor, "Content-Type": "application/json"}
    _assert_russian(
        client.post(POST_STAGE, content=b"{nope", headers=not_json),
        client.post(POST_STAGE, content=b"{nope", headers={**not_json, **RUSSIAN}),
    )
