"""The seizure charts: Vega-Lite specifications, drawn to SVG (and PNG) on the server by
app/pages/drawing.py.

One chart per unit kind (mass in kg, volume in litres, counts in items): kinds are never
added together. Per-year totals are stacked bars by substance; a report whose period spans
several years (the totals' `beyond_window`) is a bracket across its years in a panel of its
own, labelled with its period and its qualifier, never a bar of one year. Pro-rata shares
(`allocate=pro_rata`) are bars too, drawn paler and named estimates in the legend.

A chart has a bounded size whatever the registry holds: at most MAX_SUBSTANCES colours (the
smallest substances beyond them are drawn together as "Other substances") and MAX_SPANS
brackets (the largest), each cut said in a note on the image and in its description; the
table under the chart lists every figure. Unbounded, 200,000 demo reports drew a 2004 x 9280
pixel PNG of 4 MB in 4.9 s (161 brackets).

Each substance has its own colour in every chart (app/pages/colours.py). Each chart is drawn
in two layouts (WIDE for a page's column, NARROW for a phone), and no label runs past its
box: a bracket's label is inside it, beside it or on a line of its own (`place_label`), with
Vega's `limit` as the last guard; titles are wrapped to the width.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from app.pages import colours
from app.pages.service import Figure, name
from app.wording import in_display_unit, quantity_words, unit_word

SPAN_ROW = 26
LINE = 16  # px: a line of 12 px text, where a span's label has a line of its own
CHAR_PX = 7.4  # a label's width per character at 12 px, about (DejaVu Sans; Cyrillic wider)
GAP = 6  # px between a bracket and its label beside it
MAX_SPANS = 12  # brackets of multi-year reports drawn, the largest
TICK_PX = 38  # px a year label needs on the axis; fewer fit, every 2nd, 5th, 10th... year
# One colour each (app/pages/colours.py); with more substances, the smallest are drawn as
# one, "Other substances", after (above) the others.
MAX_SUBSTANCES = 10
OTHER_COLOUR = colours.OTHER_COLOUR


@dataclass(frozen=True)
class Layout:
    """How wide a chart is drawn, and what fits: the page holds a wide drawing, which fills
    its column at 1280 px, and a narrow one for phones, whose text stays at least 11 CSS px
    on a 390 px screen (a wide drawing shrunk to a phone's width had 5 px text)."""

    name: str
    width: int  # px of the plot; the image adds its axis and padding
    legend_columns: int

    @property
    def chars(self) -> int:
        """Characters of 12 px text a line of the image's width holds."""
        return int(self.width / CHAR_PX)


WIDE = Layout("wide", 1010, 3)
NARROW = Layout("narrow", 280, 1)
LAYOUTS = {layout.name: layout for layout in (WIDE, NARROW)}
NUMBER_LOCALES = {
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["", ""]},
    "ru": {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", ""]},
}


@dataclass(frozen=True)
class Chart:
    """One unit kind's chart, ready to draw: its specification and the words naming it."""

    kind: str
    title: str
    description: str
    spec: dict[str, Any]
    layout: str = "wide"


def seizure_chart(
    figures: Sequence[Figure],
    unit_kind: str,
    lang: str,
    gettext: Callable[[str], str],
    palette: Mapping[str, str],
    layout: Layout = WIDE,
) -> Chart:
    """The chart of one unit kind's figures, with its title and its description (what a
    screen reader announces), each saying what the chart leaves to the table. `palette` is
    the substances' colours (app/pages/colours.py)."""
    drawn = Drawn.of([f for f in figures if f.unit_kind == unit_kind], lang, gettext)
    title = {
        "mass": gettext("Seizures by year and substance, kg"),
        "volume": gettext("Seizures by year and substance, litres"),
        "count": gettext("Seizures by year and substance, items"),
    }[unit_kind]
    description = gettext(
        "%(bars)d per-year figures drawn as stacked bars, %(spans)d figures for periods "
        "of several years drawn as spans across their years. The table below lists "
        "every figure with its source."
    ) % {"bars": len(drawn.bars), "spans": len(drawn.spans)}
    spec = chart_spec(
        drawn,
        unit_kind,
        lang,
        gettext,
        title=title,
        unit_label=unit_word(unit_kind, lang),
        palette=palette,
        layout=layout,
    )
    return Chart(unit_kind, title, " ".join([description, *drawn.notes]), spec, layout.name)


@dataclass(frozen=True)
class Drawn:
    """What a chart draws of its figures: every per-year figure, the MAX_SPANS largest
    multi-year ones, each under its substance's label or, beyond MAX_SUBSTANCES, under
    "Other substances"; and the notes that say so."""

    bars: list[Figure]
    spans: list[Figure]
    labels: dict[int, str]  # id(figure) -> the label it is drawn under
    other: str | None  # the label of the substances drawn as one, if any are
    substance_note: str | None
    span_note: str | None

    @classmethod
    def of(cls, mine: Sequence[Figure], lang: str, gettext: Callable[[str], str]) -> "Drawn":
        bars = [f for f in mine if f.section == "groups" and f.year is not None]
        spans = [f for f in mine if f.section == "beyond_window" and f.period is not None]
        largest = set(map(id, sorted(spans, key=lambda f: -f.amount)[:MAX_SPANS]))
        drawn_spans = [f for f in spans if id(f) in largest]  # in the totals' order
        span_note = None
        if len(drawn_spans) < len(spans):
            span_note = gettext(
                "Reports covering several years drawn: %(shown)d of %(count)d (the largest); "
                "the table below lists every one."
            ) % {"shown": len(drawn_spans), "count": len(spans)}
        own = {id(f): _substance_label(f, lang, gettext) for f in mine}
        amounts: dict[str, int] = {}
        for f in [*bars, *drawn_spans]:
            amounts[own[id(f)]] = amounts.get(own[id(f)], 0) + f.amount
        if len(amounts) <= MAX_SUBSTANCES:
            return cls(bars, drawn_spans, own, None, None, span_note)
        by_amount = sorted(amounts, key=lambda label: (-amounts[label], label))
        kept = set(by_amount[: MAX_SUBSTANCES - 1])
        other = gettext("Other substances")
        labels = {key: label if label in kept else other for key, label in own.items()}
        substance_note = gettext(
            "Substances drawn one by one: %(shown)d of %(count)d (the largest); the others "
            "together as “Other substances”."
        ) % {"shown": len(kept), "count": len(amounts)}
        return cls(bars, drawn_spans, labels, other, substance_note, span_note)

    @property
    def notes(self) -> list[str]:
        return [note for note in (self.substance_note, self.span_note) if note]


def _year_ticks(first: int, last: int, layout: Layout) -> list[int]:
    """Every year of the axis, or every 2nd, 5th, 10th... year, as many as the width holds."""
    most = max(2, layout.width // TICK_PX)
    step = next(
        s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10_000)
        if (last - first) // s < most
    )  # fmt: skip
    return [year for year in range(first, last + 1) if year % step == 0 or step == 1]


def colour_scale(
    figures: Sequence[Figure], drawn: "Drawn", palette: Mapping[str, str]
) -> dict[str, list[str]]:
    """The labels drawn and their colours, each substance's own (app/pages/colours.py), in
    the taxonomy's order: a family together, a substance before its not-itemized part."""
    order = {slug: index for index, slug in enumerate(palette)}
    colour: dict[str, str] = {}
    rank: dict[str, tuple[int, bool, str]] = {}
    for f in figures:
        label = drawn.labels[id(f)]
        if label == drawn.other or label in colour:
            continue
        slug = str(f.substance.get("slug") or "")
        colour[label] = colours.colour_of(palette, slug, unitemized=f.unspecified)
        rank[label] = (order.get(slug, len(order)), f.unspecified, label)
    domain = sorted(colour, key=rank.__getitem__)
    if drawn.other:
        return {"domain": [*domain, drawn.other], "range": [*map(colour.get, domain), OTHER_COLOUR]}  # type: ignore[list-item]
    return {"domain": domain, "range": [colour[label] for label in domain]}


def chart_spec(
    drawn: "Drawn",
    unit_kind: str,
    lang: str,
    gettext: Callable[[str], str],
    *,
    title: str,
    unit_label: str,
    palette: Mapping[str, str],
    layout: Layout = WIDE,
) -> dict[str, Any]:
    """The Vega-Lite specification of one unit kind's chart."""
    bars, spans, label = drawn.bars, drawn.spans, drawn.labels
    years = sorted(
        {f.year for f in bars if f.year is not None} | {y for f in spans for y in _span(f)}
    )
    first, last = (years[0], years[-1]) if years else (2000, 2001)
    if last - first < 2:  # a lone year's bar is a bar, not the whole width
        first, last = first - 1, last + 1
    domain = [first - 0.5, last + 0.5]
    scale = colour_scale([*bars, *spans], drawn, palette)
    estimate = gettext("estimate (pro rata)")
    stated = gettext("as reported")
    x_axis = {
        "title": gettext("Year"),
        "values": _year_ticks(first, last, layout),
        "format": "d",
        "labelFlush": False,
        "labelOverlap": True,  # a label that would touch another is left out, not overlapped
        "grid": False,
    }
    # Stacked on the server: each bar's bottom and top, in the order of the totals' lines;
    # the figures drawn as one ("Other substances") are one piece of their year's bar.
    pieces: dict[tuple[int, str, bool], float] = {}
    for f in sorted(bars, key=lambda f: label[id(f)] == drawn.other):  # "Other" on top
        piece = (int(f.year), label[id(f)], f.estimated)  # type: ignore[arg-type]
        pieces[piece] = pieces.get(piece, 0.0) + float(in_display_unit(f.amount, unit_kind))
    bar_rows = []
    heights: dict[int, float] = {}
    for (year, substance, estimated), value in pieces.items():
        bottom = heights.get(year, 0.0)
        heights[year] = bottom + value
        bar_rows.append(
            {
                "x0": year - 0.4,
                "x1": year + 0.4,
                "y0": bottom,
                "y1": bottom + value,
                "substance": substance,
                "kind": estimate if estimated else stated,
            }
        )
    colour = {
        "field": "substance",
        "type": "nominal",
        "scale": scale,
        "title": gettext("Substance"),
    }
    bar_encoding: dict[str, Any] = {
        "x": {
            "field": "x0",
            "type": "quantitative",
            "scale": {"domain": domain, "nice": False, "zero": False},
            "axis": x_axis,
        },
        "x2": {"field": "x1"},
        "y": {
            "field": "y0",
            "type": "quantitative",
            "title": unit_label,
            "scale": {"zero": True, "domainMin": 0},
            "axis": {"format": ",~r"},
        },
        "y2": {"field": "y1"},
        "color": colour,
    }
    if any(f.estimated for f in bars):
        bar_encoding["opacity"] = {
            "field": "kind",
            "type": "nominal",
            "scale": {"domain": [stated, estimate], "range": [1.0, 0.45]},
            "title": gettext("Figure"),
        }
    paler = None
    if "opacity" in bar_encoding and layout.legend_columns == 1:
        # A phone's width holds one legend: the paler estimates are said under the title.
        bar_encoding["opacity"]["legend"] = None
        paler = gettext("Paler: estimates (pro rata).")
    panels: list[dict[str, Any]] = []
    if bars or not spans:
        panels.append(
            {
                "width": layout.width,
                "height": 220 if layout is WIDE else 200,
                "title": titled(gettext("Per year"), paler, font_size=13, layout=layout),
                "data": {"values": bar_rows},
                "mark": {"type": "rect", "stroke": "#ffffff", "strokeWidth": 0.5},
                "encoding": bar_encoding,
            }
        )
    if spans:
        panels.append(_span_panel(drawn, unit_kind, lang, gettext, domain, x_axis, colour, layout))
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": titled(title, drawn.substance_note, font_size=15, layout=layout),
        "background": "#ffffff",
        "vconcat": panels,
        "spacing": 24,
        "config": chart_config(lang, layout),
    }


