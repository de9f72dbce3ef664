"""A category sum that may be incomplete says so, and empty is not zero (issue 22, points 3
and 4). By hand against the source (mvd-ksopn-15-years-2020 ¶8): "more than 67 tons of
600 kg" of which 48,988 + 6,665 + 3,737 + 790 + 691 = 60,871 kg are itemized, so more than
6,729 kg are not, and may hold any substance, psychotropic substances among them (the
sentence names "narcotic drugs, psychotropic and potent substances"). The operation's
participants (¶6) are the member states' competent authorities, and Afghanistan, Iran and
China's law enforcement; the figure names no country."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import get_json

TOTALS = "/api/v1/seizures/totals"


def _the_unitemized_figure(figure: dict[str, Any]) -> None:
    assert figure["report_id"] == 1
    assert (figure["amount"], figure["qualifier"], figure["bound_word"]) == (
        67_600_000,
        "at_least",
        "more_than",
    )
    assert (figure["source"], figure["locator"]) == ("mvd-ksopn-15-years-2020", "¶8")
    assert (figure["period_start"], figure["period_end"]) == ("2017-01-01", "2019-12-31")


@pytest.mark.parametrize(("substance", "kg"), [("opioids", 49_778), ("cannabis", 10_402)])
def test_a_category_sum_is_a_lower_bound_naming_the_unitemized_figure(
    client: TestClient, substance: str, kg: int
) -> None:
    body = get_json(client, f"{TOTALS}?substance={substance}")
    [line] = body["groups"]
    assert line["quantity_kg"] == kg  # 48,988 + 790; 6,665 + 3,737
    assert (line["qualifier"], line["bound_word"]) == ("at_least", "at_least")
    assert line["unitemized_in"] == [1]
    assert "more than 6,729 kg" in line["note"]
    assert "mvd-ksopn-15-years-2020 ¶8" in line["note"]
    [figure] = body["covered_by"]
    _the_unitemized_figure(figure)
    assert figure["broader_in"] == ["substance"]
    assert (figure["unitemized_amount"], figure["unitemized_qualifier"]) == (6_729_000, "at_least")


def test_a_leaf_by_year_and_a_pro_rata_share_stay_lower_bounds(client: TestClient) -> None:
    body = get_json(client, f"{TOTALS}?substance=opium&group_by=year&allocate=pro_rata")
    assert [line["year"] for line in body["groups"]] == [2017, 2018, 2019]
    for line in body["groups"]:
        assert (line["qualifier"], line["estimated"], line["unitemized_in"]) == (
            "at_least",
            True,
            [1],
        )


def test_the_unitemized_line_itself_and_the_whole_tree_are_not_marked(client: TestClient) -> None:
    body = get_json(client, f"{TOTALS}?group_by=substance")
    assert body["covered_by"] == []
    assert {line["qualifier"] for line in body["groups"] if not line["unspecified"]} == {"exact"}
    assert all(line["unitemized_in"] == [] for line in body["groups"])


def test_a_substance_with_no_figure_of_its_own_names_the_broader_one(client: TestClient) -> None:
    body = get_json(client, f"{TOTALS}?substance=psychotropic-substances")
    assert (body["groups"], body["beyond_window"]) == ([], [])
    [figure] = body["covered_by"]
    _the_unitemized_figure(figure)
    assert figure["unitemized_amount"] == 6_729_000


@pytest.mark.parametrize("country", ["RUS", "KAZ", "AFG"])
def test_a_party_with_no_figure_of_its_own_is_covered_by_the_operations(
    client: TestClient, country: str
) -> None:
    body = get_json(client, f"{TOTALS}?country={country}")
    assert body["groups"] == []
    [figure] = body["covered_by"]
    _the_unitemized_figure(figure)
    assert (figure["broader_in"], figure["country"]) == (["country"], None)
    assert figure["unitemized_amount"] is None


def test_a_country_that_takes_no_part_is_covered_by_nothing(client: TestClient) -> None:
    body = get_json(client, f"{TOTALS}?country=AUT")
    assert (body["groups"], body["covered_by"]) == ([], [])


def test_a_window_outside_the_figure_is_covered_by_nothing(client: TestClient) -> None:
    assert get_json(client, f"{TOTALS}?country=RUS&year=2015")["covered_by"] == []
    covered = get_json(client, f"{TOTALS}?country=RUS&year=2018&substance=heroin")["covered_by"]
    assert [(f["report_id"], sorted(f["broader_in"])) for f in covered] == [
        (1, ["country", "substance"])
    ]


def test_the_csv_line_says_it_too(client: TestClient) -> None:
    response = client.get(f"{TOTALS}.csv?substance=opioids")
    [row] = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert (row["qualifier"], row["unitemized_in"]) == ("at_least", "1")
    assert "6,729 kg" in row["note"]
