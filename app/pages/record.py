"""Words for the public record's facts on the pages (issue 23): a stage's result other
than drugs, with the source's qualifier, and the kinds of fact sources disagree on."""

from collections.abc import Callable
from typing import Any

from app import wording
from app.pages import facts
from app.pages.i18n import translations

GRAMS_UNIT = "grams"  # precursors are a mass, stored in grams as seizures are


def result_words(result: dict[str, Any], lang: str) -> str:
    """`more than 9,000`, `около 2 500`, `more than 34 kg`: the number the source gave,
    with its qualifier in the source's word; no unit word (the result's label names what
    is counted), except a mass."""
    word = wording.bound_word(result.get("as_reported"))
    if result.get("unit") == GRAMS_UNIT:
        return wording.quantity_words(int(result["value"]), result["qualifier"], "mass", lang,
                                      word=word)  # fmt: skip
    number = wording.format_number(result["value"], lang)
    return wording.qualified(number, result["qualifier"], lang, word=word)


def record_helpers(lang: str) -> dict[str, Any]:
    """What the Channel, stage and coverage pages' templates use besides `_common`'s."""
    gettext = translations(lang).gettext
    disagreement = {
        "dates": gettext("dates"),
        "total": gettext("total seizures"),
        "results": gettext("other results"),
    }
    return {
        "result_words": lambda result: result_words(result, lang),
        "disagreement": lambda key: disagreement.get(key, key),
        "result_label": lambda metric: facts.result_label(metric, gettext),
        "claim_label": lambda field: facts.claim_label(field, gettext),
        "gap_label": lambda gap: gap_label(gap, gettext),
        "source_kind": lambda kind: source_kind_label(kind, gettext),
    }


def gap_label(gap: str, gettext: Callable[[str], str]) -> str:
    """What no source states of an item (app/coverage), in words."""
    labels = {
        "dates": gettext("dates"),
        "date": gettext("date"),
        "headquarters": gettext("headquarters"),
        "place": gettext("place"),
        "figures": gettext("figures"),
        "chair": gettext("chair"),
        "decisions": gettext("decisions"),
    }
    return labels.get(gap, gap)


def source_kind_label(kind: str | None, gettext: Callable[[str], str]) -> str:
    labels = {
        "official_csto": gettext("official CSTO"),
        "official_ksopn": gettext("official KSOPN"),
        "ministry": gettext("national ministry"),
        "caricc": gettext("CARICC or UNODC"),
        "news_agency": gettext("news agency"),
        "press": gettext("press"),
        "weak": gettext("weak source (a repost or a rewrite)"),
    }
    return labels.get(kind or "", gettext("kind not stated"))
