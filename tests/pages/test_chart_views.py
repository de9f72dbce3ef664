"""Charts a person can read (issue 22, points 13 and 14; issue 23's charts of stages): a
substance keeps its colour in every view, labels stay inside their box, a chart fills the
page's column and has readable text on a phone, and Channel's page draws its stages over
time and their seizures."""

import copy
import re
from collections.abc import Mapping
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.operations import service as operations
from app.operations.schemas import STAGE_EXAMPLE
from app.pages import charts, colours, service, stage_charts
from app.pages.i18n import translations
from app.seizures.service import SeizureFilters

CONTENT_AT_1280 = 1120  # px: main's 72rem less its padding
CONTENT_AT_390 = 366  # px: 390 less .75rem each side
READABLE_PX = 11


def _colour_by_label(spec: dict[str, Any]) -> dict[str, str]:
    """The colour of each label, from every panel and layer that has one."""
    found: dict[str, str] = {}
    for panel in spec["vconcat"]:
        for part in [panel, *panel.get("layer", [])]:
            if "color" in part.get("encoding", {}):
                scale = part["encoding"]["color"]["scale"]
                found |= dict(zip(scale["domain"], scale["range"], strict=True))
    return found


def _post_stages(client: TestClient, editor: dict[str, str]) -> None:
    """The made-up stage of the API's examples (2021: hashish, heroin and the rest), and
    another in 2016 with a substance no chart drew before (cocaine), named in both
    languages: per-year bars beside the seed's 2017-2019 spans."""
    another = copy.deepcopy(STAGE_EXAMPLE) | {
        "number": 92,
        "name": None,
        "name_en": "Another example stage (made up)",
        "name_ru": "Ещё один пример этапа (вымышленный)",
        "start_on": "2016-03-01",
        "end_on": "2016-03-10",
        "seizures": [
            {"substance": "cocaine", "quantity": "more than 40 t", "country": "RUS"},
            {"substance": "opium", "quantity": "2 t", "country": "KAZ"},
        ],
    }
    for stage in (STAGE_EXAMPLE, another):
        response = client.post("/api/v1/operations/channel/stages", json=stage, headers=editor)
        assert response.status_code == 201, response.text


def _views(session: Session) -> dict[str, dict[str, str]]:
    """The colour of each label drawn, in every view of the front page's mass chart."""
    found = {}
    for pro_rata in (False, True):
        view = service.seizure_view(session, SeizureFilters(), pro_rata=pro_rata)
        for layout in charts.LAYOUTS.values():
            gettext = translations("en").gettext
            chart = charts.seizure_chart(view.figures, "mass", "en", gettext, view.palette, layout)
            found[f"{'pro rata' if pro_rata else 'as reported'}, {layout.name}"] = _colour_by_label(
                chart.spec
            )
    return found


def test_a_substance_keeps_its_colour_in_every_view_and_after_a_new_stage(
    session: Session, client: TestClient, editor: dict[str, str]
) -> None:
    palette = service.substance_palette(session)
    before = _views(session)
    for colours_drawn in before.values():
        assert colours_drawn["Opium"] == palette["opium"]
        assert colours_drawn["Controlled substances, not itemized"] == colours.colour_of(
            palette, "controlled-substances", unitemized=True
        )
    _post_stages(client, editor)  # two stages, one with cocaine, which no chart drew before
    after = _views(session)
    for name, colours_drawn in after.items():
        assert colours_drawn["Cocaine"] == palette["cocaine"], name
        for label, colour in before[name].items():
            if label in colours_drawn and label != "Other substances":
                assert colours_drawn[label] == colour, (name, label)
    # The same colour on the images themselves, and on Channel's chart of stages.
    for url in ("/", "/?allocate=pro_rata", "/operations/channel"):
        assert palette["opium"].lower() in client.get(url).text.lower(), url


