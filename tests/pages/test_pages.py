"""The pages for people (app/pages/): status, languages, the figures equal the API's, errors
as pages, the charts as images, and every message translated."""

import base64
import copy
import hashlib
import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from babel.messages.extract import extract_from_dir
from fastapi.testclient import TestClient

from app.operations.schemas import STAGE_EXAMPLE
from app.pages import service, templating
from app.pages.i18n import LOCALE_DIR, from_accept_language, translations

PAGES_DIR = LOCALE_DIR.parent


def _stage(number: int, start: str, end: str, seizures: list[Any], **more: Any) -> dict[str, Any]:
    body = copy.deepcopy(STAGE_EXAMPLE)
    body.update(number=number, start_on=start, end_on=end, seizures=seizures, **more)
    return body


@pytest.fixture
def stages(client: TestClient, editor: dict[str, str]) -> list[int]:
    """Two more stages: 2021 (mass with parts), 2018 (mass, volume and a count)."""
    ids = []
    for body in (
        STAGE_EXAMPLE,
        _stage(
            91,
            "2018-06-01",
            "2018-06-10",
            [
                {"substance": "heroin", "quantity": "12 kg 300 g", "country": "RUS"},
                {"substance": "hashish", "quantity": "about 40 kg", "country": "KGZ"},
                {"substance": "opium", "quantity": "5 l", "country": "RUS"},
                {"substance": "synthetic-drugs", "quantity": "300 pcs", "country": "KAZ"},
            ],
            name="Channel 2018",
            lead_country="RUS",
        ),
    ):
        response = client.post("/api/v1/operations/channel/stages", json=body, headers=editor)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


