"""The staff form (/staff) in a real browser (Debian's Chromium, driven by Playwright) against
a real server process: it posts stages through the JSON API, shows the API's errors next to
the fields they name, never creates a stage twice, and says so when a correction is stale.

Every request the page makes to anywhere but 127.0.0.1 is blocked and recorded, and each
test asserts there were none.
"""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.system.live import ServerProcess, every_item, prepare_database

CHROMIUM = "/usr/bin/chromium"
SOURCE = "mvd-ksopn-15-years-2020"

try:
    from playwright.sync_api import Browser, Page, Playwright, Route, expect, sync_playwright
except ImportError:  # pragma: no cover - playwright is a dev dependency
    sync_playwright = None  # type: ignore[assignment]


def _why_not_runnable() -> str | None:
    if sync_playwright is None:
        return "playwright is not installed"
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} is missing: `make browser` installs it"
    return None


@pytest.fixture(scope="module", autouse=True)
def _browser_available() -> None:
    if reason := _why_not_runnable():
        # CI sets it, so a missing browser fails there instead of passing unnoticed.
        if os.environ.get("KSOPN_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)


@dataclass
class Live:
    url: str
    editor: dict[str, str]
    api: httpx.Client

    @property
    def key(self) -> str:
        return self.editor["Authorization"].removeprefix("Bearer ")

    def stages(self) -> list[dict[str, Any]]:
        return every_item(self.api, "/api/v1/stages")

    def post_stage(self, number: int, **fields: Any) -> dict[str, Any]:
        body = {"number": number, "source": SOURCE, "locator": "¶8", **fields}
        response = self.api.post(
            "/api/v1/operations/channel/stages", json=body, headers=self.editor
        )
        assert response.status_code == 201, response.text
        stage: dict[str, Any] = response.json()
        return stage


@pytest.fixture(scope="module")
def live(new_database: Callable[[], str]) -> Iterator[Live]:
    database_url = new_database()
    editor = prepare_database(database_url)
    with (
        ServerProcess(database_url) as server,
        httpx.Client(base_url=server.url, timeout=30, trust_env=False) as api,
    ):
        yield Live(server.url, editor, api)


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    with sync_playwright() as playwright:
        yield _launch(playwright)


def _launch(playwright: "Playwright") -> "Browser":
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--no-proxy-server"],
    )


@dataclass
class Requests:
    outside: list[str] = field(default_factory=list)
    posts: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def requests() -> Requests:
    return Requests()


@pytest.fixture
def page(browser: "Browser", live: Live, requests: Requests) -> Iterator["Page"]:
    yield from _page(browser, live, requests, {"width": 1100, "height": 900})


def _page(browser: "Browser", live: Live, requests: Requests, viewport: Any) -> Iterator["Page"]:
    context = browser.new_context(viewport=viewport, service_workers="block")

    def guard(route: "Route") -> None:
        request = route.request
        if urlsplit(request.url).hostname != "127.0.0.1":
            requests.outside.append(request.url)
            route.abort()
            return
        if request.method == "POST":
            requests.posts.append(request.headers)
        route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()
    assert requests.outside == [], requests.outside


def _open(page: "Page", live: Live, lang: str = "en") -> None:
    """The form, with the key entered and the lists loaded."""
    page.goto(f"{live.url}/staff?lang={lang}")
    page.fill("#api-key", live.key)
    page.click("#key-save")
    expect(page.locator("#new-operation option[value='channel']")).to_have_count(1)
    expect(page.locator(f"#new-source option[value='{SOURCE}']")).to_have_count(1)
    page.select_option("#new-operation", "channel")


def _fill_stage(page: "Page", number: int) -> None:
    page.fill("#new-number", str(number))
    page.fill("#new-name-en", f"Channel test {number}")
    page.fill("#new-start", "2021-05-10")
    page.fill("#new-end", "2021-05-21")
    page.select_option("#new-lead", "KAZ")
    page.select_option("#new-source", SOURCE)
    page.fill("#new-locator", "¶8")


def _add_row(page: "Page", list_name: str, add: str) -> Any:
    """Clicks an add button of a list; the new row's locator."""
    rows = page.locator(f"[data-list='{list_name}'] > .rows > [data-row]")
    before = rows.count()
    page.locator(f"[data-list='{list_name}'] > .actions [data-add='{add}']").click()
    expect(rows).to_have_count(before + 1)
    return rows.nth(before)


