"""How a quantity is put into words, in English and Russian: the number in the language's
way, its unit, and the qualifier the source gave it. The one home of this wording: the
pages, their templates, the charts and the messages of the API (`readable`) all call it.

`more than 67,600 kg` / `более 67 600 кг`; `about 2,243 kg` for an estimate.
"""

from decimal import Decimal

from babel.numbers import format_decimal

from app.models.enums import UnitKind

LANGUAGES = ("en", "ru")
# Base units (grams, millilitres, items) to the units figures are shown in.
DIVISORS = {"mass": 1000, "volume": 1000, "count": 1}
UNITS = {
    "en": {"mass": "kg", "volume": "l", "count": "items"},
    "ru": {"mass": "кг", "volume": "л", "count": "шт."},
}
# The qualifiers as the sources write them, around the quantity.
QUALIFIED = {
    "en": {"at_least": "more than {quantity}", "about": "about {quantity}"},
    "ru": {"at_least": "более {quantity}", "about": "около {quantity}"},
}
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


def qualified(text: str, qualifier: str | None, lang: str, *, estimated: bool = False) -> str:
    """`text` with the source's qualifier: `more than`, or `about` (also for an estimate)."""
    if qualifier == "at_least":
        return QUALIFIED[lang]["at_least"].format(quantity=text)
    if qualifier == "about" or estimated:
        return QUALIFIED[lang]["about"].format(quantity=text)
    if qualifier == "almost":
        return ALMOST[lang].format(quantity=text)
    return text


def quantity_words(
    amount: int, qualifier: str | None, unit_kind: str, lang: str, estimated: bool = False
) -> str:
    """A quantity in base units, as a reader of `lang` writes it, with its qualifier."""
    number = (
        f"{format_number(in_display_unit(amount, unit_kind), lang)} {unit_word(unit_kind, lang)}"
    )
    return qualified(number, qualifier, lang, estimated=estimated)


def figure_words(value: int | float | Decimal, unit: str, qualifier: str | None, lang: str) -> str:
    """A reported figure that is no seizure (`30 stages`), with its qualifier."""
    return qualified(f"{format_number(value, lang)} {unit}", qualifier, lang)


# The units of the API's messages (English), largest first: an amount is written in the
# largest unit of which it has one, and ten tonnes read as 10,000 kg, as the reports give
# them.
_READABLE_UNITS = {
    UnitKind.MASS: [("kg", 1000), ("g", 1)],
    UnitKind.VOLUME: [("l", 1000), ("ml", 1)],
    UnitKind.COUNT: [("pcs", 1)],
}


def readable(kind: UnitKind | str, amount: int) -> str:
    """An amount in base units as the API's messages write it: `2,500 kg`, `85.5 kg`."""
    units = _READABLE_UNITS[UnitKind(kind)]
    unit, size = next(((unit, size) for unit, size in units if amount >= size), units[-1])
    return f"{Decimal(amount) / size:,f} {unit}"
