"""Figures that claim no more than the source (issue 22, points 1-9): a share of a lower
bound stays one, estimates are shown rounded, an allocated CSV says what it covers and how
it was made."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import wording
from app.seizures.totals import possible_double_counts
from tests.helpers import get_json

TOTALS = "/api/v1/seizures/totals"
SEIZURES = "/api/v1/seizures"


def _csv(client: TestClient, url: str) -> list[dict[str, str]]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def _unitemized(lines: list[dict[str, Any]]) -> dict[str, Any]:
    [line] = [line for line in lines if line.get("unspecified")]
    return line


# -- 1. a share of a lower bound stays a lower bound ----------------------------------------


def test_a_share_of_a_more_than_figure_is_an_estimated_lower_bound(client: TestClient) -> None:
    body = get_json(client, f"{TOTALS}?year=2019&group_by=substance&allocate=pro_rata")
    line = _unitemized(body["groups"])
    assert line["estimated"] is True
    assert line["qualifier"] != "about", "a share of 'more than 6,729 kg' is no mere 'about'"
    assert line["qualifier"] in {"at_least", "more_than"}
    # the exact parts' shares stay plain estimates
    assert {g["qualifier"] for g in body["groups"] if not g.get("unspecified")} == {"about"}


def test_a_year_s_share_of_a_more_than_total_is_an_estimated_lower_bound(
    client: TestClient,
) -> None:
    body = get_json(client, f"{TOTALS}?group_by=year&allocate=pro_rata")
    assert body["groups"]
    for line in body["groups"]:
        assert line["estimated"] is True
        assert line["qualifier"] in {"at_least", "more_than"}, line


def test_an_estimated_lower_bound_reads_about_or_more_in_both_languages() -> None:
    assert (
        wording.quantity_words(2_243_000, "at_least", "mass", "en", True)
        == "about 2,243 kg or more"
    )
    assert wording.quantity_words(2_243_000, "at_least", "mass", "ru", True) == (
        "около 2\u00a0243 кг и более"
    )


def test_the_pro_rata_page_shows_the_share_of_a_lower_bound_as_one(client: TestClient) -> None:
    page = client.get("/?year=2019&allocate=pro_rata&lang=en")
    assert page.status_code == 200
    assert "kg or more" in page.text
    ru = client.get("/?year=2019&allocate=pro_rata&lang=ru")
    assert "кг и более" in ru.text


def test_the_csv_keeps_the_lower_bound_of_a_share(client: TestClient) -> None:
    rows = _csv(client, f"{TOTALS}.csv?year=2019&group_by=substance&allocate=pro_rata")
    [row] = [row for row in rows if row["unspecified"] == "true"]
    assert (row["estimated"], row["qualifier"]) in {("true", "at_least"), ("true", "more_than")}


# -- 2. estimates are shown rounded ----------------------------------------------------------


def test_pages_show_an_estimate_rounded(client: TestClient) -> None:
    page = client.get("/?allocate=pro_rata&lang=en")
    assert page.status_code == 200
    assert "16,329.334" not in page.text
    assert "about 16,329 kg" in page.text
    methods = client.get("/methods?lang=ru")
    assert "22\u00a0533,334" not in methods.text
    assert "22\u00a0533 кг" in methods.text


def test_the_api_keeps_an_estimate_s_grams_and_the_csv_rounds_them(client: TestClient) -> None:
    query = "year=2019&substance=opium&allocate=pro_rata"
    [line] = get_json(client, f"{TOTALS}?{query}")["groups"]
    assert line["amount"] == 48_988_000 * 365 // 1095 == 16_329_333
    assert line["estimated"] is True
    [row] = _csv(client, f"{TOTALS}.csv?{query}")
    assert (row["amount"], row["quantity_kg"]) == ("16329000", "16329.0")


def test_an_exact_line_is_not_rounded_in_the_csv(client: TestClient) -> None:
    rows = _csv(client, f"{TOTALS}.csv?from=2017-01-01&to=2019-12-31&group_by=substance")
    assert {row["estimated"] for row in rows} == {"false"}
    assert "790000" in {row["amount"] for row in rows}


# -- 6. allocated totals as CSV carry the period and the basis ------------------------------


def test_an_allocated_csv_says_which_dates_a_line_covers_and_how_it_was_made(
    client: TestClient,
) -> None:
    basis = get_json(client, f"{TOTALS}?group_by=year&allocate=pro_rata")["allocation"]["basis"]
    rows = _csv(client, f"{TOTALS}.csv?group_by=year&allocate=pro_rata")
    assert [(r["year"], r["covers_from"], r["covers_to"]) for r in rows] == [
        (str(y), f"{y}-01-01", f"{y}-12-31") for y in (2017, 2018, 2019)
    ]
    assert {r["allocation_basis"] for r in rows} == {basis}
    [row] = _csv(client, f"{TOTALS}.csv?year=2019&substance=opium&allocate=pro_rata")
    assert (row["covers_from"], row["covers_to"]) == ("2019-01-01", "2019-12-31")
    assert "days" in row["allocation_basis"]


def test_an_unallocated_csv_line_covers_its_period_and_has_no_basis(client: TestClient) -> None:
    [row] = _csv(client, f"{TOTALS}.csv?year=2019&substance=opium")
    assert (row["section"], row["covers_from"], row["covers_to"]) == (
        "beyond_window",
        "2017-01-01",
        "2019-12-31",
    )
    assert row["allocation_basis"] == ""


# -- 7. words that overclaim -----------------------------------------------------------------


def test_the_pro_rata_view_does_not_call_its_figures_exact(client: TestClient) -> None:
    for lang, exact in (("en", "Exact sums"), ("ru", "Точные суммы")):
        for query in ("", "&allocate=pro_rata"):
            page = client.get(f"/?lang={lang}{query}")
            assert exact not in page.text, (lang, query)
    assert "estimates" in client.get("/?lang=en&allocate=pro_rata").text


def test_the_totals_schema_and_title_say_what_they_are(client: TestClient) -> None:
    spec = get_json(client, "/openapi.json")
    operation = spec["paths"][TOTALS]["get"]
    assert "trust" not in operation["summary"]
    assert "Exact sums" not in operation["description"]
    amount = spec["components"]["schemas"]["TotalLine"]["properties"]["amount"]
    assert not amount["description"].startswith("Exact")
    assert "estimated" in amount["description"]


def test_methods_states_the_double_count_rule_the_code_applies(client: TestClient) -> None:
    text = client.get("/methods?lang=en").text
    assert "the same substance" not in text
    assert "one branch" in text
    # the rule it states is the code's
    assert "one branch" in (possible_double_counts.__doc__ or "")


# -- 8. the source's own word ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_reported", "lang", "expected"),
    [
        ("more than 67 tons of 600 kg", "en", "more than 67,600 kg"),
        ("более 67 т 600 кг", "ru", "более 67\u00a0600 кг"),
        ("свыше 67 т 600 кг", "ru", "более 67\u00a0600 кг"),
        ("at least 67 t 600 kg", "en", "at least 67,600 kg"),
        ("не менее 67 т 600 кг", "ru", "не менее 67\u00a0600 кг"),
        ("Не менее 67 т 600 кг", "en", "at least 67,600 kg"),
    ],
)
def test_a_lower_bound_is_said_in_the_source_s_word(
    as_reported: str, lang: str, expected: str
) -> None:
    report = {"amount": 67_600_000, "qualifier": "at_least", "unit_kind": "mass"}
    assert wording.words_of(report | {"as_reported": as_reported}, lang) == expected


def _post_stage(client: TestClient, editor: dict[str, str], number: int, phrase: str) -> None:
    body = {
        "number": number,
        "name": f"Example stage {number}",
        "start_on": "2030-05-10",
        "end_on": "2030-05-21",
        "source": "mvd-ksopn-15-years-2020",
        "locator": "¶8",
        "seizures": [{"substance": "heroin", "quantity": phrase, "country": "KAZ"}],
    }
    answer = client.post("/api/v1/operations/channel/stages", json=body, headers=editor)
    assert answer.status_code == 201, answer.text


def test_totals_and_pages_keep_more_than_and_at_least_apart(
    client: TestClient, editor: dict[str, str]
) -> None:
    _post_stage(client, editor, 90, "не менее 12 кг")
    [line] = get_json(client, f"{TOTALS}?year=2030")["groups"]
    assert (line["qualifier"], line["bound_word"]) == ("at_least", "at_least")
    seed = get_json(client, f"{TOTALS}?from=2017-01-01&to=2019-12-31&group_by=substance")
    unitemized = _unitemized(seed["groups"])
    assert (unitemized["qualifier"], unitemized["bound_word"]) == ("at_least", "more_than")
    assert "at least 12 kg" in client.get("/?year=2030&lang=en").text
    assert "не менее 12 кг" in client.get("/?year=2030&lang=ru").text
    front = client.get("/?lang=en").text
    assert "more than 6,729 kg" in front
    # "more than" and "at least" together are more than their sum
    _post_stage(client, editor, 91, "more than 3 kg")
    [both] = get_json(client, f"{TOTALS}?year=2030")["groups"]
    assert (both["amount"], both["bound_word"]) == (15_000, "more_than")
    assert "более 15 кг" in client.get("/?year=2030&lang=ru").text


def test_a_reported_figure_keeps_its_word_on_the_page(client: TestClient) -> None:
    page = client.get("/operations/channel?lang=en").text
    assert "more than 20" in page  # "over 20"


# -- 9. statuses are dated -------------------------------------------------------------------


def test_a_document_s_status_says_the_date_of_its_source(client: TestClient) -> None:
    document = get_json(client, "/api/v1/documents/anti-drug-strategy-2015-2020")
    assert document["status"] == "in_force"
    assert document["status_as_of"] == {"date": "2020-01-01", "precision": "year"}
    for listed in get_json(client, "/api/v1/documents?limit=100")["items"]:
        assert listed["status_as_of"] is not None, listed["slug"]


def test_an_operation_s_statuses_say_the_date_of_their_source(client: TestClient) -> None:
    statuses = get_json(client, "/api/v1/operations/channel")["statuses"]
    assert statuses
    assert {s["as_of"]["date"][:4] for s in statuses} == {"2020"}
    assert "as of 2020, per its source" in client.get("/operations/channel?lang=en").text
    assert "по состоянию на 2020" in client.get("/operations/channel?lang=ru").text
