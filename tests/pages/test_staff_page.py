"""The staff form's page (/staff, app/pages/staff.py): served in both languages with every
text translated, its script external (the CSP runs nothing inline), every control labelled,
and the data-path of every control named as the API names its fields in errors. What the
form does in a browser is tests/system/test_staff_form_browser.py."""

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from jinja2.ext import babel_extract

from app.http.bodies import PartyIn
from app.main import create_app
from app.operations.schemas import ResultIn, SeizureVersionIn, StageCreate, StagePatch
from app.pages.i18n import LOCALE_DIR
from app.pages.staff import JS_MESSAGES, SOURCE_KINDS
from app.seizures.schemas import SeizureIn
from app.settings import Settings

PAGES_DIR = LOCALE_DIR.parent
TEMPLATE = PAGES_DIR / "templates" / "staff.html"
SCRIPT = PAGES_DIR / "static" / "staff.js"


class _Page(HTMLParser):
    """The elements of a page, each as (tag, attributes), and its scripts with their text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None
        self._text = ""

    @classmethod
    def of(cls, html: str) -> "_Page":
        page = cls()
        page.feed(html)
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag == "script":
            self._script, self._text = attributes, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, self._text))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text += data

    def having(self, attribute: str) -> list[dict[str, str]]:
        return [attrs for _tag, attrs in self.elements if attribute in attrs]

    def messages(self) -> dict[str, str]:
        (text,) = [text for attrs, text in self.scripts if attrs.get("id") == "staff-messages"]
        messages: dict[str, str] = json.loads(text)
        return messages


def _page(client: TestClient, url: str, **headers: str) -> _Page:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return _Page.of(response.text)


@pytest.mark.parametrize(
    ("url", "headers", "lang", "heading"),
    [
        ("/staff", {}, "en", "Staff form: stages"),
        ("/staff?lang=ru", {}, "ru", "Форма для сотрудников: этапы"),
        ("/staff", {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}, "ru", "Форма для сотрудников"),
        ("/staff?lang=en", {"Accept-Language": "ru"}, "en", "Staff form: stages"),
    ],
)
def test_the_form_in_the_language_asked_for(
    client: TestClient, url: str, headers: dict[str, str], lang: str, heading: str
) -> None:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-language"] == lang
    assert f'<html lang="{lang}">' in response.text
    assert heading in response.text
    page = _Page.of(response.text)
    assert [a["data-lang"] for a in page.having("data-lang")] == [lang]
    messages = page.messages()
    assert set(messages) == set(JS_MESSAGES)
    if lang == "ru":
        assert messages["numberTaken"] == "У этой операции уже есть этап с таким номером."
        assert "Add a seizure" not in response.text
    else:
        assert messages == JS_MESSAGES


def test_the_script_is_a_file_and_nothing_inline_runs(client: TestClient) -> None:
    response = client.get("/staff")
    page = _Page.of(response.text)
    sources = [attrs["src"] for attrs, _text in page.scripts if "src" in attrs]
    assert "/assets/staff.js" in sources
    inline = [attrs for attrs, _text in page.scripts if "src" not in attrs]
    assert inline == [{"type": "application/json", "id": "staff-messages"}]
    handlers = [
        (tag, name) for tag, attrs in page.elements for name in attrs if name.startswith("on")
    ]
    assert handlers == []
    assert "javascript:" not in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert not re.search(r"https?://", policy), policy
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", response.text)
    script = client.get("/assets/staff.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    # The script runs no strings as code and writes no markup from data.
    assert not re.search(
        r"\beval\(|new Function|innerHTML|outerHTML\s*=|document\.write", script.text
    )
    css = client.get("/assets/staff.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_no_cookie_and_the_key_only_in_session_storage(client: TestClient) -> None:
    response = client.get("/staff")
    assert "set-cookie" not in response.headers
    script = SCRIPT.read_text(encoding="utf-8")
    assert "sessionStorage" in script
    assert "localStorage" not in script
    assert "document.cookie" not in script
    assert 'credentials: "omit"' in script


def test_the_form_opens_without_a_key_when_reads_need_one(database_url: str) -> None:
    """The page holds no data; the key is typed into it."""
    app = create_app(Settings(database_url=database_url, require_key_for_reads=True))
    with TestClient(app) as client:
        assert client.get("/staff").status_code == 200
        assert client.get("/api/v1/countries").status_code == 401


def test_an_unknown_query_parameter_is_a_422_page(client: TestClient) -> None:
    response = client.get("/staff?lnag=ru")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "lnag" in response.text


def test_the_page_is_not_in_the_openapi_document(client: TestClient) -> None:
    assert "/staff" not in client.get("/openapi.json").json()["paths"]


# -- labels and the paths the API's errors name ---------------------------------------------


def test_every_control_is_labelled_and_grouped(client: TestClient) -> None:
    text = client.get("/staff").text
    page = _Page.of(text)
    labelled = {attrs["for"] for tag, attrs in page.elements if tag == "label" and "for" in attrs}
    controls = [attrs for tag, attrs in page.elements if tag in ("input", "select", "textarea")]
    assert controls
    for attrs in controls:
        if "data-name" in attrs:  # in a row template: the script gives it an id and a label
            continue
        assert attrs.get("id") in labelled, attrs
    # The rows' controls each sit in a .field with one label, which the script ties to them.
    for template in re.findall(r"<template[^>]*>(.*?)</template>", text, re.DOTALL):
        for field in re.findall(r'<div class="field">(.*?)</div>', template, re.DOTALL):
            assert field.count("<label") == 1, field
            assert len(re.findall(r"<(?:input|select|textarea)\b", field)) == 1, field
    assert text.count("<fieldset") == text.count("<legend")
    assert 'role="alert"' in text
    assert 'aria-live="polite"' in text


def _paths(attrs: list[dict[str, str]], key: str) -> set[str]:
    return {a[key] for a in attrs}


def _fields(paths: set[str]) -> set[str]:
    """The body's own fields the paths name: `headquarters.city_ru` is in `headquarters`."""
    return {re.split(r"[.\[]", path)[0] for path in paths}


