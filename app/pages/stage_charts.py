"""The Channel page's two charts, drawn on the server as the front page's are
(app/pages/drawing.py): a timeline of the stages, each stage's period a bar on a time axis
named in the page's language, and the seizures of each stage by substance, in the
substances' own colours (app/pages/colours.py).

A stage's figures are its own, for its own dates: a report of several years is never drawn
as a stage's. Each stage's bar is marked with the words of its figures' qualifiers: ">" a
lower bound ("more than", "at least"), "~" about or almost, so that a sum with a lower bound
in it never reads as exact; the table of the stage's page has every figure and its source.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.pages import charts, colours
from app.pages.charts import Chart, Layout, chart_config, place_label, titled
from app.wording import in_display_unit, unit_word

ROW = 18  # px: a stage's row on the timeline
LABEL_FONT = 12
MIN_BAR_PX = 4  # a stage of a week is under a pixel on twenty years: drawn 4 px wide
LOWER_BOUNDS = {"at_least", "more_than"}
APPROXIMATE = {"about", "almost"}


@dataclass(frozen=True)
class StageFigure:
    """One line of the totals by stage and substance: a stage's mass of one substance."""

    stage_id: int
    substance: dict[str, Any]
    unspecified: bool
    amount: int  # grams
    qualifier: str
    estimated: bool


def stage_figures(totals: Mapping[str, Any]) -> list[StageFigure]:
    """The mass lines of totals by stage and substance (the charts draw kilograms)."""
    return [
        StageFigure(
            stage_id=int(line["stage"]["id"]),
            substance=line["substance"],
            unspecified=bool(line.get("unspecified")),
            amount=int(line["amount"]),
            qualifier=str(line["qualifier"]),
            estimated=bool(line.get("estimated")),
        )
        for line in totals["groups"]
        if line.get("stage") and line["unit_kind"] == "mass"
    ]


def stage_label(stage: Mapping[str, Any], lang: str) -> str:
    """A stage's name in the page's language (the other's where it has only that)."""
    other = "en" if lang == "ru" else "ru"
    return str(stage.get(f"name_{lang}") or stage.get(f"name_{other}") or stage.get("name") or "")


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _span_of(stage: Mapping[str, Any]) -> tuple[date, date]:
    """A dated stage's first and last day (its first, where no source gives its end)."""
    begin = _day(stage["start_on"])
    assert begin is not None
    return begin, _day(stage.get("end_on")) or begin


