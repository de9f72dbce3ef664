"""Quantity phrases ("48 tons and 988 kg", "3 т 737 кг", "1.5 t") to exact base units.

Mass comes out in grams, volume in millilitres, counts in items. The arithmetic is done
in Decimal, so "1.5 t" is exactly 1,500,000 g; a phrase that does not come to a whole
number of base units is refused rather than rounded.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app.error_words import said
from app.models.enums import Qualifier, UnitKind

# 10^15 g is a billion tonnes: anything larger is a typing error, and it keeps every
# amount well inside a 64-bit integer column.
MAX_AMOUNT = 10**15


class QuantityError(ValueError):
    """A phrase that cannot be read as a quantity; the message says why."""


class UnreadableQuantityError(QuantityError):
    """A phrase with something in it that is no number with a unit ("lots", "5")."""


@dataclass(frozen=True)
class Quantity:
    unit_kind: UnitKind
    amount: int
    qualifier: Qualifier | None = None  # set only when the phrase itself says "more than" etc.


_UNITS: dict[str, tuple[UnitKind, Decimal]] = {}


def _register(kind: UnitKind, factor: str, *names: str) -> None:
    for name in names:
        _UNITS[name] = (kind, Decimal(factor))


_register(UnitKind.MASS, "1000000", "t", "ton", "tons", "tonne", "tonnes", "т", "тн", "тонна",
          "тонны", "тонн")  # fmt: skip
_register(UnitKind.MASS, "1000", "kg", "kgs", "kilos", "kilogram", "kilograms", "кг", "килограмм",
          "килограмма", "килограммов")  # fmt: skip
_register(UnitKind.MASS, "1", "g", "gr", "gram", "grams", "gramme", "grammes", "г", "гр",
          "грамм", "грамма", "граммов")  # fmt: skip
_register(UnitKind.MASS, "0.001", "mg", "milligram", "milligrams", "мг")
_register(UnitKind.VOLUME, "1000", "l", "litre", "litres", "liter", "liters", "л", "литр",
          "литра", "литров")  # fmt: skip
_register(UnitKind.VOLUME, "1", "ml", "millilitre", "millilitres", "milliliter", "milliliters",
          "мл")  # fmt: skip
_register(UnitKind.COUNT, "1", "pcs", "pieces", "piece", "items", "item", "units", "unit",
          "tablets", "tablet", "doses", "dose", "plants", "plant", "шт", "штук", "штуки",
          "таблеток", "таблетки", "доз", "растений")  # fmt: skip

_QUALIFIERS: list[tuple[str, Qualifier]] = [
    ("more than", Qualifier.AT_LEAST),
    ("over", Qualifier.AT_LEAST),
    ("at least", Qualifier.AT_LEAST),
    ("не менее", Qualifier.AT_LEAST),
    ("более", Qualifier.AT_LEAST),
    ("свыше", Qualifier.AT_LEAST),
    ("about", Qualifier.ABOUT),
    ("approximately", Qualifier.ABOUT),
    ("around", Qualifier.ABOUT),
    ("около", Qualifier.ABOUT),
    ("порядка", Qualifier.ABOUT),
    # Sources' words (issue 23): "some 16,000 kg", "почти 28 тонн", "nearly 15,000".
    ("some", Qualifier.ABOUT),
    ("почти", Qualifier.ALMOST),
    ("чуть менее", Qualifier.ALMOST),
    ("nearly", Qualifier.ALMOST),
    ("almost", Qualifier.ALMOST),
    ("under", Qualifier.ALMOST),
    ("звыш", Qualifier.AT_LEAST),
    ("больш за", Qualifier.AT_LEAST),
]

# A number, then its unit. Separators between terms ("and", "of", "и", commas) are skipped.
_TERM = re.compile(r"(?P<number>\d+(?:[.,]\d+)?)\s*(?P<unit>[^\W\d_]+)\.?", re.UNICODE)
_SEPARATOR = re.compile(r"^(?:\s|,|and|of|и|plus)*$", re.IGNORECASE)


def parse_quantity(phrase: str) -> Quantity:
    text = " ".join(phrase.casefold().split())
    if not text:
        raise UnreadableQuantityError(said("the quantity is empty", "количество не указано"))
    qualifier, text = _strip_qualifier(text)

    kind: UnitKind | None = None
    total = Decimal(0)
    position = 0
    for match in _TERM.finditer(text):
        _expect_separator(text[position : match.start()], phrase)
        term_kind, base = _term_value(match["number"], match["unit"], phrase)
        if kind is not None and term_kind != kind:
            raise QuantityError(
                said(
                    f"{phrase!r} mixes {kind.value} and {term_kind.value} units",
                    f"{phrase!r} смешивает единицы разного рода: {KINDS_RU[kind]} и "
                    f"{KINDS_RU[term_kind]}",
                )
            )
        kind = term_kind
        total += base
        position = match.end()
    _expect_separator(text[position:], phrase)
    if kind is None:
        raise UnreadableQuantityError(
            said(
                f"{phrase!r} has no number with a unit (for example '790 kg')",
                f"в {phrase!r} нет числа с единицей (например, '790 кг')",
            )
        )
    if total > MAX_AMOUNT:
        raise QuantityError(
            said(
                f"{phrase!r} is larger than any plausible quantity",
                f"{phrase!r} больше любого правдоподобного количества",
            )
        )
    if total != total.to_integral_value():
        raise _not_whole(phrase, kind)
    return Quantity(unit_kind=kind, amount=int(total), qualifier=qualifier)


def _not_whole(phrase: str, kind: UnitKind | None = None) -> QuantityError:
    if kind is None:
        return QuantityError(
            said(f"{phrase!r} is not a whole number", f"{phrase!r} не целое число")
        )
    return QuantityError(
        said(
            f"{phrase!r} is not a whole number of {_base_unit(kind)}",
            f"{phrase!r} не целое число {BASE_UNITS_RU[kind]}",
        )
    )


KINDS_RU = {UnitKind.MASS: "масса", UnitKind.VOLUME: "объём", UnitKind.COUNT: "штуки"}
BASE_UNITS_RU = {UnitKind.MASS: "граммов", UnitKind.VOLUME: "миллилитров", UnitKind.COUNT: "штук"}


def _strip_qualifier(text: str) -> tuple[Qualifier | None, str]:
    for words, qualifier in _QUALIFIERS:
        if text.startswith(words + " "):
            return qualifier, text[len(words) + 1 :]
    return None, text


def _expect_separator(gap: str, phrase: str) -> None:
    if not _SEPARATOR.match(gap):
        raise UnreadableQuantityError(
            said(
                f"{phrase!r}: cannot read {gap.strip()!r}",
                f"{phrase!r}: не удаётся прочесть {gap.strip()!r}",
            )
        )


def _term_value(number: str, unit: str, phrase: str) -> tuple[UnitKind, Decimal]:
    if unit not in _UNITS:
        known = "t, kg, g, mg, l, ml, pcs (or т, кг, г, л, мл, шт)"
        raise QuantityError(
            said(
                f"{phrase!r}: unknown unit {unit!r}; known units: {known}",
                f"{phrase!r}: неизвестная единица {unit!r}; известные единицы: т, кг, г, мг, "
                "л, мл, шт (или t, kg, g, mg, l, ml, pcs)",
            )
        )
    kind, factor = _UNITS[unit]
    if re.fullmatch(r"\d+,\d{3}", number):
        raise QuantityError(
            said(
                f"{phrase!r}: {number!r} could be a thousands separator or a decimal comma; "
                f"write {number.replace(',', '')} or {number.replace(',', '.')}",
                f"{phrase!r}: запятая в {number!r} может отделять тысячи, а может быть "
                f"десятичной; напишите {number.replace(',', '')} или "
                f"{number.replace(',', '.')}",
            )
        )
    try:
        value = Decimal(number.replace(",", "."))
    except InvalidOperation as error:  # pragma: no cover - the regex admits only digits
        raise QuantityError(
            said(f"{phrase!r}: {number!r} is not a number", f"{phrase!r}: {number!r} не число")
        ) from error
    return kind, value * factor


def _base_unit(kind: UnitKind) -> str:
    return {UnitKind.MASS: "grams", UnitKind.VOLUME: "millilitres", UnitKind.COUNT: "items"}[kind]


# -- figures as sources write them (issue 23) --------------------------------------------
#
# A source's phrase is a figure inside words: "more than 500 kilograms of heroin",
# "около 2,5 тысяч боеприпасов", "16,000 kilograms". How a comma reads depends on the
# language: a thousands separator in English ("16,000"), a decimal comma in Russian ("1,1
# тонны"). A space before three digits groups thousands in both ("2 773").

_MULTIPLIERS = {
    "тысяч": 1000, "тысячи": 1000, "тысяча": 1000, "тыс": 1000, "thousand": 1000,
    "млн": 1_000_000, "million": 1_000_000,
}  # fmt: skip
_GROUPED = {
    "comma": re.compile(r"(?<![\d.,])\d{1,3}(?:[ ,]\d{3})+(?![\d]|[.,]\d)"),
    "space": re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?![\d]|[.,]\d)"),
}
_COUNT = re.compile(
    r"(?P<number>\d+(?:[.,]\d+)?)\s*(?:(?P<times>[^\W\d_]+)\.?(?=\s|$))?", re.UNICODE
)


def _ungrouped(text: str, language: str) -> str:
    """Thousands separators removed: commas too in English, only spaces otherwise."""
    pattern = _GROUPED["comma" if language == "en" else "space"]
    return pattern.sub(lambda match: re.sub(r"[ ,]", "", match[0]), text)


# Small numbers that sources write in words: "over five tons" (the KSOPN's English page on
# Channel-Volga Border), "более пяти тонн" (RIA on «Канал-Восток»). Only a phrase's first
# word is read this way, and only in phrases as sources wrote them (parse_reported,
# parse_count); a typed quantity (parse_quantity) still wants digits.
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10,
    "один": 1, "одна": 1, "одной": 1, "одного": 1, "два": 2, "две": 2, "двух": 2, "три": 3,
    "трёх": 3, "трех": 3, "четыре": 4, "четырёх": 4, "четырех": 4, "пять": 5, "пяти": 5,
    "шесть": 6, "шести": 6, "семь": 7, "семи": 7, "восемь": 8, "восьми": 8, "девять": 9,
    "девяти": 9, "десять": 10, "десяти": 10,
}  # fmt: skip


def _digits_for_word(text: str) -> str:
    first, _, rest = text.partition(" ")
    return f"{_NUMBER_WORDS[first]} {rest}" if first in _NUMBER_WORDS and rest else text


def _reported_text(phrase: str, language: str) -> tuple[Qualifier | None, str]:
    text = " ".join(phrase.casefold().replace("\u00a0", " ").split())
    qualifier, text = _strip_qualifier(text)
    return qualifier, _ungrouped(_digits_for_word(text), language)


def parse_reported(phrase: str, language: str) -> Quantity:
    """A quantity as a source wrote it, in its language: the number-and-unit terms at the
    start ("more than 1.5 tons", "68 кг 640 гр."), then any words ("... of heroin")."""
    qualifier, text = _reported_text(phrase, language)
    text = re.sub(r"\bmetric\s+", "", text)
    position, kind, total = 0, None, Decimal(0)
    for match in _TERM.finditer(text):
        if not _SEPARATOR.match(text[position : match.start()]) or match["unit"] not in _UNITS:
            break
        term_kind, base = _term_value(match["number"].replace(",", "."), match["unit"], phrase)
        if kind is not None and term_kind != kind:
            break
        kind, total, position = term_kind, total + base, match.end()
    if kind is None:
        raise UnreadableQuantityError(
            said(
                f"{phrase!r} does not start with a number and a unit",
                f"{phrase!r} не начинается с числа и единицы",
            )
        )
    if total != total.to_integral_value():
        raise _not_whole(phrase, kind)
    return Quantity(unit_kind=kind, amount=int(total), qualifier=qualifier)


def parse_count(phrase: str, language: str) -> tuple[int, Qualifier | None]:
    """A count as a source wrote it: "115 единиц огнестрельного оружия", "more than 9
    thousand criminal cases", "около 2,5 тысяч боеприпасов". The words after the number
    (and its "thousand") name what is counted; only the first number is read."""
    qualifier, text = _reported_text(phrase, language)
    match = _COUNT.match(text)
    if match is None:
        raise UnreadableQuantityError(
            said(f"{phrase!r} does not start with a number", f"{phrase!r} не начинается с числа")
        )
    value = Decimal(match["number"].replace(",", "."))
    times = match["times"]
    if times in _MULTIPLIERS:
        value *= _MULTIPLIERS[times]
    if value != value.to_integral_value():
        raise _not_whole(phrase)
    return int(value), qualifier
