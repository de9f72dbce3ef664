import pytest

from app.models.enums import Qualifier, UnitKind
from app.quantities import QuantityError, parse_quantity


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
