"""How a quantity is put into words, in English and Russian: the number in the language's
way, its unit, and the qualifier the source gave it. The one home of this wording: the
pages, their templates, the charts and the messages of the API (`readable`) all call it.

`more than 67,600 kg` / `более 67 600 кг`; `about 16,329 kg` for an estimate, rounded; and
`about 2,243 kg or more` / `около 2 243 кг и более` for an estimated share of a lower bound.
"""

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from babel.numbers import format_decimal

from app.models.enums import UnitKind

LANGUAGES = ("en", "ru")
# Base units (grams, millilitres, items) to the units figures are shown in.
DIVISORS = {"mass": 1000, "volume": 1000, "count": 1}
UNITS = {
    "en": {"mass": "kg", "volume": "l", "count": "items"},
    "ru": {"mass": "кг", "volume": "л", "count": "шт."},
}
# The qualifiers as the sources write them, around the quantity. A lower bound
# (`at_least`) is said in the source's own word: "more than" (more than, over, более, свыше)
# or "at least" (at least, не менее), its `bound_word`; when the words are unknown, the
# weaker claim, "at least".
QUALIFIED = {
    "en": {
        "more_than": "more than {quantity}",
        "at_least": "at least {quantity}",
        "about": "about {quantity}",
    },
    "ru": {
        "more_than": "более {quantity}",
        "at_least": "не менее {quantity}",
        "about": "около {quantity}",
    },
}
# The words that open a phrase stating a lower bound, by the bound they state.
BOUND_WORDS = {
    "more_than": ("more than", "over", "более", "свыше"),
    "at_least": ("at least", "не менее"),
}
# An estimate of a lower bound (a pro-rata share of a "more than" figure): estimated, and
# still a lower bound.
ESTIMATED_BOUND = {"en": "about {quantity} or more", "ru": "около {quantity} и более"}
# An estimate is shown to three significant figures, and never finer than a whole unit
# (kilogram, litre, item): its last digits are the arithmetic's, not the source's.
ESTIMATE_DIGITS = 3
ALMOST = {"en": "almost {quantity}", "ru": "почти {quantity}"}  # below it, and close


def format_number(value: int | float | Decimal, lang: str, digits: int = 3) -> str:
    """`67600` as `67,600` (en) or `67 600` (ru, with a no-break space)."""
    pattern = f"#,##0.{'#' * digits}" if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=lang)


def in_display_unit(amount: int, unit_kind: str) -> Decimal:
    """An amount in base units in the unit it is shown in: grams as kilograms."""
    return Decimal(amount) / DIVISORS[unit_kind]


def unit_word(unit_kind: str, lang: str) -> str:
    return UNITS[lang][unit_kind]


def rounded_estimate(value: Decimal) -> Decimal:
    """An estimate to three significant figures, or whole units when it has more:
    `16329.334` is `16329`, `2.2437` is `2.24`."""
    if value == 0:
        return Decimal(0)
    places = ESTIMATE_DIGITS - value.copy_abs().adjusted() - 1
    return value.quantize(Decimal(1).scaleb(-max(places, 0)), rounding=ROUND_HALF_EVEN)


def estimate_in_display_unit(amount: int, unit_kind: str) -> Decimal:
    """An estimated amount in base units, rounded, in the unit it is shown in."""
    return rounded_estimate(in_display_unit(amount, unit_kind))


def bound_word(as_reported: str | None) -> str:
    """The word of a lower bound as the source gave it: `more_than` when the phrase opens
    with "more than", "over", "более" or "свыше", else `at_least` (also when unknown)."""
    text = " ".join((as_reported or "").casefold().split())
    if any(text.startswith(word + " ") for word in BOUND_WORDS["more_than"]):
        return "more_than"
    return "at_least"


def qualified(
    text: str,
    qualifier: str | None,
    lang: str,
    *,
    estimated: bool = False,
    word: str | None = None,
) -> str:
    """`text` with the source's qualifier: a lower bound in its own `word` (`more than`,
    `at least`), or `about` (also for an estimate); an estimated lower bound is
    `about ... or more`."""
    if qualifier == "at_least":
        if estimated:
            return ESTIMATED_BOUND[lang].format(quantity=text)
        bound = word if word in BOUND_WORDS else "at_least"
        return QUALIFIED[lang][bound].format(quantity=text)
    if qualifier == "about" or estimated:
        return QUALIFIED[lang]["about"].format(quantity=text)
    if qualifier == "almost":
        return ALMOST[lang].format(quantity=text)
    return text


def quantity_words(
    amount: int,
    qualifier: str | None,
    unit_kind: str,
    lang: str,
    estimated: bool = False,
    word: str | None = None,
) -> str:
    """A quantity in base units, as a reader of `lang` writes it, with its qualifier; an
    estimate rounded (`rounded_estimate`)."""
    shown = (estimate_in_display_unit if estimated else in_display_unit)(amount, unit_kind)
    number = f"{format_number(shown, lang)} {unit_word(unit_kind, lang)}"
    return qualified(number, qualifier, lang, estimated=estimated, word=word)


def words_of(item: Mapping[str, Any], lang: str) -> str:
    """The quantity of a seizure report or a totals line in words: its amount, qualifier,
    unit kind, whether estimated, and the source's word for a lower bound (a line's
    `bound_word`, or read from a report's `as_reported`)."""
    word = item.get("bound_word") or bound_word(item.get("as_reported"))
    return quantity_words(
        int(item["amount"]),
        str(item["qualifier"]),
        str(item["unit_kind"]),
        lang,
        bool(item.get("estimated")),
        word,
    )


def figure_words(
    value: int | float | Decimal,
    unit: str,
    qualifier: str | None,
    lang: str,
    as_reported: str | None = None,
) -> str:
    """A reported figure that is no seizure (`30 stages`), with its qualifier in the
    source's word (read from `as_reported`: "over 20" is "more than 20")."""
    text = f"{format_number(value, lang)} {unit}"
    return qualified(text, qualifier, lang, word=bound_word(as_reported))


# The units of the API's messages (English), largest first: an amount is written in the
# largest unit of which it has one, and ten tonnes read as 10,000 kg, as the reports give
# them.
_READABLE_UNITS = {
    UnitKind.MASS: [("kg", 1000), ("g", 1)],
    UnitKind.VOLUME: [("l", 1000), ("ml", 1)],
    UnitKind.COUNT: [("pcs", 1)],
}


_READABLE_UNITS_RU = {"kg": "кг", "g": "г", "l": "л", "ml": "мл", "pcs": "шт."}


def readable(kind: UnitKind | str, amount: int, lang: str = "en") -> str:
    """An amount in base units as the API's messages write it: `2,500 kg`, `85.5 kg`; in
    Russian `2 500 кг`, `85,5 кг`."""
    units = _READABLE_UNITS[UnitKind(kind)]
    unit, size = next(((unit, size) for unit, size in units if amount >= size), units[-1])
    if lang == "ru":
        return f"{format_number(Decimal(amount) / size, 'ru')} {_READABLE_UNITS_RU[unit]}"
    return f"{Decimal(amount) / size:,f} {unit}"
