"""Chart images: drawn once per data version and kept (app/pages/chart_images.py), drawn in
a process of their own, refused with a 503 when too many wait, and of a bounded size
whatever the registry holds (app/pages/charts.py, app/pages/drawing.py)."""

import re
import struct
from collections import defaultdict
from typing import Any

import anyio
import pytest
import vl_convert
from fastapi.testclient import TestClient

from app.errors import ServiceUnavailableError
from app.operations.schemas import STAGE_EXAMPLE
from app.pages import charts, colours, drawing, service
from app.pages.chart_images import ChartImages
from app.pages.i18n import translations
from app.pages.service import Figure

PNG = "/charts/seizures.png"


def _images(client: TestClient) -> ChartImages:
    images: ChartImages = client.app.state.chart_images  # type: ignore[attr-defined]
    return images


def _png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_the_second_identical_chart_is_not_drawn_again(
    client: TestClient, editor: dict[str, str]
) -> None:
    images = _images(client)
    first = client.get(PNG, params={"lang": "ru"})
    assert first.status_code == 200, first.text
    assert images.drawn == 1
    second = client.get(PNG, params={"lang": "ru"})
    assert second.status_code == 200
    assert second.content == first.content
    assert images.drawn == 1  # from memory

    client.get(PNG, params={"lang": "en"})  # another language is another picture
    assert images.drawn == 2
    client.get(PNG, params={"lang": "ru", "to": "2018-12-31"})  # and other filters
    assert images.drawn == 3

    response = client.post("/api/v1/operations/channel/stages", json=STAGE_EXAMPLE, headers=editor)
    assert response.status_code == 201, response.text
    after_write = client.get(PNG, params={"lang": "ru"})  # a new data version: drawn anew
    assert after_write.status_code == 200
    assert images.drawn == 4
    assert after_write.content != first.content  # the new stage's 2021 seizures are on it
    client.get(PNG, params={"lang": "ru"})
    assert images.drawn == 4