def test_the_paths_of_the_controls_are_the_api_s_field_names(client: TestClient) -> None:
    """An error's `name` (`seizures[0].parts[1].quantity`) finds its control by data-path:
    the static ones name StageCreate's and StagePatch's fields (or fields inside them, as
    `headquarters.city_ru` and `new_source.url`), the rows' SeizureIn's, PartyIn's,
    ResultIn's and SeizureVersionIn's (the script prefixes them with the row's path)."""
    page = _Page.of(client.get("/staff").text)
    new_form = [
        attrs
        for attrs in page.having("data-path")
        if attrs.get("id", "").startswith(("new-", "ns-")) and "data-field" not in attrs
    ]
    create_fields = set(StageCreate.model_fields)
    assert _fields(_paths(new_form, "data-path")) - {"operation"} <= create_fields
    assert {"number", "source", "locator", "start_on", "end_on", "name_ru", "headquarters"} <= (
        _paths(new_form, "data-path") | _fields(_paths(new_form, "data-path"))
    )
    inline_source = {p.split(".", 1)[1] for p in _paths(new_form, "data-path") if "." in p}
    assert {"url", "title", "publisher", "published", "language", "kind"} <= inline_source
    lists = _paths(page.having("data-list"), "data-list")
    assert lists == {
        "participants",
        "observers",
        "seizures",
        "parts",
        "results",
        "seizure_versions",
    }
    assert lists - {"parts"} <= create_fields
    assert "parts" in SeizureIn.model_fields
    edit_form = page.having("data-field")
    assert _fields(_paths(edit_form, "data-path")) == set(StagePatch.model_fields) - {"name"}
    assert all(
        a["data-field"] == a["data-path"] or a["data-path"].startswith("headquarters.")
        for a in edit_form
    )
    row_names = _paths(page.having("data-name"), "data-name") - {"."}
    assert row_names <= (
        set(SeizureIn.model_fields)
        | set(PartyIn.model_fields)
        | set(ResultIn.model_fields)
        | set(SeizureVersionIn.model_fields)
    )
    assert {"substance", "quantity", "country", "cases", "detail", "metric", "of"} <= row_names


# -- every text in both languages -------------------------------------------------------------


def _template_messages() -> list[str]:
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    with TEMPLATE.open("rb") as handle:
        return [str(m[2]) for m in babel_extract(handle, ["_", "gettext"], [], options)]


def _catalog(lang: str) -> Catalog:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "staff.po").open("rb") as handle:
        return read_po(handle, locale=lang)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_staff_po_has_every_text_of_the_page_and_no_other(lang: str) -> None:
    used = set(_template_messages()) | set(JS_MESSAGES.values()) | set(SOURCE_KINDS.values())
    catalog = _catalog(lang)
    entries = {str(m.id): m for m in catalog if m.id}
    assert set(entries) == used
    untranslated = sorted(i for i, m in entries.items() if not m.string or m.fuzzy)
    assert untranslated == []
    for message_id, message in entries.items():  # the script fills in the same {names}
        assert set(re.findall(r"\{\w+\}", str(message.string))) == set(
            re.findall(r"\{\w+\}", message_id)
        ), message_id
    if lang == "ru":
        same = sorted(i for i, m in entries.items() if m.string == i)
        assert same == []
        assert all(not re.search(r"[<>%]", str(m.string)) for m in entries.values())


def test_every_message_the_script_asks_for_is_on_the_page() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    asked = set(re.findall(r'\bt\(\s*"(\w+)"', script))
    for first, second in re.findall(r'\bt\([^()]*?\?\s*"(\w+)"\s*:\s*"(\w+)"', script):
        asked |= {first, second}  # t(a ? "x" : "y")
    asked |= set(re.findall(r'data-row-label="(\w+)"', TEMPLATE.read_text(encoding="utf-8")))
    assert asked <= set(JS_MESSAGES), asked - set(JS_MESSAGES)
    # and each message is asked for somewhere
    unused = {key for key in JS_MESSAGES if f'"{key}"' not in script and key not in asked}
    assert unused == set()


def test_the_script_parses() -> None:
    """A syntax error would leave a dead form; node checks it when it is installed."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    run = subprocess.run([node, "--check", str(SCRIPT)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_the_form_asks_the_api_for_its_own_language() -> None:
    """Issue 22, point 22: the form's refusals come from the API; the script asks for them
    in the page's language, so a Russian form does not show 'Не принято: the parts of ...'."""
    script = SCRIPT.read_text(encoding="utf-8")
    assert '"Accept-Language": document.documentElement.lang' in script