def test_colours_follow_the_taxonomy_alone() -> None:
    tree: list[dict[str, Any]] = [
        {
            "slug": "all",
            "children": [
                {"slug": "opioids", "children": [{"slug": "opium"}, {"slug": "heroin"}]},
                {"slug": "cannabis", "children": [{"slug": "hashish"}]},
                {"slug": "cocaine"},
            ],
        }
    ]
    first = colours.substance_colours(tree)
    assert first == colours.substance_colours(copy.deepcopy(tree))
    # families apart, members shades of their family's hue
    assert len({first["opioids"], first["cannabis"], first["cocaine"], first["all"]}) == 4
    assert first["opium"] == colours.mix(first["opioids"], "#000000", colours.SHADES[0][1])
    assert first["heroin"] == colours.mix(first["opioids"], "#FFFFFF", colours.SHADES[1][1])
    # a new substance (last among its siblings, as a new id is) changes no other colour
    tree[0]["children"][1]["children"].append({"slug": "marijuana"})
    tree[0]["children"].append({"slug": "precursors"})
    second = colours.substance_colours(tree)
    assert {slug: second[slug] for slug in first} == first
    assert second["precursors"] not in {first[slug] for slug in ("opioids", "cannabis", "cocaine")}


@pytest.mark.parametrize(
    ("x0", "x1", "length", "where"),
    [
        (100, 600, 20, "inside"),  # fits in its bracket
        (100, 160, 40, "right"),  # room on the right
        (900, 990, 40, "left"),  # none on the right, room on the left
        (100, 200, 150, "above"),  # room on neither side: a line of its own
    ],
)
def test_a_label_never_runs_past_its_box(x0: float, x1: float, length: int, where: str) -> None:
    width = 1000
    text = "x" * length
    placed = charts.place_label(text, x0, x1, width)
    assert placed.where == where
    drawn = min(len(text) * charts.CHAR_PX, placed.limit)
    start = placed.at_px - drawn if placed.align == "right" else placed.at_px
    end = start + drawn
    assert start >= 0
    assert end <= width
    if where == "inside":
        assert x0 <= start
        assert end <= x1
    elif where != "above":
        assert end <= x0 or start >= x1  # beside the bracket, never across it


def _span_rows(chart: charts.Chart) -> list[dict[str, Any]]:
    return [
        row
        for panel in chart.spec["vconcat"]
        if "layer" in panel
        for row in panel["data"]["values"]
    ]


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("layout", [charts.WIDE, charts.NARROW])
def test_the_seed_chart_keeps_every_label_in_its_box(
    session: Session, client: TestClient, editor: dict[str, str], lang: str, layout: charts.Layout
) -> None:
    _post_stages(client, editor)
    view = service.seizure_view(session, SeizureFilters(), pro_rata=False)
    gettext = translations(lang).gettext
    chart = charts.seizure_chart(view.figures, "mass", lang, gettext, view.palette, layout)
    rows = _span_rows(chart)
    assert rows, "the seed's 2017-2019 report is drawn as spans"
    domain = chart.spec["vconcat"][-1]["layer"][0]["encoding"]["x"]["scale"]["domain"]
    px = layout.width / (domain[1] - domain[0])
    for row in rows:
        at = (row["at"] - domain[0]) * px
        drawn = min(len(row["label"]) * charts.CHAR_PX, row["limit"])
        start, end = (at - drawn, at) if row["align"] == "right" else (at, at + drawn)
        assert start >= -0.5
        assert end <= layout.width + 0.5
        box = ((row["x0"] - domain[0]) * px, (row["x1"] - domain[0]) * px)
        if row["where"] in ("left", "right"):
            assert end <= box[0] + 0.5 or start >= box[1] - 0.5, row
        else:  # inside its bracket, or on a line of its own above it
            assert row["where"] == "above" or box[0] <= start <= end <= box[1]
    for title in (chart.spec["title"], *(p["title"] for p in chart.spec["vconcat"])):
        lines = [*title["text"], *title.get("subtitle", [])]
        assert all(
            len(line) * charts.CHAR_PX * title["fontSize"] / 12 <= layout.width + 1
            for line in lines
            if " " in line
        )
    legend = chart.spec["config"]["legend"]
    assert legend["labelLimit"] * legend["columns"] <= layout.width
    ticks = chart.spec["vconcat"][0]["encoding"]["x"]["axis"]["values"]  # the bars' panel
    assert len(ticks) * charts.TICK_PX <= layout.width + charts.TICK_PX


def _svgs(html: str) -> dict[str, str]:
    """The inline drawings of a page by their layout (wide, narrow) and id."""
    return {
        f"{layout}:{ident}": svg
        for layout, svg, ident in re.findall(
            r'<div class="drawing (\w+)">(<svg[^>]*\bid="([\w-]+)".*?</svg>)</div>', html, re.S
        )
    }