class _Figures(HTMLParser):
    """The rows of the front page's figures table: their data attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and "figure" in (found.get("class") or "").split():
            self.rows.append({k.removeprefix("data-"): v or "" for k, v in found.items()})


def _shown(html: str) -> list[tuple[str, ...]]:
    parser = _Figures()
    parser.feed(html)
    return sorted(
        (r["section"], r["period"], r["substance"], r["unit-kind"], r["amount"], r["qualifier"],
         r["unspecified"], r["estimated"])
        for r in parser.rows
    )  # fmt: skip


def _from_api(body: dict[str, Any]) -> list[tuple[str, ...]]:
    lines = []
    for section in ("groups", "beyond_window"):
        for line in body[section]:
            period = (
                str(line["year"])
                if section == "groups"
                else f"{line['period_start']}/{line['period_end']}"
            )
            lines.append(
                (section, period, line["substance"]["slug"], line["unit_kind"],
                 str(line["amount"]), line["qualifier"], str(line["unspecified"]).lower(),
                 str(line["estimated"]).lower())
            )  # fmt: skip
    return sorted(lines)


FILTERS = [
    {},
    {"allocate": "pro_rata"},
    {"from": "2018-01-01", "to": "2018-12-31"},
    {"from": "2017-01-01", "to": "2019-12-31", "allocate": "pro_rata"},
    {"substance": "opioids"},
    {"substance": "cannabis", "country": "KGZ"},
    {"operation": "channel", "stage": "channel-91"},
    {"country": "RUS", "unit_kind": "volume"},
    {"from": "2020-01-01"},
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: urlencode(f) or "none")
@pytest.mark.usefixtures("stages")
def test_the_figures_shown_are_the_apis(client: TestClient, filters: dict[str, str]) -> None:
    query = urlencode(filters)
    page = client.get(f"/?{query}")
    assert page.status_code == 200, page.text
    api = client.get(f"/api/v1/seizures/totals?group_by=year,substance&{query}")
    assert api.status_code == 200, api.text
    assert _shown(page.text) == _from_api(api.json())
    assert _shown(page.text) or filters == {"from": "2020-01-01", "to": "2020-12-31"}


@pytest.mark.usefixtures("stages")
def test_the_download_links_carry_the_same_filters(client: TestClient) -> None:
    page = client.get("/?substance=opioids&from=2018-01-01&lang=ru").text
    assert (
        'href="/api/v1/seizures/totals.csv?group_by=year%2Csubstance&amp;substance=opioids'
        '&amp;from=2018-01-01"' in page
    )
    assert 'href="/api/v1/seizures.csv?substance=opioids&amp;from=2018-01-01"' in page
    assert 'href="/api/v1/seizures.ndjson?substance=opioids&amp;from=2018-01-01"' in page
    for link in re.findall(r'href="(/(?:api/v1|charts)/[^"]+)"', page):
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, (link, response.text[:300])


def test_the_empty_choices_of_the_form_are_dropped(client: TestClient) -> None:
    response = client.get(
        "/?lang=ru&from=&to=2018-12-31&substance=opioids&country=&stage=",
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/?lang=ru&to=2018-12-31&substance=opioids"
    assert client.get("/?country=", follow_redirects=False).headers["location"] == "/"


def test_the_front_page_in_both_languages(client: TestClient) -> None:
    english = client.get("/")
    assert english.status_code == 200
    assert english.headers["content-language"] == "en"
    assert '<html lang="en">' in english.text
    assert "more than 67,600 kg" in english.text
    assert "48,988 kg" in english.text
    russian = client.get("/?lang=ru")
    assert russian.headers["content-language"] == "ru"
    assert "более 67\u00a0600 кг" in russian.text
    assert "Изъятия: общая картина" in russian.text
    # the language switch keeps the URL
    assert 'href="/?substance=opium&amp;lang=ru"' in client.get("/?substance=opium").text


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("en-GB,en;q=0.9", "en"),
        ("de-DE,ru;q=0.5,en;q=0.7", "en"),
        ("fr", "en"),
        ("", "en"),
    ],
)
def test_accept_language_chooses_unless_lang_is_given(
    client: TestClient, header: str, expected: str
) -> None:
    page = client.get("/methods", headers={"Accept-Language": header})
    assert page.headers["content-language"] == expected
    other = "en" if expected == "ru" else "ru"
    forced = client.get(f"/methods?lang={other}", headers={"Accept-Language": header})
    assert forced.headers["content-language"] == other


def test_accept_language_quality_values() -> None:
    assert from_accept_language("en;q=0.2, ru;q=0.8") == "ru"
    assert from_accept_language("ru;q=0") is None
    assert from_accept_language("*") is None


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/?substnce=opium", "substnce"),
        ("/?year=2018&year=2019", "year"),
        ("/?substance=no-such-thing", "substance"),
        ("/?lang=de", "lang"),
        ("/methods?bogus=1", "bogus"),
        ("/charts/seizures.svg?colour=red", "colour"),
        ("/operations/channel?x=1", "x"),
    ],
)
def test_a_bad_query_is_a_page_naming_the_parameter(
    client: TestClient, url: str, parameter: str
) -> None:
    response = client.get(url, headers={"Accept-Language": "ru"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert f"<code>{parameter}</code>" in response.text
    assert "Проверьте эти параметры запроса" in response.text


@pytest.mark.parametrize(
    "url",
    ["/operations/nope", "/stages/999999", "/countries/XYZ", "/sources/no-such-source"],
)
def test_unknown_entities_are_404_pages(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text


def test_entity_pages(client: TestClient, stages: list[int]) -> None:
    operation = client.get("/operations/channel?lang=ru")
    assert operation.status_code == 200
    assert "Канал" in operation.text
    assert "Channel" in operation.text
    assert f'href="/stages/{stages[1]}?lang=ru"' in operation.text
    assert "региональная антинаркотическая операция постоянного действия" in operation.text
    assert '<dt>Источник</dt><dd><a href="/sources/mvd-ksopn-15-years-2020?lang=ru">' in (
        operation.text
    )
    stage = client.get(f"/stages/{stages[1]}")
    assert stage.status_code == 200
    assert "12.3 kg" in stage.text
    example = client.get(f"/stages/{stages[0]}?lang=ru").text
    for russian, english in (("Казахстан", "Kazakhstan"), ("Иран", "Iran")):
        assert russian in example, russian  # each party with both its names
        assert english in example, english
    assert "Управление Организации Объединённых Наций по наркотикам" in example
    # the stage's citation and each party's, as the API nests them
    english = client.get(f"/stages/{stages[0]}").text
    assert '<dt>Source</dt><dd><a href="/sources/example-source?lang=en">' in english
    assert english.count('participant — <a href="/sources/example-source') == 4
    assert "about 40 kg" in stage.text
    assert "5 l" in stage.text
    country = client.get("/countries/kaz")
    assert country.status_code == 200
    assert "Kazakhstan" in country.text
    assert "Казахстан" in country.text
    assert "Channel, stage 90" in country.text  # its role in the stage
    source = client.get("/sources/mvd-ksopn-15-years-2020")
    assert source.status_code == 200
    assert "¶8" in source.text
    assert 'href="/operations/channel?lang=en"' in source.text


def test_search_uses_the_apis_q(client: TestClient) -> None:
    page = client.get("/search?q=канал")
    assert page.status_code == 200
    assert 'href="/operations/channel?lang=en"' in page.text
    hashish = client.get("/search?q=cannabis resin&lang=ru").text
    assert "Гашиш" in hashish


def test_methods_reads_the_example_from_the_database(client: TestClient) -> None:
    page = client.get("/methods").text
    assert "more than 67,600 kg" in page
    assert '“<span class="quoted">more than 67 tons of 600 kg</span>”' in page
    assert "48,988 kg" in page
    # the pro-rata shares add up to the stated total, to the gram
    shares = [int(a) for a in re.findall(r'<tr data-amount="(\d+)">', page)]
    assert sum(shares) == 67_600_000
    assert len(shares) == 3


def test_methods_computes_its_example_once_per_data_version(
    client: TestClient, editor: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example's four totals are kept by data version: asked again, the page reuses
    them; after a write, it computes them again (a kept example is never stale)."""
    calls = []
    computed = service.multi_year_example

    def counted(session: Any) -> Any:
        calls.append(1)
        return computed(session)

    monkeypatch.setattr(service, "multi_year_example", counted)
    first, again = client.get("/methods").text, client.get("/methods").text
    assert len(calls) == 1
    assert first == again
    assert (
        client.post(
            "/api/v1/operations/channel/stages", json=STAGE_EXAMPLE, headers=editor
        ).status_code
        == 201
    )
    client.get("/methods")
    assert len(calls) == 2