def chart_config(lang: str, layout: Layout) -> dict[str, Any]:
    """What every chart of the pages shares: fonts, numbers in the page's language, legends
    under the plot in as many columns as the width holds."""
    return {
        # The <svg> is one image (role="img") named by its <title> and <desc>; its marks
        # carry no ARIA labels of their own (Vega's would read out "x0: 2017.55; ...").
        "aria": False,
        "locale": {"number": NUMBER_LOCALES[lang]},
        "font": "DejaVu Sans, Arial, sans-serif",
        "axis": {
            "labelColor": "#1a1a1a",
            "titleColor": "#1a1a1a",
            "labelFontSize": 12,
            "titleFontSize": 12,
        },
        "legend": {
            "labelColor": "#1a1a1a",
            "titleColor": "#1a1a1a",
            "labelFontSize": 12,
            "titleFontSize": 12,
            # A label longer than its column ends in an ellipsis; the table has it whole.
            "labelLimit": layout.width // layout.legend_columns - 24,
            "orient": "bottom",
            "direction": "vertical" if layout.legend_columns == 1 else "horizontal",
            "columns": layout.legend_columns,
        },
        "view": {"stroke": None},
    }


@dataclass(frozen=True)
class Placed:
    """Where a span's label goes: inside its bracket when it fits there, else beside it on
    the side with room, else on a line of its own above it; never across the bracket, never
    past the plot's edge (`limit`: Vega ends a longer text in an ellipsis)."""

    where: Literal["inside", "right", "left", "above"]
    at_px: float
    limit: float

    @property
    def align(self) -> str:
        return "right" if self.where == "left" else "left"