def _width(svg: str) -> float:
    match = re.search(r'<svg[^>]*\bwidth="([0-9.]+)"', svg)
    assert match
    return float(match[1])


def _smallest_font(svg: str) -> float:
    sizes = [float(size) for size in re.findall(r'font-size="([0-9.]+)(?:px)?"', svg)]
    sizes += [float(size) for size in re.findall(r"font-size:\s*([0-9.]+)px", svg)]
    assert sizes
    return min(sizes)


@pytest.mark.parametrize("path", ["/", "/?allocate=pro_rata", "/operations/channel"])
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_each_chart_fills_the_column_and_reads_on_a_phone(
    client: TestClient, editor: dict[str, str], path: str, lang: str
) -> None:
    _post_stages(client, editor)
    joiner = "&" if "?" in path else "?"
    drawings = _svgs(client.get(f"{path}{joiner}lang={lang}").text)
    wide = [svg for key, svg in drawings.items() if key.startswith("wide:")]
    narrow = [svg for key, svg in drawings.items() if key.startswith("narrow:")]
    assert wide
    assert len(wide) == len(narrow)
    for svg in wide:  # drawn at about the column's width, so 1:1 at 1280 px, never blown up
        assert CONTENT_AT_1280 * 0.85 <= _width(svg) <= CONTENT_AT_1280
    for svg in narrow:  # shrunk (or grown) to 366 px, its smallest text still >= 11 px
        scale = CONTENT_AT_390 / _width(svg)
        assert _smallest_font(svg) * scale >= READABLE_PX, (_smallest_font(svg), scale)
    css = client.get("/assets/pages.css").text
    assert re.search(r"figure\.chart svg \{[^}]*width: 100%", css)


def test_channel_draws_its_stages_over_time_and_their_seizures(
    client: TestClient, editor: dict[str, str]
) -> None:
    assert 'class="stage-charts"' not in client.get("/operations/channel").text  # no stage yet
    _post_stages(client, editor)
    for lang, title, stage_name in (
        ("en", "Stages of Channel over time", "Another example stage (made up)"),
        ("ru", "Этапы операции «Канал» во времени", "Ещё один пример этапа (вымышленный)"),
    ):
        html = client.get(f"/operations/channel?lang={lang}").text
        section = html[html.index('<section class="stage-charts"') :]
        section = section[: section.index("</section>")]
        kinds = re.findall(r'<figure class="chart" data-chart="(\w+)"', section)
        assert kinds == ["timeline", "stages"]
        assert f'aria-label="{title}"' in section
        assert stage_name in section  # the stage named in the page's language
        assert "/api/v1/seizures/totals.csv?operation=channel" in section  # the data as a table
    for other in ("grom", "kobalt"):
        assert 'class="stage-charts"' not in client.get(f"/operations/{other}").text


def _named(item: Mapping[str, Any], *, lang: str) -> str:
    return service.name(dict(item), lang)


def test_the_chart_of_stages_marks_bounds_and_never_draws_a_year(
    session: Session, client: TestClient, editor: dict[str, str]
) -> None:
    _post_stages(client, editor)
    channel = operations.get_operation(session, "channel")
    totals = service.stage_totals(session, channel["id"])
    figures = stage_charts.stage_figures(totals)
    assert figures
    palette = service.substance_palette(session)
    for lang in ("en", "ru"):
        gettext = translations(lang).gettext
        chart = stage_charts.seizures_by_stage_chart(
            channel["stages"], figures, lang, gettext, palette, charts.WIDE,
            partial(_named, lang=lang),
        )  # fmt: skip
        bars, signs = chart.spec["layer"]
        keys = {row["stage"] for row in bars["data"]["values"]}
        assert not any(re.fullmatch(r"\d{4}", key) for key in keys)  # a stage, never a year
        # every stage with a "more than" or "at least" figure carries ">" over its bar
        bounded = {f.stage_id for f in figures if f.qualifier in stage_charts.LOWER_BOUNDS}
        marked = [row for row in signs["data"]["values"] if ">" in row["sign"]]
        assert len(marked) == len(bounded) > 0
        # the same colours as the front page's chart
        scale = bars["encoding"]["color"]["scale"]
        named = dict(zip(scale["domain"], scale["range"], strict=True))
        assert (
            named[service.name({"name_en": "Opium", "name_ru": "Опий"}, lang)] == palette["opium"]
        )
