"""The pages in a real browser (Playwright driving Debian's Chromium) against a live server:
the front page draws its chart with nothing from off the machine, the 2017-2019 report is a
span of its own, and the filter form changes the URL and the figures."""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.system.pages_browser import CHROMIUM, chromium, live_registry, offline_page

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _why_not_runnable() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} is missing: `make browser` installs it"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python) is not installed"
    return None


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if reason := _why_not_runnable():
        # CI sets it, so a missing browser fails there instead of passing unnoticed.
        if os.environ.get("KSOPN_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    with live_registry(tmp_path_factory.mktemp("pages")) as server:
        yield server.url


def test_the_front_page_draws_its_chart_offline(server_url: str) -> None:
    outside: list[str] = []
    with chromium() as browser:
        page = offline_page(browser, 1280, outside)
        page.goto(f"{server_url}/")
        chart = page.locator('figure[data-unit-kind="mass"] .drawing.wide svg[role="img"]')
        assert chart.get_attribute("aria-label") == "Seizures by year and substance, kg"
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] > 300
        assert box["height"] > 200
        assert chart.locator("path, rect").count() > 10  # drawn marks, not an empty frame
        assert chart.locator("[aria-label]").count() == 0  # one image, one name
        assert page.locator('link[rel="stylesheet"]').evaluate("l => l.sheet !== null")
        page.goto(f"{server_url}/methods?lang=ru")
        assert page.locator("h1").inner_text() == "Как реестр считает"
    assert outside == []


def test_the_multi_year_report_is_a_span_not_a_bar(server_url: str) -> None:
    outside: list[str] = []
    with chromium() as browser:
        page = offline_page(browser, 1280, outside)
        page.goto(f"{server_url}/")
        svg = page.locator('figure[data-unit-kind="mass"] .drawing.wide svg')
        labels = svg.locator("text").evaluate_all("ts => ts.map(t => t.textContent)")
        span = [text for text in labels if text.startswith("2017–2019: Opium")]
        assert span == ["2017–2019: Opium, 48,988 kg"], labels
        assert "2017–2019: Controlled substances, not itemized, more than 6,729 kg" in labels
        # The span reaches from 2017's tick to 2019's; the bars stand in 2018 and 2021 only.
        ticks = {
            text: box["x"] + box["width"] / 2
            for text, box in (
                (t.text_content() or "", t.bounding_box())
                for t in svg.locator(".role-axis-label text").all()
            )
            if box is not None and re.fullmatch(r"\d{4}", text)
        }
        band = svg.locator(".span_marks path").nth(1).bounding_box()
        assert band is not None
        assert band["x"] < ticks["2017"]
        assert band["x"] + band["width"] > ticks["2019"]
        # The table says the same: the figure belongs to the whole period, not to 2018.
        row = page.locator('tr.figure[data-substance="opium"][data-unit-kind="mass"]')
        assert row.get_attribute("data-period") == "2017-01-01/2019-12-31"
        assert "whole period" in row.inner_text()
        bars_2018 = page.locator('tr.figure[data-period="2018"][data-unit-kind="mass"]')
        assert sorted(bars_2018.evaluate_all("rs => rs.map(r => r.dataset.substance)")) == [
            "hashish",
            "heroin",
        ]
    assert outside == []


# The smallest text of every chart shown, in CSS px as drawn on the screen, and its width.
CHART_TEXT = """() => [...document.querySelectorAll('figure.chart svg')]
  .filter(svg => svg.getBoundingClientRect().width > 0)
  .map(svg => {
    const box = svg.getBoundingClientRect();
    const scale = box.width / svg.viewBox.baseVal.width;
    const sizes = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
      .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    return {id: svg.id, width: box.width, smallest: Math.min(...sizes)};
  })"""


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_charts_fill_the_column_and_read_on_a_phone(server_url: str, lang: str) -> None:
    """At 1280 px a chart fills the content column (1120 px); at 390 px the phone's drawing
    is shown, its text at least 11 CSS px (the wide one shrunk had 5 px), on the front page,
    the pro-rata view and Channel's page."""
    outside: list[str] = []
    with chromium() as browser:
        for width, column in ((1280, 1120), (390, 366)):
            page = offline_page(browser, width, outside)
            for path in ("/", "/?allocate=pro_rata", "/operations/channel"):
                page.goto(f"{server_url}{path}{'&' if '?' in path else '?'}lang={lang}")
                shown = page.evaluate(CHART_TEXT)
                assert shown, path
                for chart in shown:
                    assert chart["width"] == pytest.approx(column, abs=1), (path, chart)
                    assert chart["smallest"] >= 11, (path, chart)
                    assert chart["id"].endswith("-narrow") == (width == 390), (path, chart)
                assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert outside == []


def test_a_filter_change_updates_the_url_and_the_figures(server_url: str) -> None:
    outside: list[str] = []
    with chromium() as browser:
        page = offline_page(browser, 390, outside)  # at phone width
        page.goto(f"{server_url}/?lang=en")
        before = page.locator("tr.figure").count()
        page.get_by_label("Substance", exact=True).select_option("opioids")
        page.get_by_label("To year", exact=True).select_option("2018-12-31")
        page.get_by_role("button", name="Show").click()
        page.wait_for_url(re.compile(r"substance=opioids"))
        assert "to=2018-12-31" in page.url
        rows = page.locator("tr.figure")
        substances = set(rows.evaluate_all("rs => rs.map(r => r.dataset.substance)"))
        assert substances == {"heroin", "opium"}
        assert rows.count() != before
        # the same URL in Russian, by the language switch
        page.get_by_role("link", name="Русский").click()
        page.wait_for_url(re.compile(r"lang=ru"))
        assert "substance=opioids" in page.url
        assert page.get_by_label("Вещество", exact=True).input_value() == "opioids"
        # no horizontal scrolling of the page itself at phone width
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert outside == []
