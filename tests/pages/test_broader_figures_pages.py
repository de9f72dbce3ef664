"""Empty is not zero on the pages (issue 22, point 4): a filter or a country with no figure
of its own names the broader figure that may include it, with its citation, in both
languages; a member state's role as one of the member states is shown."""

import pytest
from fastapi.testclient import TestClient

BROADER = {
    "en": ("Broader figures that may include it", "more than 67,600 kg of Controlled substances"),
    "ru": (
        "Более широкие показатели, которые могут это включать",
        "более 67 600 кг контролируемых веществ",
    ),
}


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("path", ["/?country=RUS", "/countries/RUS"])
def test_no_figure_of_its_own_names_the_broader_one(
    client: TestClient, lang: str, path: str
) -> None:
    html = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}").text
    heading, figure = BROADER[lang]
    assert heading in html
    section = html[html.index('id="broader-figures"') :]
    assert figure in section.replace("\xa0", " ")
    assert "¶8" in section
    assert "/sources/mvd-ksopn-15-years-2020" in section


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "participant, as a CSTO member state"),
        ("ru", "участник, как государство — член ОДКБ"),
    ],
)
def test_a_member_state_takes_part_with_the_member_states(
    client: TestClient, lang: str, words: str
) -> None:
    html = client.get(f"/countries/RUS?lang={lang}").text
    assert words in html


def test_a_category_sum_names_what_may_add_to_it(client: TestClient) -> None:
    html = client.get("/?substance=opioids").text
    section = html[html.index('id="broader-figures"') :]
    assert "more than 6,729 kg is not broken down by substance" in section.replace("\xa0", " ")
    assert "at least 48,988 kg" in html.replace("\xa0", " ")  # opium, beyond one year


def test_a_country_that_takes_no_part_shows_nothing_broader(client: TestClient) -> None:
    assert 'id="broader-figures"' not in client.get("/countries/AUT").text
