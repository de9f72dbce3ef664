"""How a quantity is put into words (app/wording.py), in both languages."""

import pytest

from app.wording import figure_words, quantity_words, readable


@pytest.mark.parametrize(
    ("lang", "qualifier", "estimated", "expected"),
    [
        ("en", "at_least", False, "at least 67,600 kg"),
        ("ru", "at_least", False, "не менее 67\u00a0600 кг"),
        ("en", "exact", False, "67,600 kg"),
        ("ru", "about", False, "около 67\u00a0600 кг"),
        ("en", "exact", True, "about 67,600 kg"),
    ],
)
def test_a_quantity_in_words(lang: str, qualifier: str, estimated: bool, expected: str) -> None:
    assert quantity_words(67_600_000, qualifier, "mass", lang, estimated) == expected


def test_units_and_figures_in_each_language() -> None:
    assert quantity_words(1_500, "exact", "volume", "ru") == "1,5 л"
    assert quantity_words(300, "exact", "count", "en") == "300 items"
    assert figure_words(20, "representatives", "at_least", "en", "over 20") == (
        "more than 20 representatives"
    )


def test_the_api_messages_write_amounts_as_reports_do() -> None:
    assert readable("mass", 2_500_000) == "2,500 kg"
    assert readable("mass", 750) == "750 g"
