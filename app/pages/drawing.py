"""Vega-Lite specifications drawn as SVG or PNG by vl-convert, which bundles Vega and needs
no network and no browser.

The server draws in a worker process of its own (app/pages/chart_images.py), because
vl-convert holds Python's GIL for the whole of a drawing: drawn in a thread, a 0.2 s PNG
stopped the event loop for 0.2 s and every thread with it, the one that serves reads
included; drawn in a process, the loop's longest pause was 9 ms. This module is what that
process imports, so it imports vl-convert and nothing else of the app.
"""

import re
from html import escape
from typing import Any

import vl_convert as vlc

PNG_SCALE = 2  # pixels per CSS pixel: sharp on high-density screens and in print
# The longest side of a PNG, in pixels: a chart larger than 1200 CSS pixels is drawn at a
# smaller scale. The charts' own bounds (app/pages/charts.py) keep them under 1000.
MAX_PNG_SIDE = 2400

_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_SVG_SIZE = re.compile(r'\bwidth="(?P<width>[0-9.]+)"\s+height="(?P<height>[0-9.]+)"')
_INNER_ARIA = re.compile(r'\s(?:aria-[a-z]+|role)="[^"]*"')


def svg(spec: dict[str, Any], title: str, description: str, ident: str) -> str:
    """The chart as an accessible SVG (see `accessible_svg`)."""
    return accessible_svg(str(vlc.vegalite_to_svg(spec)), title, description, ident)


def png(spec: dict[str, Any]) -> bytes:
    """The chart as a PNG of at most MAX_PNG_SIDE pixels a side. (vl-convert's own
    vegalite_to_png makes the same SVG and draws it the same way, byte for byte.)"""
    svg = str(vlc.vegalite_to_svg(spec))
    opening = _SVG_OPEN.search(svg)
    size = _SVG_SIZE.search(opening.group(0)) if opening else None
    assert size is not None, "vl-convert made no <svg> with a width and a height"
    longest = max(float(size["width"]), float(size["height"]), 1.0)
    return bytes(vlc.svg_to_png(svg, scale=min(PNG_SCALE, MAX_PNG_SIDE / longest)))


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