def test_the_same_chart_again_reads_no_figures_until_a_write(
    client: TestClient, editor: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a chart waits to be drawn, the same request again takes the first one's plan:
    here no image is kept at all (no room), so only the plan can spare the reading."""
    reads = []
    seizure_view = service.seizure_view

    def counted(*args: Any, **kwargs: Any) -> service.SeizureView:
        reads.append(1)
        return seizure_view(*args, **kwargs)

    monkeypatch.setattr(service, "seizure_view", counted)
    client.app.state.chart_images = ChartImages(max_bytes=0)  # type: ignore[attr-defined]
    first, second = client.get(PNG), client.get(PNG)
    assert first.content == second.content
    assert (len(reads), _images(client).drawn) == (1, 2)
    response = client.post("/api/v1/operations/channel/stages", json=STAGE_EXAMPLE, headers=editor)
    assert response.status_code == 201, response.text
    assert client.get(PNG).content != first.content
    assert (len(reads), _images(client).drawn) == (2, 3)


def test_the_front_page_and_the_chart_address_share_their_drawing(client: TestClient) -> None:
    images = _images(client)
    page = client.get("/")
    assert page.status_code == 200
    kinds = re.findall(r'<figure class="chart" data-unit-kind="(\w+)"', page.text)
    drawings = 2 * len(kinds)  # each drawn wide for a page and narrow for a phone
    assert images.drawn == drawings >= 2
    svg = client.get("/charts/seizures.svg", params={"unit_kind": kinds[0]})
    assert svg.status_code == 200
    narrow = client.get("/charts/seizures.svg", params={"unit_kind": kinds[0], "layout": "narrow"})
    assert narrow.status_code == 200
    assert images.drawn == drawings  # the page's own drawings of that chart
    for image in (svg, narrow):
        assert image.text.removeprefix('<?xml version="1.0" encoding="UTF-8"?>\n') in page.text
    client.get("/")
    assert images.drawn == drawings
    # and it is what `unit_kind=` alone draws
    client.app.state.chart_images = ChartImages()  # type: ignore[attr-defined]
    alone = client.get("/charts/seizures.svg", params={"unit_kind": kinds[0]})
    assert alone.text == svg.text
    assert _images(client).drawn == 1


def test_a_unit_kind_with_no_figures_is_its_own_empty_chart(client: TestClient) -> None:
    """`unit_kind=` is not part of what a chart is kept under (the chart of litres is the
    same with it and without): a kind that has no figures still draws its own chart."""
    mass = client.get("/charts/seizures.svg", params={"to": "2000-12-31"})
    volume = client.get("/charts/seizures.svg", params={"to": "2000-12-31", "unit_kind": "volume"})
    assert "kg" in mass.text
    assert "litres" in volume.text
    assert _images(client).drawn == 2


def test_charts_are_not_drawn_in_the_server_process(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """vl-convert holds the GIL while it draws: in the server's process, a drawing stops
    every read. Here it cannot draw in this process, and the charts come all the same."""

    def not_here(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a chart was drawn in the server's process")

    for function in ("vegalite_to_svg", "vegalite_to_png", "svg_to_png"):
        monkeypatch.setattr(vl_convert, function, not_here)
    assert client.get(PNG).status_code == 200
    assert client.get("/").status_code == 200
    assert _images(client).drawn >= 2


def test_a_chart_waiting_behind_too_many_is_refused_with_a_503() -> None:
    images = ChartImages(max_waiting=0)

    async def while_another_draws() -> None:
        async with images.turns:  # the one drawing at a time is under way
            await images.image(1, "chart", drawing.png, {})

    with pytest.raises(ServiceUnavailableError) as refused:
        anyio.run(while_another_draws)
    assert refused.value.status == 503
    assert refused.value.response_headers()["Retry-After"] == str(refused.value.retry_after)
    assert images.drawn == 0


def test_a_busy_server_answers_a_page_that_says_so(client: TestClient) -> None:
    class Busy(ChartImages):
        async def image(self, *_args: Any) -> Any:
            raise ServiceUnavailableError("busy", retry_after=5)

    client.app.state.chart_images = Busy()  # type: ignore[attr-defined]
    for url in (PNG, "/?lang=ru"):
        response = client.get(url)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert response.headers["content-type"].startswith("text/html")
    assert "Сервер занят" in response.text


def _figure(section: str, substance: str, amount: int, **more: Any) -> Figure:
    values: dict[str, Any] = {
        "section": section,
        "unit_kind": "mass",
        "amount": amount,
        "qualifier": "exact",
        "estimated": False,
        "substance": {"slug": substance, "name_en": substance.replace("-", " ").capitalize()},
        "year": None,
        "period": None,
        "years": [],
        "unspecified": False,
        "derived": False,
        "sources": [],
    }
    return Figure(**(values | more))


def _palette() -> dict[str, str]:
    """The colours of the crowded registry's forty substances, each a family of its own."""
    tree = [{"slug": f"substance-{n:02d}-with-a-rather-long-name"} for n in range(40)]
    return colours.substance_colours(tree)


def _crowded_registry() -> list[Figure]:
    """Forty substances over thirty years, and two hundred reports of several years (each
    with a long name): the 200,000-report demo's chart had 161 such reports and was
    2004 x 9280 pixels."""
    figures = [
        _figure("groups", f"substance-{n:02d}-with-a-rather-long-name", 1000 * (n + 1), year=year)
        for n in range(40)
        for year in range(1995, 2025)
    ]
    for n in range(200):
        start = 1995 + n % 28
        figures.append(
            _figure(
                "beyond_window",
                f"substance-{n % 40:02d}-with-a-rather-long-name",
                500_000 + n,
                period=(f"{start}-12-31", f"{start + 1}-01-01"),
                qualifier="at_least",
            )
        )
    return figures


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_crowded_chart_is_summarized_and_says_so(lang: str) -> None:
    figures = _crowded_registry()
    chart = charts.seizure_chart(figures, "mass", lang, translations(lang).gettext, _palette())
    bars, spans = chart.spec["vconcat"]
    colours = bars["encoding"]["color"]["scale"]
    assert len(colours["domain"]) == charts.MAX_SUBSTANCES
    assert colours["domain"][-1] == translations(lang).gettext("Other substances")
    assert colours["range"][-1] == charts.OTHER_COLOUR
    assert len(set(colours["range"])) == charts.MAX_SUBSTANCES  # one colour each
    assert len(spans["data"]["values"]) == charts.MAX_SPANS
    # the largest are drawn, in the totals' order
    drawn = charts.Drawn.of(figures, lang, translations(lang).gettext).spans
    several_years = [f for f in figures if f.section == "beyond_window"]
    largest = sorted((f.amount for f in several_years), reverse=True)[: charts.MAX_SPANS]
    assert sorted((f.amount for f in drawn), reverse=True) == largest
    assert drawn == [f for f in several_years if f in drawn]
    # every year's bar is as tall as its figures together: "Other substances" is their sum
    heights: dict[float, float] = defaultdict(float)
    for row in bars["data"]["values"]:
        heights[row["x0"] + 0.4] = max(heights[row["x0"] + 0.4], row["y1"])
    for year in range(1995, 2025):
        expected = sum(f.amount for f in figures if f.year == year) / 1000
        assert heights[year] == pytest.approx(expected)
    # the notes: on the image, and in what a screen reader announces
    notes = [" ".join(chart.spec["title"]["subtitle"]), " ".join(spans["title"]["subtitle"])]
    assert "40" in notes[0]
    assert "200" in notes[1]
    assert all(note in chart.description for note in notes)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("layout", [charts.WIDE, charts.NARROW])
def test_a_crowded_chart_stays_within_its_pixels(lang: str, layout: charts.Layout) -> None:
    gettext = translations(lang).gettext
    chart = charts.seizure_chart(_crowded_registry(), "mass", lang, gettext, _palette(), layout)
    width, height = _png_size(drawing.png(chart.spec))
    # drawn at full scale (2 pixels per CSS pixel), not shrunk to fit
    assert width <= drawing.MAX_PNG_SIDE
    assert height <= drawing.MAX_PNG_SIDE
    svg = drawing.svg(chart.spec, chart.title, chart.description, "chart-mass")
    css_width, css_height = (float(v) for v in re.findall(r'(?:width|height)="([0-9.]+)"', svg)[:2])
    assert (width, height) == (round(css_width * 2), round(css_height * 2))


def test_a_png_is_never_larger_than_its_bound() -> None:
    tall = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 300,
        "height": 8000,
        "data": {"values": [{"a": 1}]},
        "mark": "bar",
        "encoding": {"y": {"field": "a", "type": "quantitative"}},
    }
    width, height = _png_size(drawing.png(tall))
    assert height == drawing.MAX_PNG_SIDE
    assert 0 < width < drawing.MAX_PNG_SIDE