def place_label(text: str, x0: float, x1: float, width: float) -> Placed:
    """A label's place by a bracket that runs from `x0` to `x1` px of a `width` px plot."""
    length = len(text) * CHAR_PX
    if length + 2 * GAP <= x1 - x0:
        return Placed("inside", x0 + GAP, x1 - x0 - 2 * GAP)
    if length + GAP <= width - x1:
        return Placed("right", x1 + GAP, width - x1 - GAP)
    if length + GAP <= x0:
        return Placed("left", x0 - GAP, x0 - GAP)
    return Placed("above", max(x0, 0.0) if length <= width - x0 else 0.0, width)


def _span_panel(
    drawn: "Drawn",
    unit_kind: str,
    lang: str,
    gettext: Callable[[str], str],
    domain: list[float],
    x_axis: dict[str, Any],
    colour: dict[str, Any],
    layout: Layout,
) -> dict[str, Any]:
    """The brackets of the multi-year reports, one a row, each with its label."""
    px_per_year = layout.width / (domain[1] - domain[0])

    def px(year: float) -> float:
        return (year - domain[0]) * px_per_year

    rows: list[dict[str, Any]] = []
    top = 0.0  # px from the panel's top
    for f in drawn.spans:
        start, end = _span(f)
        words = quantity_words(f.amount, f.qualifier, unit_kind, lang, f.estimated, f.bound_word)
        text = f"{period_label(f.period)}: {_substance_label(f, lang, gettext)}, {words}"  # type: ignore[arg-type]
        placed = place_label(text, px(start - 0.45), px(end + 0.45), layout.width)
        text_top = top
        if placed.where == "above":
            top += LINE
        band = (top + 3, top + SPAN_ROW - 3)
        if placed.where != "above":
            text_top = top + (SPAN_ROW - LINE) / 2
        rows.append(
            {
                "x0": start - 0.45,
                "x1": end + 0.45,
                "top": band[0],
                "bottom": band[1],
                "substance": drawn.labels[id(f)],
                "label": text,
                "at": domain[0] + placed.at_px / px_per_year,
                "middle": text_top + LINE / 2,
                "align": placed.align,
                "limit": placed.limit,
                "where": placed.where,
            }
        )
        top += SPAN_ROW
    height = max(top, SPAN_ROW)
    x_scale = {"domain": domain, "nice": False, "zero": False}
    # px from the top, as laid out above: the scale's range runs downwards.
    y_scale = {"domain": [0, height], "range": [0, height], "nice": False, "zero": False}
    return {
        "width": layout.width,
        "height": height,
        "title": titled(
            gettext("Reports covering several years (each figure is for the whole period)"),
            drawn.span_note,
            font_size=13,
            layout=layout,
        ),
        "data": {"values": rows},
        "layer": [
            {
                # A bracket across the years: a pale band with a border of its colour.
                "name": "span",
                "mark": {
                    "type": "rect",
                    "fillOpacity": 0.22,
                    "strokeWidth": 1.5,
                    "cornerRadius": 3,
                },
                "encoding": {
                    "x": {
                        "field": "x0",
                        "type": "quantitative",
                        "scale": x_scale,
                        "axis": {**x_axis, "title": None},
                    },
                    "x2": {"field": "x1"},
                    "y": {"field": "top", "type": "quantitative", "scale": y_scale, "axis": None},
                    "y2": {"field": "bottom"},
                    "color": colour,
                    "stroke": colour,
                },
            },
            *(_span_labels(x_scale, y_scale, align) for align in ("left", "right")),
        ],
    }