def _fill_seizure_with_parts(page: "Page", bad_part_quantity: str | None = None) -> None:
    seizure = _add_row(page, "seizures", "seizure")
    seizure.locator("[data-name='substance']").select_option("controlled-substances")
    seizure.locator("[data-name='quantity']").fill("более 2 т")
    seizure.locator("[data-name='country']").select_option("KAZ")
    seizure.locator("[data-name='cases']").fill("120")
    add_part = seizure.locator("[data-add='part']")
    for substance, quantity in (
        ("hashish", "1 t 200 kg"),
        ("heroin", bad_part_quantity or "85.5 kg"),
    ):
        add_part.click()
        part = seizure.locator("[data-list='parts'] > .rows > [data-row]").last
        part.locator("[data-name='substance']").select_option(substance)
        part.locator("[data-name='quantity']").fill(quantity)


def _control(page: "Page", path: str) -> Any:
    return page.locator(f"#stage-form [data-path='{path}']")


def _error_of(page: "Page", control: Any) -> str:
    """The text of the error a control's aria-describedby names (the first that is one)."""
    assert control.get_attribute("aria-invalid") == "true"
    for ident in (control.get_attribute("aria-describedby") or "").split():
        node = page.locator(f"#{ident}")
        if "error" in (node.get_attribute("class") or ""):
            return str(node.inner_text())
    raise AssertionError("no error is described for the control")


def test_posts_a_stage_with_parts_and_shows_the_created_stage(
    page: "Page", live: Live, requests: Requests
) -> None:
    before = len(live.stages())
    _open(page, live)
    _fill_stage(page, 301)
    page.click("[data-add-members]")  # every current member state, one row each
    participants = page.locator("[data-list='participants'] > .rows > [data-row]")
    expect(participants).to_have_count(6)
    first = participants.first.locator("[data-name='detail']")
    first.fill("Ministry of Internal Affairs")
    observer = _add_row(page, "observers", "party")
    observer.locator("select").select_option("unodc")
    _fill_seizure_with_parts(page)

    page.click("#stage-submit")

    created = page.locator("#created")
    expect(created).to_be_visible()
    expect(page.locator("#created-heading")).to_contain_text("stage 301 of Channel")
    expect(created).to_contain_text("более 2 т")
    expect(created).to_contain_text("including Hashish: 1 t 200 kg")
    expect(created).to_contain_text("United Nations Office on Drugs and Crime")
    expect(page.locator("#staff-status")).to_contain_text("Stage 301 of Channel was created.")

    stages = live.stages()
    assert len(stages) == before + 1
    made = next(s for s in stages if s["number"] == 301)
    link = page.locator("#created-link").get_attribute("href")
    assert link == f"/api/v1/stages/{made['id']}"
    public = page.locator("#created-page").get_attribute("href")
    assert public == f"/stages/{made['id']}?lang=en"
    assert live.api.get(public).status_code != 404  # the pages' own tests check the page
    stage = live.api.get(link).json()
    assert stage["lead_country"] == "KAZ"
    assert stage["start_on"] == "2021-05-10"
    assert [p["party"]["iso3"] for p in stage["participants"]] == [
        "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK",
    ]  # fmt: skip
    assert stage["participants"][0]["party_detail"] == "Ministry of Internal Affairs"
    assert [o["party"]["slug"] for o in stage["observers"]] == ["unodc"]
    reports = {r["as_reported"]: r for r in stage["seizures"]}
    assert set(reports) == {"более 2 т", "1 t 200 kg", "85.5 kg"}
    parent = reports["более 2 т"]
    assert parent["qualifier"] == "at_least"
    assert parent["cases"] == 120
    assert reports["1 t 200 kg"]["parent_id"] == parent["id"]
    assert reports["85.5 kg"]["quantity_grams"] == 85_500
    # The post carried an Idempotency-Key, and the key never left this tab's sessionStorage.
    assert len(requests.posts) == 1
    assert requests.posts[0].get("idempotency-key")
    assert page.evaluate("document.cookie") == ""
    assert page.context.cookies() == []


