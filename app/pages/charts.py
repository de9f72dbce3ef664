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
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.pages.service import Figure, name
from app.wording import in_display_unit, quantity_words, unit_word

WIDTH = 640
SPAN_ROW = 26
SPAN_LABEL_LIMIT = 560  # px: a longer label ends in an ellipsis (the table has it whole)
CHAR_PX = 7.2  # a label's width per character, about: DejaVu Sans at 12 px
MAX_SPANS = 12  # brackets of multi-year reports drawn, the largest; 312 px of rows
MAX_TICKS = 32  # year labels on the axis; beyond, every 2nd, 5th, 10th... year
# Colour-blind safe (Okabe-Ito), then more; each substance keeps its colour in both panels.
PALETTE = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
    "#D55E00", "#F0E442", "#000000", "#999999", "#882255",
]  # fmt: skip
# One colour each: with more substances, the smallest are drawn as one, "Other substances",
# in grey, after (above) the others.
MAX_SUBSTANCES = len(PALETTE)
OTHER_COLOUR = "#999999"
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


def seizure_chart(
    figures: Sequence[Figure], unit_kind: str, lang: str, gettext: Callable[[str], str]
) -> Chart:
    """The chart of one unit kind's figures, with its title and its description (what a
    screen reader announces), each saying what the chart leaves to the table."""
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
        drawn, unit_kind, lang, gettext, title=title, unit_label=unit_word(unit_kind, lang)
    )
    return Chart(unit_kind, title, " ".join([description, *drawn.notes]), spec)


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


def _year_ticks(first: int, last: int) -> list[int]:
    """Every year of the axis, or every 2nd, 5th, 10th... when they are more than MAX_TICKS."""
    step = next(
        s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10_000)
        if (last - first) // s < MAX_TICKS
    )  # fmt: skip
    return [year for year in range(first, last + 1) if year % step == 0 or step == 1]


