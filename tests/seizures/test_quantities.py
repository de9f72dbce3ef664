import pytest

from app.models.enums import Qualifier, UnitKind
from app.quantities import QuantityError, parse_count, parse_quantity, parse_reported


@pytest.mark.parametrize(
    ("phrase", "grams"),
    [
        ("67 tons of 600 kg", 67_600_000),
        ("48 tons and 988 kg", 48_988_000),
        ("6 tons and 665 kg", 6_665_000),
        ("790 kg", 790_000),
        ("1.5 t", 1_500_000),
        ("250 g", 250),
        ("3 т 737 кг", 3_737_000),
        ("1,5 т", 1_500_000),
        ("2 Tons, 5 KG", 2_005_000),
        ("12 кг 300 г", 12_300),
        ("0.25 kg", 250),
    ],
)
def test_mass_phrases_become_exact_grams(phrase: str, grams: int) -> None:
    quantity = parse_quantity(phrase)
    assert quantity.unit_kind is UnitKind.MASS
    assert quantity.amount == grams
    assert quantity.qualifier is None


@pytest.mark.parametrize(
    ("phrase", "qualifier"),
    [
        ("more than 67 tons of 600 kg", Qualifier.AT_LEAST),
        ("over 20 kg", Qualifier.AT_LEAST),
        ("более 5 т", Qualifier.AT_LEAST),
        ("about 3 kg", Qualifier.ABOUT),
        ("около 3 кг", Qualifier.ABOUT),
    ],
)
def test_a_qualifier_in_the_phrase_is_read(phrase: str, qualifier: Qualifier) -> None:
    assert parse_quantity(phrase).qualifier is qualifier


def test_volume_and_counts_keep_their_own_kind() -> None:
    assert parse_quantity("2.5 l") == parse_quantity("2500 ml")
    assert parse_quantity("2.5 l").unit_kind is UnitKind.VOLUME
    tablets = parse_quantity("1200 tablets")
    assert (tablets.unit_kind, tablets.amount) == (UnitKind.COUNT, 1200)


@pytest.mark.parametrize(
    ("phrase", "complaint"),
    [
        ("", "empty"),
        ("kg", "cannot read"),
        ("five kg", "cannot read"),
        ("5 furlongs", "unknown unit 'furlongs'"),
        ("1 t 5 l", "mixes mass and volume"),
        ("0.5 g", "not a whole number of grams"),
        ("5 kg and then some", "cannot read"),
        ("1,500 kg", "thousands separator or a decimal comma"),
        ("99999999999999999999999999 t", "larger than any plausible quantity"),
    ],
)
def test_unreadable_phrases_are_refused_with_a_reason(phrase: str, complaint: str) -> None:
    with pytest.raises(QuantityError, match=complaint):
        parse_quantity(phrase)


# -- figures as sources write them (issue 23) ----------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "qualifier"),
    [
        ("почти 3 т", Qualifier.ALMOST),
        ("nearly 3 t", Qualifier.ALMOST),
        ("almost 3 t", Qualifier.ALMOST),
        ("under 3 t", Qualifier.ALMOST),
        ("some 3 t", Qualifier.ABOUT),
        ("свыше 3 т", Qualifier.AT_LEAST),
        ("не менее 3 т", Qualifier.AT_LEAST),
    ],
)
def test_the_sources_qualifiers_are_read(phrase: str, qualifier: Qualifier) -> None:
    assert parse_quantity(phrase).qualifier is qualifier


@pytest.mark.parametrize(
    ("phrase", "language", "grams", "qualifier"),
    [
        ("more than 500 kilograms of heroin", "en", 500_000, Qualifier.AT_LEAST),
        ("some 16,000 kilograms of narcotics", "en", 16_000_000, Qualifier.ABOUT),
        ("4.3 metric tons of opium", "en", 4_300_000, None),
        ("1,1 тонны героина", "ru", 1_100_000, None),
        ("около 5,7 тонны наркотических веществ", "ru", 5_700_000, Qualifier.ABOUT),
        ("почти 28 тонн наркотиков", "ru", 28_000_000, Qualifier.ALMOST),
        ("68 кг 640 гр.", "ru", 68_640, None),
        ("over 600 kilos of heroin", "en", 600_000, Qualifier.AT_LEAST),
    ],
)
def test_a_figure_in_words_reads_in_its_language(
    phrase: str, language: str, grams: int, qualifier: Qualifier | None
) -> None:
    quantity = parse_reported(phrase, language)
    assert (quantity.amount, quantity.qualifier) == (grams, qualifier)


@pytest.mark.parametrize(
    ("phrase", "language", "value", "qualifier"),
    [
        ("115 единиц огнестрельного оружия", "ru", 115, None),
        ("около 2,5 тысяч боеприпасов", "ru", 2_500, Qualifier.ABOUT),
        ("more than 9 thousand criminal cases", "en", 9_000, Qualifier.AT_LEAST),
        ("about 2 773 rounds of ammunition", "en", 2_773, Qualifier.ABOUT),
        ("nearly 15,000 people", "en", 15_000, Qualifier.ALMOST),
        ("более 20 тыс. правоохранителей", "ru", 20_000, Qualifier.AT_LEAST),
    ],
)
def test_a_count_reads_in_its_language(
    phrase: str, language: str, value: int, qualifier: Qualifier | None
) -> None:
    assert parse_count(phrase, language) == (value, qualifier)


@pytest.mark.parametrize(
    ("phrase", "language", "grams", "qualifier"),
    [
        ("over five tons", "en", 5_000_000, Qualifier.AT_LEAST),
        ("более пяти тонн наркотиков", "ru", 5_000_000, Qualifier.AT_LEAST),
        ("почти три тонны наркосредств", "ru", 3_000_000, Qualifier.ALMOST),
        ("two tonnes of drugs", "en", 2_000_000, None),
    ],
)
def test_a_small_number_written_in_words_is_read(
    phrase: str, language: str, grams: int, qualifier: Qualifier | None
) -> None:
    """Sources write small numbers in words ("over five tons"); the word is the number."""
    quantity = parse_reported(phrase, language)
    assert (quantity.amount, quantity.qualifier) == (grams, qualifier)


@pytest.mark.parametrize(
    "phrase", ["несколько тонн", "several tons of drugs", "the same amount", "пяти"]
)
def test_a_figure_in_words_alone_is_not_guessed(phrase: str) -> None:
    with pytest.raises(QuantityError):
        parse_reported(phrase, "ru")
    with pytest.raises(QuantityError):
        parse_count(phrase, "en")