def test_a_taken_number_shows_the_409_next_to_the_number_in_russian(
    page: "Page", live: Live
) -> None:
    live.post_stage(302)
    before = len(live.stages())
    _open(page, live, "ru")
    _fill_stage(page, 302)
    _fill_seizure_with_parts(page)

    page.click("#stage-submit")

    number = page.locator("#new-number")
    expect(number).to_have_attribute("aria-invalid", "true")
    message = _error_of(page, number)
    assert "У этой операции уже есть этап с таким номером." in message
    summary = page.locator("#stage-form .error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("Ничего не сохранено")
    expect(number).to_be_focused()
    # Nothing is lost from the form, and nothing was created.
    assert number.input_value() == "302"
    assert _control(page, "seizures[0].parts[1].quantity").input_value() == "85.5 kg"
    assert len(live.stages()) == before
    expect(page.locator("#created")).to_be_hidden()


def test_a_bad_quantity_shows_the_422_next_to_that_quantity(page: "Page", live: Live) -> None:
    before = len(live.stages())
    _open(page, live)
    _fill_stage(page, 303)
    _fill_seizure_with_parts(page, bad_part_quantity="lots")

    page.click("#stage-submit")

    quantity = _control(page, "seizures[0].parts[1].quantity")
    expect(quantity).to_have_attribute("aria-invalid", "true")
    assert "cannot read 'lots'" in _error_of(page, quantity)
    for path in ("seizures[0].quantity", "seizures[0].parts[0].quantity", "number"):
        assert _control(page, path).get_attribute("aria-invalid") is None
    assert quantity.input_value() == "lots"
    assert _control(page, "seizures[0].parts[0].quantity").input_value() == "1 t 200 kg"
    assert len(live.stages()) == before

    # Corrected, the same form posts.
    quantity.fill("85.5 kg")
    page.click("#stage-submit")
    expect(page.locator("#created")).to_be_visible()
    assert quantity.get_attribute("aria-invalid") is None
    assert len(live.stages()) == before + 1


def test_the_period_is_checked_before_anything_is_sent(
    page: "Page", live: Live, requests: Requests
) -> None:
    _open(page, live)
    _fill_stage(page, 304)
    page.fill("#new-end", "2021-05-01")
    page.click("#stage-submit")
    end = page.locator("#new-end")
    expect(end).to_have_attribute("aria-invalid", "true")
    assert "The end is before the start." in _error_of(page, end)
    assert requests.posts == []


def test_a_double_click_creates_one_stage(page: "Page", live: Live, requests: Requests) -> None:
    before = len(live.stages())
    _open(page, live)
    _fill_stage(page, 305)
    page.dblclick("#stage-submit")
    expect(page.locator("#created")).to_be_visible()
    page.wait_for_timeout(500)  # a second post, if there were one, would have gone by now
    assert len(live.stages()) == before + 1
    assert len({headers["idempotency-key"] for headers in requests.posts}) == 1


def test_a_retry_after_a_lost_answer_creates_one_stage(
    page: "Page", live: Live, requests: Requests
) -> None:
    """The server creates the stage but its answer is lost; sent again, the same
    Idempotency-Key gets the first answer, and there is still one stage."""
    before = len(live.stages())
    _open(page, live)
    _fill_stage(page, 306)

    def lose_answer(route: "Route") -> None:
        requests.posts.append(route.request.headers)
        route.fetch()  # the server does the work ...
        route.abort("connectionreset")  # ... and the page never hears of it

    page.route("**/api/v1/operations/channel/stages", lose_answer, times=1)
    page.click("#stage-submit")
    summary = page.locator("#stage-form .error-summary")
    expect(summary).to_contain_text("The server did not answer")
    assert len(live.stages()) == before + 1

    page.click("#stage-submit")
    expect(page.locator("#created")).to_be_visible()
    expect(page.locator("#created-replayed")).to_be_visible()
    assert len(live.stages()) == before + 1
    keys = [headers["idempotency-key"] for headers in requests.posts]
    assert len(keys) == 2
    assert keys[0] == keys[1]

    # A change to the form is a new request, with a new key.
    page.fill("#new-number", "307")
    page.click("#stage-submit")
    expect(page.locator("#created-heading")).to_contain_text("stage 307")
    assert requests.posts[-1]["idempotency-key"] != keys[0]
    assert len(live.stages()) == before + 2


def test_a_stale_correction_shows_the_412_and_reloads(page: "Page", live: Live) -> None:
    stage = live.post_stage(310, name="Before")
    _open(page, live)
    page.fill("#load-id", str(stage["id"]))
    page.click("#load-submit")
    expect(page.locator("#edit-form")).to_be_visible()
    expect(page.locator("#edit-name-en")).to_have_value("Before")

    # Someone else corrects the stage meanwhile.
    current = live.api.get(f"/api/v1/stages/{stage['id']}")
    changed = live.api.patch(
        f"/api/v1/stages/{stage['id']}",
        json={"name": "Theirs"},
        headers={**live.editor, "If-Match": current.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text

    page.fill("#edit-name-en", "Mine")
    page.click("#edit-save")
    stale = page.locator("#stale")
    expect(stale).to_be_visible()
    expect(stale).to_have_attribute("role", "alert")
    expect(stale).to_contain_text("Someone else changed this stage after you loaded it")
    expect(page.locator("#edit-name-en")).to_have_value("Mine")  # the edit is still there
    assert live.api.get(f"/api/v1/stages/{stage['id']}").json()["name"] == "Theirs"

    page.click("#stale-reload")
    expect(page.locator("#edit-name-en")).to_have_value("Theirs")
    edits = page.locator("#your-edits")
    expect(edits).to_be_visible()
    expect(edits.locator("tbody tr")).to_have_count(1)
    expect(edits.locator("tbody tr")).to_contain_text("Mine")
    expect(stale).to_be_hidden()

    # Applied again on the current version, the edit is saved.
    page.fill("#edit-name-en", "Mine")
    page.click("#edit-save")
    expect(page.locator("#staff-status")).to_contain_text("Saved: stage 310.")
    assert live.api.get(f"/api/v1/stages/{stage['id']}").json()["name"] == "Mine"


def test_a_correction_and_a_delete(page: "Page", live: Live) -> None:
    live.post_stage(311)
    stage = live.post_stage(312, start_on="2021-01-01", end_on="2021-01-31")
    _open(page, live)
    page.fill("#load-id", str(stage["id"]))
    page.click("#load-submit")
    expect(page.locator("#edit-number")).to_have_value("312")

    # A taken number is a 409 next to the number; the dates are checked before sending.
    page.fill("#edit-number", "311")
    page.click("#edit-save")
    number = page.locator("#edit-number")
    expect(number).to_have_attribute("aria-invalid", "true")
    assert "already has a stage with this number" in _error_of(page, number)

    page.fill("#edit-number", "313")
    page.fill("#edit-end", "")
    page.select_option("#edit-lead", "KGZ")
    page.click("#edit-save")
    expect(page.locator("#staff-status")).to_contain_text("Saved: stage 313.")
    saved = live.api.get(f"/api/v1/stages/{stage['id']}").json()
    assert (saved["number"], saved["end_on"], saved["lead_country"]) == (313, None, "KGZ")

    before = len(live.stages())
    page.click("#edit-delete")
    expect(page.locator("#delete-question")).to_contain_text("Delete stage 313 of Channel")
    page.click("#delete-yes")
    expect(page.locator("#staff-status")).to_contain_text("Stage 313 of Channel was deleted.")
    expect(page.locator("#edit-form")).to_be_hidden()
    assert live.api.get(f"/api/v1/stages/{stage['id']}").status_code == 404
    assert len(live.stages()) == before - 1


def test_the_key_is_kept_only_in_the_tab_and_can_be_forgotten(page: "Page", live: Live) -> None:
    _open(page, live)
    assert page.evaluate("sessionStorage.getItem('ksopn.staff.apiKey')") == live.key
    expect(page.locator("#key-forget")).to_be_enabled()
    page.click("#key-forget")
    assert page.evaluate("sessionStorage.length") == 0
    expect(page.locator("#key-forget")).to_be_disabled()
    expect(page.locator("#api-key")).to_be_focused()
    assert page.evaluate("localStorage.length") == 0
    assert page.context.cookies() == []

    # Without a key nothing is sent; the form says where to enter it.
    _fill_stage(page, 320)
    page.click("#stage-submit")
    expect(page.locator("#stage-form .error-summary")).to_contain_text("Enter your API key")
    expect(page.locator("#api-key")).to_be_focused()


def test_at_phone_width_by_keyboard(browser: "Browser", live: Live, requests: Requests) -> None:
    phone = _page(browser, live, requests, {"width": 360, "height": 740})
    page = next(phone)
    try:
        _open(page, live)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 360, f"the page is {wide} px wide at a 360 px viewport"
        # Every control has a label; every row and group is a fieldset with a legend.
        unlabelled = page.evaluate(
            """Array.from(document.querySelectorAll('#staff input, #staff select,'
                + ' #staff textarea')).filter(c => c.labels.length === 0).map(c => c.outerHTML)"""
        )
        assert unlabelled == []
        # Keyboard only: add a seizure, type into it, remove it again.
        page.focus("[data-add='seizure']")
        page.keyboard.press("Enter")
        substance = _control(page, "seizures[0].substance")
        expect(substance).to_be_focused()
        page.keyboard.press("Tab")
        expect(_control(page, "seizures[0].quantity")).to_be_focused()
        page.keyboard.type("2 kg")
        legend = page.locator("[data-list='seizures'] [data-row] > legend").first
        expect(legend).to_have_text("Seizure 1")
        page.locator("[data-list='seizures'] [data-row] > [data-remove]").focus()
        page.keyboard.press("Enter")
        expect(page.locator("[data-list='seizures'] [data-row]")).to_have_count(0)
        expect(page.locator("[data-add='seizure']")).to_be_focused()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        next(phone, None)


# -- Russian refusals, and a stage from a news page (issues 22 and 23) -----------------------


def test_a_refused_stage_is_explained_in_russian(page: "Page", live: Live) -> None:
    before = len(live.stages())
    _open(page, live, "ru")
    _fill_stage(page, 320)
    _fill_seizure_with_parts(page, bad_part_quantity="3 т")  # 1.2 t + 3 t > "более 2 т"

    page.click("#stage-submit")

    seizure = page.locator("#stage-form [data-path='seizures[0]']")
    expect(seizure).to_have_class("row seizure invalid")
    summary = page.locator("#stage-form .error-summary")
    expect(summary).to_contain_text("Не принято: части seizures[0] в сумме дают 4 200 кг")
    expect(summary).to_contain_text("больше, чем её 2 000 кг ('более 2 т')")
    text = summary.inner_text()
    for english in ("add up to", "more than its", "the parts of"):
        assert english not in text
    assert len(live.stages()) == before

    # A quantity no one can read: the message under it is Russian too.
    part = _control(page, "seizures[0].parts[1].quantity")
    part.fill("много")
    page.click("#stage-submit")
    expect(part).to_have_attribute("aria-invalid", "true")
    message = _error_of(page, part)
    assert message.startswith("Не принято: 'много': не удаётся прочесть 'много'"), message
    assert "cannot read" not in message
    assert len(live.stages()) == before


NEWS = {
    "url": "https://news.example/2033/kanal-proba",
    "title": "Итоги этапа «Канал – Проба» (пример)",
    "publisher": "Example News",
    "slug": "example-news-2033",
}


def test_a_stage_from_a_news_page_with_a_new_source(page: "Page", live: Live) -> None:
    """A stage with no number, its Russian name, headquarters, officers involved, one other
    result, and the news page it comes from added as a new source in the same post."""
    _open(page, live, "ru")
    page.fill("#new-name-ru", "Канал – Проба")
    page.fill("#new-start", "2033-05-20")
    page.fill("#new-end", "2033-05-25")
    page.fill("#new-hq-city-ru", "Бишкек")
    page.fill("#new-hq-city-en", "Bishkek")
    page.select_option("#new-hq-country", "KGZ")
    page.check("#new-source-toggle")
    expect(page.locator("#new-source-fields")).to_be_visible()
    expect(page.locator("#new-source")).to_be_hidden()
    page.fill("#ns-url", NEWS["url"])
    page.fill("#ns-title", NEWS["title"])
    page.fill("#ns-publisher", NEWS["publisher"])
    page.fill("#ns-published", "2033-06-02")
    page.select_option("#ns-language", "ru")
    page.select_option("#ns-kind", "press")
    page.fill("#ns-slug", NEWS["slug"])
    page.fill("#ns-scheme", "¶N — N-й абзац статьи.")
    page.fill("#new-locator", "¶2")
    page.fill("#new-officers", "свыше 22 тысяч сотрудников")
    result = _add_row(page, "results", "result")
    result.locator("[data-name='metric']").select_option("firearms")
    result.locator("[data-name='as_reported']").fill("115 единиц огнестрельного оружия")
    seizure = _add_row(page, "seizures", "seizure")
    seizure.locator("[data-name='substance']").select_option("heroin")
    seizure.locator("[data-name='quantity']").fill("более 2 т")

    page.click("#stage-submit")

    created = page.locator("#created")
    expect(created).to_be_visible()
    expect(page.locator("#created-heading")).to_contain_text("«Канал – Проба»")
    expect(created).to_contain_text("Бишкек, Кыргызстан")
    expect(created).to_contain_text("Огнестрельное оружие: 115 единиц огнестрельного оружия")
    stage = next(s for s in live.stages() if s["name_ru"] == "Канал – Проба")
    stage = live.api.get(f"/api/v1/stages/{stage['id']}").json()
    assert stage["number"] is None
    assert stage["headquarters"] == {"city_en": "Bishkek", "city_ru": "Бишкек", "country": "KGZ"}
    assert stage["source"] == {"slug": NEWS["slug"], "locator": "¶2"} | {
        k: v for k, v in stage["source"].items() if k not in ("slug", "locator")
    }
    results = {r["metric"]: (r["value"], r["qualifier"], r["unit"]) for r in stage["results"]}
    assert results == {
        "officers_involved": (22_000, "at_least", "officers"),
        "firearms": (115, "exact", "items"),
    }
    source = live.api.get(f"/api/v1/sources/{NEWS['slug']}").json()
    assert (source["url"], source["title"], source["publisher"], source["language"]) == (
        NEWS["url"],
        NEWS["title"],
        NEWS["publisher"],
        "ru",
    )
    assert (source["kind"], source["published"]["date"]) == ("press", "2033-06-02")
    # The new source joins the pickers, for the next stage from the same page.
    expect(page.locator(f"#new-source option[value='{NEWS['slug']}']")).to_have_count(1)


def test_a_stage_s_headquarters_are_corrected(page: "Page", live: Live) -> None:
    stage = live.post_stage(322, name_en="Channel HQ test")
    _open(page, live)
    page.fill("#load-id", str(stage["id"]))
    page.click("#load-submit")
    expect(page.locator("#edit-form")).to_be_visible()
    page.fill("#edit-hq-city-en", "Dushanbe")
    page.select_option("#edit-hq-country", "TJK")
    page.fill("#edit-name-ru", "Канал – штаб")
    page.click("#edit-save")
    expect(page.locator("#staff-status")).to_contain_text("Saved: stage 322.")
    saved = live.api.get(f"/api/v1/stages/{stage['id']}").json()
    assert saved["headquarters"] == {"city_en": "Dushanbe", "city_ru": None, "country": "TJK"}
    assert (saved["name_en"], saved["name_ru"]) == ("Channel HQ test", "Канал – штаб")


# -- readers' error reports ----------------------------------------------------------------


def test_a_reader_reports_an_error_with_scripts_off(
    browser: "Browser", live: Live, requests: Requests
) -> None:
    """The footer's link, the form and its thanks work in a browser that runs no script."""
    context = browser.new_context(java_script_enabled=False, service_workers="block")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live.url}/operations/channel?lang=ru")
        page.get_by_role("link", name="Сообщить об ошибке").click()
        expect(page.locator("#page")).to_have_value("/operations/channel")
        page.fill("#what_is_wrong", "Итог по героину в 10 раз больше, чем в источнике.")
        page.fill("#source_says", "4,2 кг героина")
        page.fill("#contact", "reader@example.org")
        page.get_by_role("button", name="Отправить сообщение").click()
        expect(page.locator("h1")).to_have_text("Спасибо")
        assert "reader@example.org" not in page.content()
        page.get_by_role("link", name="Вернуться на страницу").click()
        assert page.url.endswith("/operations/channel?lang=ru")
    finally:
        context.close()
    listed = live.api.get(
        "/api/v1/error-reports", params={"status": "pending", "limit": 1000}, headers=live.editor
    )
    reports = listed.json()["items"]
    sent = [r for r in reports if r["source_says"] == "4,2 кг героина"]
    assert len(sent) == 1
    assert (sent[0]["page"], sent[0]["language"]) == ("/operations/channel", "ru")
    assert sent[0]["contact"] == "reader@example.org"
    assert requests.outside == []


def test_staff_accept_a_report_on_the_form(page: "Page", live: Live) -> None:
    posted = live.api.post(
        "/api/v1/error-reports",
        json={"page": "/", "what_is_wrong": "The 2019 opium figure is the 2018 one."},
    )
    assert posted.status_code == 202, posted.text
    report = posted.json()["id"]
    _open(page, live)
    page.click("#reports-load")
    card = page.locator(f"#report-{report}")
    expect(card).to_contain_text("The 2019 opium figure is the 2018 one.")
    card.get_by_label("Staff note").fill("Checked against ¶8; corrected.")
    card.get_by_role("button", name="Accept").click()
    expect(card.locator(".status")).to_have_text("Accepted.")
    reviewed = live.api.get(f"/api/v1/error-reports/{report}", headers=live.editor).json()
    assert reviewed["status"] == "accepted"
    assert reviewed["staff_note"] == "Checked against ¶8; corrected."