def dated(stages: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The stages a source dates, in date order."""
    with_dates = [s for s in stages if s.get("start_on")]
    return sorted(with_dates, key=lambda s: (str(s["start_on"]), s["id"]))


def timeline_chart(
    stages: Sequence[Mapping[str, Any]],
    lang: str,
    gettext: Callable[[str], str],
    layout: Layout,
) -> Chart:
    """Each dated stage's period as a bar on a time axis, with its name beside it."""
    shown = dated(stages)
    title = gettext("Stages of Channel over time")
    description = gettext(
        "%(shown)d of %(count)d stages drawn as bars from their first to their last day, "
        "in date order; the list of stages below gives their dates and names."
    ) % {"shown": len(shown), "count": len(stages)}
    note = None
    if len(shown) < len(stages):
        note = gettext("Not drawn: %(count)d stages that no source dates.") % {
            "count": len(stages) - len(shown)
        }
    days_shown = [_span_of(s) for s in shown] or [(date.today(), date.today())]
    first = min(begin for begin, _ in days_shown)
    last = max(finish for _, finish in days_shown)
    start, end = date(first.year, 1, 1), date(last.year + 1, 1, 1)
    days = (end - start).days
    px_per_day = layout.width / days
    px_per_year = px_per_day * 365.2425
    rows: list[dict[str, Any]] = []
    for index, stage in enumerate(shown):
        begin, finish = _span_of(stage)
        x0 = (begin - start).days * px_per_day
        x1 = max((finish - start).days + 1, 0) * px_per_day
        x1 = max(x1, x0 + MIN_BAR_PX)
        label = stage_label(stage, lang)
        placed = place_label(label, x0, x1, layout.width)
        rows.append(
            {
                "row": index,
                "x0": x0,
                "x1": x1,
                "label": label,
                "at": placed.at_px,
                "align": placed.align,
                "limit": placed.limit,
                "where": placed.where,
            }
        )
    height = max(len(rows), 1) * ROW * (1 if layout is charts.WIDE else 2)
    x_scale = {"domain": [0, layout.width], "range": [0, layout.width], "nice": False}
    years = list(range(start.year, end.year + 1))
    step = next(s for s in (1, 2, 5, 10, 20) if len(years) // s < layout.width // 40)
    ticks = [
        {"x": (date(year, 1, 1) - start).days * px_per_day, "year": str(year)}
        for year in years
        if year % step == 0
    ]
    per_row = height / max(len(rows), 1)
    for row in rows:
        # Wide: the name beside its bar; narrow: on a line of its own above it.
        beside = layout is charts.WIDE and row["where"] != "above"
        row["bar_top"] = row["row"] * per_row + (3 if beside else per_row / 2 + 2)
        row["bar_bottom"] = (row["row"] + 1) * per_row - 3
        row["text_y"] = row["row"] * per_row + (per_row / 2 if beside else per_row / 4 + 1)
        if not beside:
            row["at"], row["align"], row["limit"] = 0.0, "left", float(layout.width)
    y_scale = {"domain": [0, height], "range": [0, height], "nice": False, "zero": False}
    # One axis, given to every layer alike (a layer's `axis: None` would hide the others').
    x_axis = {
        "values": [tick["x"] for tick in ticks],
        "labelExpr": f"round({start.year} + datum.value / {px_per_year})",
        "title": None,
        "grid": False,
        "labelOverlap": True,
        "labelFlush": False,
    }
    text_layers = [
        {
            "transform": [{"filter": f"datum.align === '{align}'"}],
            "mark": {
                "type": "text",
                "fontSize": LABEL_FONT,
                "fill": "#1a1a1a",
                "baseline": "middle",
                "align": align,
                "limit": {"expr": "datum.limit"},
            },
            "encoding": {
                "x": {"field": "at", "type": "quantitative", "scale": x_scale, "axis": x_axis},
                "y": {"field": "text_y", "type": "quantitative", "scale": y_scale, "axis": None},
                "text": {"field": "label"},
            },
        }
        for align in ("left", "right")
    ]
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": titled(title, note, font_size=15, layout=layout),
        "background": "#ffffff",
        "width": layout.width,
        "height": height,
        "layer": [
            {
                # A year's rule at its first day; the axis names the years (its values are
                # the rules' px, read back as years).
                "data": {"values": ticks},
                "mark": {"type": "rule", "color": "#dddddd"},
                "encoding": {
                    "x": {
                        "field": "x",
                        "type": "quantitative",
                        "scale": x_scale,
                        "axis": x_axis,
                    }
                },
            },
            {
                "data": {"values": rows},
                "layer": [
                    {
                        "mark": {"type": "rect", "color": "#0b4f8a", "cornerRadius": 2},
                        "encoding": {
                            "x": {
                                "field": "x0",
                                "type": "quantitative",
                                "scale": x_scale,
                                "axis": x_axis,
                            },
                            "x2": {"field": "x1"},
                            "y": {
                                "field": "bar_top",
                                "type": "quantitative",
                                "scale": y_scale,
                                "axis": None,
                            },
                            "y2": {"field": "bar_bottom"},
                        },
                    },
                    *text_layers,
                ],
            },
        ],
        "config": chart_config(lang, layout),
    }
    return Chart("timeline", title, " ".join([description, *([note] if note else [])]), spec,
                 layout.name)  # fmt: skip


def _marks(qualifiers: set[str], estimated: bool) -> str:
    """The signs of a stage's bar: ">" with a lower bound in it, "~" with an approximate or
    estimated figure."""
    signs = ">" if qualifiers & LOWER_BOUNDS else ""
    return signs + ("~" if qualifiers & APPROXIMATE or estimated else "")


def seizures_by_stage_chart(
    stages: Sequence[Mapping[str, Any]],
    figures: Sequence[StageFigure],
    lang: str,
    gettext: Callable[[str], str],
    palette: Mapping[str, str],
    layout: Layout,
    substance_name: Callable[[Mapping[str, Any]], str],
) -> Chart:
    """Each stage's seizures (mass) as a bar of its substances, stages in date order."""
    order = dated(stages)
    by_id = {s["id"]: s for s in order}
    mine = [f for f in figures if f.stage_id in by_id]
    with_figures = [s for s in order if any(f.stage_id == s["id"] for f in mine)]
    title = gettext("Seizures per stage of Channel, kg")
    legend_note = gettext(
        "“>” a lower bound (more than, at least) is in the bar; “~” an approximate figure "
        "(about, almost). Each figure is for its stage's dates."
    )
    description = gettext(
        "%(count)d stages with seizure figures by mass, drawn as bars of their substances "
        "in date order. The stage pages list every figure with its source."
    ) % {"count": len(with_figures)}
    names = _axis_names(with_figures, lang)
    label_of: dict[tuple[str, bool], str] = {}
    for f in mine:
        base = substance_name(f.substance)
        text = gettext("%(name)s, not itemized") % {"name": base} if f.unspecified else base
        label_of[(str(f.substance.get("slug")), f.unspecified)] = text
    rows = []
    tops: dict[int, float] = {}
    signs: dict[int, tuple[set[str], bool]] = {}
    for f in mine:
        value = float(in_display_unit(f.amount, "mass"))
        bottom = tops.get(f.stage_id, 0.0)
        tops[f.stage_id] = bottom + value
        qualifiers, estimated = signs.get(f.stage_id, (set(), False))
        signs[f.stage_id] = (qualifiers | {f.qualifier}, estimated or f.estimated)
        rows.append(
            {
                "stage": names[f.stage_id],
                "y0": bottom,
                "y1": bottom + value,
                "substance": label_of[(str(f.substance.get("slug")), f.unspecified)],
            }
        )
    marks = [
        {"stage": names[i], "top": tops[i], "sign": _marks(*signs[i])}
        for i in tops
        if _marks(*signs[i])
    ]
    domain, colours_range = _legend(mine, label_of, palette)
    x = {
        "field": "stage",
        "type": "ordinal",
        "sort": [names[s["id"]] for s in with_figures],
        "title": None,
        "axis": {"labelAngle": -60, "labelLimit": 120, "labelOverlap": True},
    }
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": titled(title, legend_note, font_size=15, layout=layout),
        "background": "#ffffff",
        "width": layout.width,
        "height": 240 if layout is charts.WIDE else 220,
        "layer": [
            {
                "data": {"values": rows},
                "mark": {"type": "bar", "stroke": "#ffffff", "strokeWidth": 0.5},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "y0",
                        "type": "quantitative",
                        "title": unit_word("mass", lang),
                        "axis": {"format": ",~r"},
                    },
                    "y2": {"field": "y1"},
                    "color": {
                        "field": "substance",
                        "type": "nominal",
                        "scale": {"domain": domain, "range": colours_range},
                        "title": gettext("Substance"),
                    },
                },
            },
            {
                "data": {"values": marks},
                "mark": {
                    "type": "text",
                    "dy": -8,
                    "fontSize": 13,
                    "fontWeight": "bold",
                    "fill": "#1a1a1a",
                },
                "encoding": {
                    "x": x,
                    "y": {"field": "top", "type": "quantitative"},
                    "text": {"field": "sign"},
                },
            },
        ],
        "config": chart_config(lang, layout),
    }
    return Chart("stages", title, f"{description} {legend_note}", spec, layout.name)