def _span_labels(x_scale: dict[str, Any], y_scale: dict[str, Any], align: str) -> dict[str, Any]:
    """The span labels of one alignment (Vega-Lite's `align` and `limit` are the mark's)."""
    return {
        "transform": [{"filter": f"datum.align === '{align}'"}],
        "mark": {
            "type": "text",
            "fontSize": 12,
            "fill": "#1a1a1a",
            "baseline": "middle",
            "align": align,
            "limit": {"expr": "datum.limit"},
        },
        "encoding": {
            "x": {"field": "at", "type": "quantitative", "scale": x_scale},
            "y": {"field": "middle", "type": "quantitative", "scale": y_scale},
            "text": {"field": "label"},
        },
    }


def wrapped(text: str, chars: int) -> list[str]:
    """`text` in lines of at most `chars` characters, broken between words."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def titled(text: str, note: str | None, *, font_size: int, layout: Layout) -> dict[str, Any]:
    """A title, with the note under it of what the panel leaves to the table; both broken
    into lines the image's width holds (Vega does not wrap a title)."""
    scale = font_size / 12
    title: dict[str, Any] = {
        "text": wrapped(text, int(layout.chars / scale)),
        "anchor": "start",
        "fontSize": font_size,
        "limit": layout.width,
    }
    if note:
        title |= {
            "subtitle": wrapped(note, layout.chars),
            "subtitleFontSize": 12,
            "subtitleColor": "#1a1a1a",
        }
    return title


def _span(f: Figure) -> tuple[int, int]:
    """The first and last calendar year of a figure's period."""
    assert f.period is not None
    return int(f.period[0][:4]), int(f.period[1][:4])


def _substance_label(f: Figure, lang: str, gettext: Callable[[str], str]) -> str:
    label = name(f.substance, lang)
    return gettext("%(name)s, not itemized") % {"name": label} if f.unspecified else label


def period_label(period: tuple[str, str]) -> str:
    """`2017–2019` for whole years, else the dates."""
    start, end = period
    if start[5:] == "01-01" and end[5:] == "12-31":
        return start[:4] if start[:4] == end[:4] else f"{start[:4]}–{end[:4]}"
    return f"{start} – {end}"