def chart_spec(
    drawn: Drawn,
    unit_kind: str,
    lang: str,
    gettext: Callable[[str], str],
    *,
    title: str,
    unit_label: str,
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
    ticks = _year_ticks(first, last)
    substances: list[str] = []
    for f in [*bars, *spans]:
        if label[id(f)] not in substances and label[id(f)] != drawn.other:
            substances.append(label[id(f)])
    palette = PALETTE if drawn.other is None else [c for c in PALETTE if c != OTHER_COLOUR]
    colors = {
        "domain": substances + ([drawn.other] if drawn.other else []),
        "range": [palette[i % len(palette)] for i in range(len(substances))]
        + ([OTHER_COLOUR] if drawn.other else []),
    }
    estimate = gettext("estimate (pro rata)")
    stated = gettext("as reported")
    x_axis = {
        "title": gettext("Year"),
        "values": ticks,
        "format": "d",
        "labelFlush": False,
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
        "color": {
            "field": "substance",
            "type": "nominal",
            "scale": colors,
            "title": gettext("Substance"),
        },
    }
    if any(f.estimated for f in bars):
        bar_encoding["opacity"] = {
            "field": "kind",
            "type": "nominal",
            "scale": {"domain": [stated, estimate], "range": [1.0, 0.45]},
            "title": gettext("Figure"),
        }
    panels: list[dict[str, Any]] = []
    if bars or not spans:
        panels.append(
            {
                "width": WIDTH,
                "height": 220,
                "title": {"text": gettext("Per year"), "anchor": "start", "fontSize": 13},
                "data": {"values": bar_rows},
                "mark": {"type": "rect", "stroke": "#ffffff", "strokeWidth": 0.5},
                "encoding": bar_encoding,
            }
        )
    if spans:
        span_rows = []
        for index, f in enumerate(spans):
            start, end = _span(f)
            words = quantity_words(
                f.amount, f.qualifier, unit_kind, lang, f.estimated, f.bound_word
            )
            text = f"{period_label(f.period)}: {_substance_label(f, lang, gettext)}, {words}"  # type: ignore[arg-type]
            from_end = _label_from_end(text, start - 0.4, end + 0.4, domain)
            span_rows.append(
                {
                    "row": index,
                    "x0": start - 0.45,
                    "x1": end + 0.45,
                    "at": end + 0.4 if from_end else start - 0.4,
                    "from_end": from_end,
                    "substance": label[id(f)],
                    "label": text,
                }
            )
        x_span = {
            "field": "x0",
            "type": "quantitative",
            "scale": {"domain": domain, "nice": False, "zero": False},
            "axis": {**x_axis, "title": None},
        }
        y_row = {"field": "row", "type": "ordinal", "axis": None}
        panels.append(
            {
                "width": WIDTH,
                "height": SPAN_ROW * len(spans),
                "title": _titled(
                    gettext("Reports covering several years (each figure is for the whole period)"),
                    drawn.span_note,
                    font_size=13,
                ),
                "data": {"values": span_rows},
                "layer": [
                    {
                        # A bracket across the years: a pale band with a border of its colour.
                        "name": "span",
                        "mark": {
                            "type": "bar",
                            "height": SPAN_ROW - 6,
                            "fillOpacity": 0.22,
                            "strokeWidth": 1.5,
                            "cornerRadius": 3,
                        },
                        "encoding": {
                            "x": x_span,
                            "x2": {"field": "x1"},
                            "y": y_row,
                            "color": {
                                "field": "substance",
                                "type": "nominal",
                                "scale": colors,
                                "title": gettext("Substance"),
                            },
                            "stroke": {
                                "field": "substance",
                                "type": "nominal",
                                "scale": colors,
                                "title": gettext("Substance"),
                            },
                        },
                    },
                    _span_labels(domain, y_row, from_end=False),
                    _span_labels(domain, y_row, from_end=True),
                ],
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": _titled(title, drawn.substance_note, font_size=15),
        "background": "#ffffff",
        "vconcat": panels,
        "spacing": 24,
        "config": {
            # The <svg> is one image (role="img") named by its <title> and <desc>; its marks
            # carry no ARIA labels of their own (Vega's would read out "x0: 2017.55; ...").
            "aria": False,
            "locale": {"number": NUMBER_LOCALES[lang]},
            "font": "DejaVu Sans, Arial, sans-serif",
            "axis": {"labelColor": "#1a1a1a", "titleColor": "#1a1a1a", "labelFontSize": 12},
            "legend": {
                "labelColor": "#1a1a1a",
                "titleColor": "#1a1a1a",
                "labelFontSize": 12,
                "labelLimit": 320,
                "orient": "bottom",
                "columns": 3,
            },
            "view": {"stroke": None},
        },
    }


def _label_from_end(text: str, start: float, end: float, domain: list[float]) -> bool:
    """Whether a span's label runs back from its period's end rather than on from its
    start: whichever reaches less beyond the chart's width (an image as wide as the chart)."""
    px = WIDTH / (domain[1] - domain[0])
    length = min(len(text) * CHAR_PX, SPAN_LABEL_LIMIT)
    beyond_if_from_start = (start - domain[0]) * px + length - WIDTH
    beyond_if_from_end = length - (end - domain[0]) * px
    return max(beyond_if_from_end, 0) < max(beyond_if_from_start, 0)


def _span_labels(domain: list[float], y_row: dict[str, Any], *, from_end: bool) -> dict[str, Any]:
    """The layer of the span labels that start at their period's start, or end at its end."""
    return {
        "transform": [{"filter": "datum.from_end" if from_end else "!datum.from_end"}],
        "mark": {
            "type": "text",
            "fontSize": 12,
            "fill": "#1a1a1a",
            "baseline": "middle",
            "align": "right" if from_end else "left",
            "limit": SPAN_LABEL_LIMIT,
        },
        "encoding": {
            "x": {
                "field": "at",
                "type": "quantitative",
                "scale": {"domain": domain, "nice": False, "zero": False},
            },
            "y": y_row,
            "text": {"field": "label"},
        },
    }


def _titled(text: str, note: str | None, *, font_size: int) -> dict[str, Any]:
    """A title, with the note under it of what the panel leaves to the table."""
    title: dict[str, Any] = {"text": text, "anchor": "start", "fontSize": font_size}
    if note:
        title |= {"subtitle": note, "subtitleFontSize": 12, "subtitleColor": "#1a1a1a"}
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