def _axis_names(stages: Sequence[Mapping[str, Any]], lang: str) -> dict[int, str]:
    """Each stage on the axis by its month and year (its name is on the timeline above); two
    stages of one month as "2004-11 (1)", "2004-11 (2)", never drawn as one bar."""
    months: dict[int, str] = {}
    for stage in stages:
        start = _day(stage["start_on"])
        assert start is not None
        months[stage["id"]] = (
            f"{start.month:02d}.{start.year}" if lang == "ru" else f"{start.year}-{start.month:02d}"
        )
    seen: dict[str, int] = {}
    names = {}
    for stage_id, month in months.items():
        shared = list(months.values()).count(month) > 1
        seen[month] = seen.get(month, 0) + 1
        names[stage_id] = f"{month} ({seen[month]})" if shared else month
    return names


def _legend(
    figures: Sequence[StageFigure],
    label_of: Mapping[tuple[str, bool], str],
    palette: Mapping[str, str],
) -> tuple[list[str], list[str]]:
    order = {slug: index for index, slug in enumerate(palette)}
    keys = sorted(
        {(str(f.substance.get("slug")), f.unspecified) for f in figures},
        key=lambda key: (order.get(key[0], len(order)), key[1], key[0]),
    )
    return [label_of[k] for k in keys], [
        colours.colour_of(palette, slug, unitemized=rest) for slug, rest in keys
    ]