@pytest.mark.usefixtures("stages")
def test_the_chart_images(client: TestClient) -> None:
    svg = client.get("/charts/seizures.svg?lang=ru")
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<?xml")
    assert 'role="img"' in svg.text
    assert "<title" in svg.text
    assert "<desc" in svg.text
    assert "2017–2019" in svg.text  # the multi-year span's label
    volume = client.get("/charts/seizures.svg?unit_kind=volume").text
    assert "litres" in volume
    png = client.get("/charts/seizures.png?from=2018-01-01&to=2018-12-31")
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.usefixtures("stages")
def test_each_unit_kind_has_its_own_chart(client: TestClient) -> None:
    page = client.get("/").text
    assert list(re.findall(r'<figure class="chart" data-unit-kind="(\w+)"', page)) == [
        "mass",
        "volume",
        "count",
    ]
    assert page.count('role="img"') == 6  # each drawn wide for a page and narrow for a phone


def test_the_pro_rata_view_is_marked_an_estimate(client: TestClient) -> None:
    plain = client.get("/").text
    assert 'href="/?allocate=pro_rata"' in plain
    assert 'id="estimate-note"' not in plain
    shared = client.get("/?allocate=pro_rata").text
    assert 'id="estimate-note"' in shared
    assert 'data-estimated="true"' in shared


