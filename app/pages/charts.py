"""The seizure charts: Vega-Lite specifications drawn to SVG (and PNG) on the server by
vl-convert, which bundles Vega and needs no network and no browser.

One chart per unit kind (mass in kg, volume in litres, counts in items): kinds are never
added together. Per-year totals are stacked bars by substance; a report whose period spans
several years (the totals' `beyond_window`) is a bracket across its years in a panel of its
own, labelled with its period and its qualifier, never a bar of one year. Pro-rata shares
(`allocate=pro_rata`) are bars too, drawn paler and named estimates in the legend.
"""

import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from html import escape
from typing import Any

import vl_convert as vlc

from app.pages.service import Figure, name
from app.pages.templating import format_number

WIDTH = 640
SPAN_ROW = 26
# Colour-blind safe (Okabe-Ito), then more; each substance keeps its colour in both panels.
PALETTE = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
    "#D55E00", "#F0E442", "#000000", "#999999", "#882255",
]  # fmt: skip
DIVISORS = {"mass": 1000, "volume": 1000, "count": 1}  # g -> kg, ml -> l, items
NUMBER_LOCALES = {
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["", ""]},
    "ru": {"decimal": ",", "thousands": "\u00a0", "grouping": [3], "currency": ["", ""]},
}


def in_display_unit(amount: int, unit_kind: str) -> Decimal:
    return Decimal(amount) / DIVISORS[unit_kind]


def chart_spec(
    figures: Sequence[Figure],
    unit_kind: str,
    lang: str,
    gettext: Callable[[str], str],
    *,
    title: str,
    unit_label: str,
) -> dict[str, Any]:
    """The Vega-Lite specification of one unit kind's chart."""
    mine = [f for f in figures if f.unit_kind == unit_kind]
    bars = [f for f in mine if f.section == "groups" and f.year is not None]
    spans = [f for f in mine if f.section == "beyond_window" and f.period is not None]
    years = sorted(
        {f.year for f in bars if f.year is not None} | {y for f in spans for y in _span(f)}
    )
    first, last = (years[0], years[-1]) if years else (2000, 2001)
    if last - first < 2:  # a lone year's bar is a bar, not the whole width
        first, last = first - 1, last + 1
    domain = [first - 0.5, last + 0.5]
    ticks = list(range(first, last + 1))
    substances: list[str] = []
    for f in mine:
        label = _substance_label(f, lang, gettext)
        if label not in substances:
            substances.append(label)
    colors = {
        "domain": substances,
        "range": [PALETTE[i % len(PALETTE)] for i in range(len(substances))],
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
    # Stacked on the server: each bar's bottom and top, in the order of the totals' lines.
    bar_rows = []
    heights: dict[int, float] = {}
    for f in bars:
        year = int(f.year)  # type: ignore[arg-type]
        value = float(in_display_unit(f.amount, unit_kind))
        bottom = heights.get(year, 0.0)
        heights[year] = bottom + value
        bar_rows.append(
            {
                "x0": year - 0.4,
                "x1": year + 0.4,
                "y0": bottom,
                "y1": bottom + value,
                "substance": _substance_label(f, lang, gettext),
                "kind": estimate if f.estimated else stated,
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
        span_rows = [
            {
                "row": index,
                "x0": int(f.period[0][:4]) - 0.45,  # type: ignore[index]
                "x1": int(f.period[1][:4]) + 0.45,  # type: ignore[index]
                "at": int(f.period[0][:4]) - 0.4,  # type: ignore[index]
                "substance": _substance_label(f, lang, gettext),
                "label": f"{period_label(f.period)}: {_substance_label(f, lang, gettext)}, "  # type: ignore[arg-type]
                + quantity_words(f.amount, f.qualifier, unit_kind, lang, gettext, f.estimated),
            }
            for index, f in enumerate(spans)
        ]
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
                "title": {
                    "text": gettext(
                        "Reports covering several years (each figure is for the whole period)"
                    ),
                    "anchor": "start",
                    "fontSize": 13,
                },
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
                    {
                        "mark": {
                            "type": "text",
                            "fontSize": 12,
                            "fill": "#1a1a1a",
                            "baseline": "middle",
                            "align": "left",  # from the start of its period onwards
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
                    },
                ],
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {"text": title, "anchor": "start", "fontSize": 15},
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


def unit_word(unit_kind: str, gettext: Callable[[str], str]) -> str:
    return {"mass": gettext("kg"), "volume": gettext("l"), "count": gettext("items")}[unit_kind]


def quantity_words(
    amount: int,
    qualifier: str,
    unit_kind: str,
    lang: str,
    gettext: Callable[[str], str],
    estimated: bool = False,
) -> str:
    """`more than 67,600 kg` / `более 67 600 кг`; `about` for an estimate."""
    number = (
        f"{format_number(in_display_unit(amount, unit_kind), lang)} {unit_word(unit_kind, gettext)}"
    )
    if qualifier == "at_least":
        return gettext("more than %(quantity)s") % {"quantity": number}
    if qualifier == "about" or estimated:
        return gettext("about %(quantity)s") % {"quantity": number}
    return number


_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_INNER_ARIA = re.compile(r'\s(?:aria-[a-z]+|role)="[^"]*"')


def accessible_svg(svg: str, title: str, description: str, ident: str) -> str:
    """The SVG with role="img", a <title> and a <desc> (what a screen reader announces)."""
    opening = _SVG_OPEN.search(svg)
    assert opening is not None, "vl-convert made no <svg>"
    tag = opening.group(0)[:-1]
    tag += f' role="img" aria-label="{escape(title)}" aria-describedby="{ident}-desc" id="{ident}">'
    # Inside, no part announces itself: the image is named once, by its title and desc.
    body = _INNER_ARIA.sub("", svg[opening.end() :])
    head = (
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>'
    )
    return svg[: opening.start()] + tag + head + body


def to_svg(spec: dict[str, Any]) -> str:
    return str(vlc.vegalite_to_svg(spec))


def to_png(spec: dict[str, Any], scale: float = 2) -> bytes:
    return bytes(vlc.vegalite_to_png(spec, scale=scale))
