"""Each substance's colour: a fixed function of the substance taxonomy, the same in every
chart, view and image, whatever the figures drawn.

Before, a chart gave the palette's colours out in the order its figures came, so opium was
orange on one page, pink after a stage with another substance was added, and another colour
again in the pro-rata view. Now the colours are read from the taxonomy alone, in its stored
order (ids, as `substance_tree` gives them): a new report changes no colour, and a new
substance (a higher id, last among its siblings) changes none of the others'.

- A family (a child of a root, as opioids or cannabis) has a hue of its own (Okabe-Ito's
  colour-blind safe colours first); a root with children (controlled substances) is grey.
- A family's members are shades of its hue (opium dark blue, heroin light blue), and theirs
  of theirs.
- The part of a substance's figure that its source does not itemize ("Opioids, not
  itemized") is a pale tint of the substance's colour.
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

FAMILY_COLOURS = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9",
    "#882255", "#44AA99", "#999933", "#332288", "#F0E442",
)  # fmt: skip
ROOT_COLOURS = ("#4D4D4D", "#6E5A45")
# Substances drawn together when a chart has too many (app/pages/charts.py): a warm grey
# that no substance has.
OTHER_COLOUR = "#A8957A"
# Members of a family, by their place among their siblings: darker, lighter, then further.
SHADES = (("#000000", 0.38), ("#FFFFFF", 0.42), ("#000000", 0.62), ("#FFFFFF", 0.64))
UNITEMIZED_TINT = 0.72  # mixed with white: the not-itemized part of a substance


def mix(colour: str, other: str, share: float) -> str:
    """`colour` with `share` of `other` mixed in, as #RRGGBB."""
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02X}" for x, y in zip(a, b, strict=True))


def substance_colours(tree: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Every substance's colour by slug, from the taxonomy (`substance_tree`'s nodes)."""
    colours: dict[str, str] = {}
    families = 0
    roots_with_children = 0
    for root in tree:
        if root.get("children"):
            colours[root["slug"]] = ROOT_COLOURS[roots_with_children % len(ROOT_COLOURS)]
            roots_with_children += 1
            heads = list(root["children"])
        else:
            heads = [root]  # a root alone is a family of its own
        for head in heads:
            colours[head["slug"]] = FAMILY_COLOURS[families % len(FAMILY_COLOURS)]
            families += 1
            colours.update(_shades(head, colours[head["slug"]]))
    return colours


def _shades(node: Mapping[str, Any], colour: str) -> Iterator[tuple[str, str]]:
    for index, child in enumerate(node.get("children") or []):
        towards, share = SHADES[index % len(SHADES)]
        shade = mix(colour, towards, share)
        yield child["slug"], shade
        yield from _shades(child, shade)


def colour_of(colours: Mapping[str, str], slug: str, *, unitemized: bool = False) -> str:
    """A substance's colour, pale for its not-itemized part. A slug the taxonomy does not
    hold (a chart of made-up figures) takes a family colour by its letters, still fixed."""
    colour = colours.get(slug) or FAMILY_COLOURS[sum(map(ord, slug)) % len(FAMILY_COLOURS)]
    return mix(colour, "#FFFFFF", UNITEMIZED_TINT) if unitemized else colour