def test_a_script_injected_into_a_page_is_not_in_its_policy(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The policy hashed every inline script of the page as rendered, so a script injected
    into it (a template showing text unescaped, say) was allowed to run."""
    injected = "alert(document.domain)"
    rendered = templating.render

    def with_a_script(name: str, lang: str, context: Any) -> str:
        return rendered(name, lang, context).replace(
            "</main>", f"<script>{injected}</script></main>"
        )

    monkeypatch.setattr(templating, "render", with_a_script)
    for url in ("/methods", "/staff"):
        response = client.get(url)
        assert f"<script>{injected}</script>" in response.text
        policy = response.headers["content-security-policy"]
        digest = base64.b64encode(hashlib.sha256(injected.encode()).digest()).decode()
        assert digest not in policy
        assert "script-src 'self';" in policy


def test_pages_have_a_strict_policy_and_no_remote_origin(client: TestClient) -> None:
    for url in ("/", "/methods", "/operations/channel", "/?lang=ru&allocate=pro_rata"):
        response = client.get(url)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy
        assert "style-src 'self';" in policy
        assert "http" not in policy
        assert not re.search(r'(?:src|href)="(?:https?:)?//', response.text), url
        assert "<script" not in response.text
        assert " style=" not in response.text


def test_static_files(client: TestClient) -> None:
    css = client.get("/assets/pages.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_pages_are_not_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if not path.startswith("/api/") and path != "/healthz"]


def _used_msgids() -> set[str | tuple[str, str]]:
    """Every message of the pages' code and templates (the staff form's too: the catalogs
    are merged), extracted as `make messages` does."""
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        PAGES_DIR, method_map, options
    ):
        found.add(tuple(message[:2]) if isinstance(message, tuple) else message)  # type: ignore[arg-type]
    return found


def test_every_message_has_a_russian_translation() -> None:
    used = _used_msgids()
    assert "Seizures at a glance" in used
    assert "%(name)s, not itemized" in used  # from the code (charts.py), not a template
    russian = translations("ru")
    untranslated = sorted(
        str(message)
        for message in used
        if (
            russian.ngettext(message[0], message[1], 5) == message[1]
            if isinstance(message, tuple)
            else russian.gettext(message) == message
        )
    )
    assert untranslated == []


def test_an_invented_figure_never_stands_under_a_real_source(
    client: TestClient, stages: list[int]
) -> None:
    """Issue 22, point 10: the docs' example stage cites the seeded example source, which the
    API marks as such and every page citing it labels, in both languages."""
    assert STAGE_EXAMPLE["source"] == "example-source"
    source = client.get(f"/api/v1/sources/{STAGE_EXAMPLE['source']}").json()
    assert source["example"] is True
    assert "example" in source["title"].lower()
    real = client.get("/api/v1/sources/mvd-ksopn-15-years-2020").json()
    assert real["example"] is False
    labels = {"en": "an example, not a real source", "ru": "пример, а не настоящий источник"}
    for lang, label in labels.items():
        for path in ("/", f"/stages/{stages[0]}", "/operations/channel", "/countries/KAZ"):
            page = client.get(f"{path}?lang={lang}").text
            cited = page.count('href="/sources/example-source')
            assert cited > 0, path
            assert page.count(f'<strong class="example-source">({label})</strong>') == cited, path
        page = client.get(f"/sources/example-source?lang={lang}").text
        assert 'class="example-source"' in page
    # the real source's own page carries no such label
    assert 'class="example-source"' not in client.get("/sources/mvd-ksopn-15-years-2020").text


def test_the_readme_staff_example_cites_the_example_source(client: TestClient) -> None:
    """Issue 22, point 10: the README's walk-through, run as written, puts its made-up
    figures under the example source, never under a real one."""
    readme = (PAGES_DIR.parents[1] / "README.md").read_text(encoding="utf-8")
    body = json.loads(readme.split("cat > stage.json <<'JSON'\n", 1)[1].split("\nJSON\n", 1)[0])
    source = client.get(f"/api/v1/sources/{body['source']}").json()
    assert source["example"] is True
