"""Seizure queries, totals users can trust, and exports (issue 3), on the seed and on
reports each test adds inside its own rolled-back transaction."""

import csv
import io
import json
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.http.listing import _csv_batches
from app.models import Country, Operation, SeizureReport, Source, Stage, Substance
from app.seizures import derived_tables
from app.seizures.schemas import SeizureOut
from app.seizures.service import SeizureFilters, list_seizures
from tests.helpers import PROBLEM, expect_problem, get_json

TOTALS = "/api/v1/seizures/totals"


def _kg_by_substance(body: dict[str, Any]) -> dict[str, float]:
    lines = body["groups"]
    return {
        line["substance"]["slug"] + (" (unspecified)" if line["unspecified"] else ""): line[
            "quantity_kg"
        ]
        for line in lines
    }


# -- the seed figures ---------------------------------------------------------------------


def test_totals_by_substance_for_2017_2019_match_the_source(client: TestClient) -> None:
    body = get_json(client, f"{TOTALS}?from=2017-01-01&to=2019-12-31&group_by=substance")
    assert _kg_by_substance(body) == {
        "opium": 48_988,
        "hashish": 6_665,
        "marijuana": 3_737,
        "heroin": 790,
        "synthetic-drugs": 691,
        "controlled-substances (unspecified)": 6_729,
    }
    unspecified = next(line for line in body["groups"] if line["unspecified"])
    assert unspecified["qualifier"] == "at_least"
    assert sum(line["quantity_grams"] for line in body["groups"]) == 67_600_000
    assert body["warnings"] == []


def test_grand_total_counts_the_breakdown_once_and_stays_at_least(client: TestClient) -> None:
    body = get_json(client, TOTALS)
    [line] = body["groups"]
    assert {key: line[key] for key in list(line)[:8]} == {
        "unit_kind": "mass",
        "amount": 67_600_000,
        "unit": "g",
        "quantity_grams": 67_600_000,
        "quantity_kg": 67_600.0,
        "qualifier": "at_least",
        "estimated": False,
        "derived": True,  # it holds the 6,729 kg remainder
    }
    assert line["reports"] == 6
    assert line["sources"] == [{"source": "mvd-ksopn-15-years-2020", "locator": "¶8", "reports": 6}]
    [stated] = body["stated_totals"]
    assert (stated["quantity_grams"], stated["as_reported"]) == (
        67_600_000,
        "more than 67 tons of 600 kg",
    )


def test_substance_filter_includes_descendants(client: TestClient) -> None:
    body = get_json(client, f"{TOTALS}?substance=cannabis")
    assert [line["quantity_grams"] for line in body["groups"]] == [10_402_000]
    # at least: the report's unitemized 6,729 kg may hold cannabis too (issue 22, point 3)
    assert body["groups"][0]["qualifier"] == "at_least"


def test_a_multi_year_report_never_becomes_one_years_total(client: TestClient) -> None:
    body = get_json(client, f"{TOTALS}?year=2018&group_by=year")
    assert body["groups"] == []
    [line] = body["beyond_window"]
    assert (line["period_start"], line["period_end"]) == ("2017-01-01", "2019-12-31")
    assert line["years"] == [2017, 2018, 2019]
    assert line["quantity_grams"] == 67_600_000
    assert line["qualifier"] == "at_least"


def test_pro_rata_split_is_marked_estimated_and_adds_up_exactly(client: TestClient) -> None:
    body = get_json(client, f"{TOTALS}?group_by=year&allocate=pro_rata")
    assert [line["year"] for line in body["groups"]] == [2017, 2018, 2019]
    assert all(line["estimated"] for line in body["groups"])
    assert sum(line["quantity_grams"] for line in body["groups"]) == 67_600_000
    assert body["beyond_window"] == []
    assert body["allocation"]["method"] == "pro_rata"
    only_2018 = get_json(client, f"{TOTALS}?group_by=year&allocate=pro_rata&year=2018")
    assert [line["year"] for line in only_2018["groups"]] == [2018]


def test_year_2018_lists_the_2017_2019_reports_with_their_years(client: TestClient) -> None:
    items = get_json(client, "/api/v1/seizures?year=2018")["items"]
    assert len(items) == 6
    assert {tuple(item["years"]) for item in items} == {(2017, 2018, 2019)}
    assert get_json(client, "/api/v1/seizures?year=2018&top_level_only=true")["items"][0][
        "as_reported"
    ] == ("more than 67 tons of 600 kg")


# -- list filters, count, errors -----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("from=2019-12-31", 6),
        ("to=2017-01-01", 6),
        ("from=2020-01-01", 0),
        ("to=2016-12-31", 0),
        ("qualifier=at_least", 1),
        ("qualifier=exact", 5),
        ("qualifier=about", 0),
        ("top_level_only=true", 1),
        ("substance=opioids&year=2017", 2),
        ("operation=channel&substance=cannabis&top_level_only=true", 0),
    ],
)
def test_list_filters_combine(client: TestClient, query: str, expected: int) -> None:
    assert len(get_json(client, f"/api/v1/seizures?{query}")["items"]) == expected


def test_count_only_when_asked(client: TestClient) -> None:
    assert get_json(client, "/api/v1/seizures?limit=2")["count"] is None
    page = get_json(client, "/api/v1/seizures?limit=2&count=true&substance=controlled-substances")
    assert (len(page["items"]), page["count"]) == (2, 6)
    assert get_json(client, page["next"])["count"] == 6


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("from=2019-01-01&to=2018-01-01", "from"),
        ("from=2019-02-30", "from"),
        ("to=yesterday", "to"),
        ("qualifier=roughly", "qualifier"),
        ("top_level_only=maybe", "top_level_only"),
        ("count=perhaps", "count"),
        ("format=xlsx", "format"),
    ],
)
def test_bad_list_parameters_are_named(client: TestClient, query: str, parameter: str) -> None:
    expect_problem(client, f"/api/v1/seizures?{query}", 422, parameter)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("group_by=month", "group_by"),
        ("group_by=year,year", "group_by"),
        ("allocate=evenly", "allocate"),
        ("year=99999", "year"),
        ("substance=khat", "substance"),
        ("from=2020-01-01&to=2019-01-01", "from"),
    ],
)
def test_bad_totals_parameters_are_named(client: TestClient, query: str, parameter: str) -> None:
    expect_problem(client, f"{TOTALS}?{query}", 422, parameter)


def test_totals_send_an_etag(client: TestClient) -> None:
    first = client.get(f"{TOTALS}?group_by=substance")
    again = client.get(
        f"{TOTALS}?group_by=substance", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


# -- totals rules on added reports ---------------------------------------------------------


class Reports:
    """Adds seizure reports to the test's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.operation = session.scalars(select(Operation).where(Operation.slug == "grom")).one()
        self.source_id = session.scalars(select(Source.id)).first()
        self.substances = {s.slug: s.id for s in session.scalars(select(Substance))}
        self.countries = {c.iso3: c.id for c in session.scalars(select(Country))}

    def add(
        self,
        substance: str,
        amount: int,
        start: str,
        end: str,
        *,
        unit_kind: str = "mass",
        qualifier: str = "exact",
        parent: SeizureReport | None = None,
        country: str | None = None,
        stage: Stage | None = None,
    ) -> SeizureReport:
        report = SeizureReport(
            operation_id=self.operation.id,
            stage_id=stage.id if stage else None,
            country_id=self.countries[country] if country else None,
            period_start=date.fromisoformat(start),
            period_end=date.fromisoformat(end),
            substance_id=self.substances[substance],
            unit_kind=unit_kind,
            amount=amount,
            qualifier=qualifier,
            as_reported=f"{amount}",
            parent_id=parent.id if parent else None,
            source_id=self.source_id,
            locator="¶10",
        )
        self.session.add(report)
        derived_tables.settle(self.session)  # what a commit does: the sum tables follow
        return report


@pytest.fixture
def reports(session: Session) -> Reports:
    return Reports(session)


def test_nested_breakdowns_count_each_gram_once(client: TestClient, reports: Reports) -> None:
    whole = reports.add("controlled-substances", 1_000, "2021-01-01", "2021-12-31")
    opioids = reports.add("opioids", 600, "2021-01-01", "2021-12-31", parent=whole)
    reports.add("heroin", 250, "2021-03-01", "2021-03-31", parent=opioids)
    body = get_json(client, f"{TOTALS}?operation=grom&group_by=substance")
    assert _kg_by_substance(body) == {
        "controlled-substances (unspecified)": 0.4,
        "opioids (unspecified)": 0.35,
        "heroin": 0.25,
    }
    grand = get_json(client, f"{TOTALS}?operation=grom")["groups"]
    assert [line["quantity_grams"] for line in grand] == [1_000]


def test_unit_kinds_are_never_added_together(client: TestClient, reports: Reports) -> None:
    reports.add("precursors", 5_000, "2021-01-01", "2021-12-31", unit_kind="volume")
    reports.add("psychotropic-substances", 120, "2021-01-01", "2021-12-31", unit_kind="count")
    reports.add("cocaine", 2_000, "2021-01-01", "2021-12-31")
    lines = get_json(client, f"{TOTALS}?operation=grom&group_by=year")["groups"]
    by_kind = {line["unit_kind"]: line for line in lines}
    assert {kind: (line["amount"], line["unit"]) for kind, line in by_kind.items()} == {
        "mass": (2_000, "g"),
        "volume": (5_000, "ml"),
        "count": (120, "items"),
    }
    assert by_kind["volume"]["quantity_grams"] is None


def test_single_year_reports_go_to_their_year(client: TestClient, reports: Reports) -> None:
    reports.add("heroin", 100, "2021-02-01", "2021-02-28", country="KAZ")
    reports.add("heroin", 50, "2022-05-01", "2022-05-31", country="KAZ")
    reports.add("heroin", 70, "2021-12-01", "2022-01-31", country="KGZ")
    body = get_json(client, f"{TOTALS}?operation=grom&group_by=year,country")
    assert [(g["year"], g["country"]["iso3"], g["amount"]) for g in body["groups"]] == [
        (2021, "KAZ", 100),
        (2022, "KAZ", 50),
    ]
    [spanning] = body["beyond_window"]
    assert (spanning["years"], spanning["amount"], spanning["country"]["iso3"]) == (
        [2021, 2022],
        70,
        "KGZ",
    )
    split = get_json(client, f"{TOTALS}?operation=grom&group_by=year&allocate=pro_rata")["groups"]
    # 31 of the 62 days fall in each year.
    assert [(g["year"], g["amount"], g["estimated"]) for g in split] == [
        (2021, 135, True),
        (2022, 85, True),
    ]


@pytest.mark.parametrize(
    ("qualifiers", "expected"),
    [
        (["exact", "exact"], "exact"),
        (["exact", "at_least"], "at_least"),
        (["about", "exact"], "about"),
        (["at_least", "about"], "about"),
    ],
)
def test_qualifiers_carry_through(
    client: TestClient, reports: Reports, qualifiers: list[str], expected: str
) -> None:
    for number, qualifier in enumerate(qualifiers):
        reports.add("cocaine", 10, f"202{number}-01-01", f"202{number}-12-31", qualifier=qualifier)
    [line] = get_json(client, f"{TOTALS}?operation=grom")["groups"]
    assert (line["amount"], line["qualifier"]) == (20, expected)


def test_unlinked_overlapping_reports_are_counted_and_named(
    client: TestClient, reports: Reports
) -> None:
    opioids = reports.add("opioids", 900, "2021-01-01", "2021-12-31", country="TJK")
    heroin = reports.add("heroin", 300, "2021-06-01", "2021-06-30", country="TJK")
    reports.add("heroin", 100, "2021-06-01", "2021-06-30", country="KAZ")  # other country
    reports.add("cannabis", 100, "2021-06-01", "2021-06-30", country="TJK")  # other branch
    reports.add("opium", 100, "2022-06-01", "2022-06-30", country="TJK")  # other time
    body = get_json(client, f"{TOTALS}?operation=grom")
    assert body["groups"][0]["amount"] == 1_500
    assert [w["report_ids"] for w in body["warnings"]] == [[opioids.id, heroin.id]]
    heroin.parent_id = opioids.id
    derived_tables.settle(reports.session)
    linked = get_json(client, f"{TOTALS}?operation=grom")
    assert linked["warnings"] == []
    assert linked["groups"][0]["amount"] == 1_200


# -- exports -------------------------------------------------------------------------------


def test_csv_export_streams_every_row_with_russian_names(client: TestClient) -> None:
    response = client.get("/api/v1/seizures?format=csv&limit=1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="ksopn-seizures-' in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 6, "an export ignores limit: it holds every matching row"
    opium = next(row for row in rows if row["substance_slug"] == "opium")
    assert opium["substance_name_ru"] == "Опий"
    assert opium["quantity_grams"] == "48988000"
    assert opium["years"] == "2017;2018;2019"
    assert opium["source_locator"] == "¶8"
    assert next(iter(rows[0])) == "id", "id is the first column"


def test_accept_header_picks_the_format(client: TestClient) -> None:
    ndjson = client.get(
        "/api/v1/seizures?substance=cannabis", headers={"Accept": "application/x-ndjson"}
    )
    assert ndjson.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in ndjson.text.splitlines()]
    assert {line["substance"]["slug"] for line in lines} == {"hashish", "marijuana"}
    as_csv = client.get("/api/v1/countries", headers={"Accept": "text/csv;q=0.9, */*;q=0.1"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    json_wins = client.get(
        "/api/v1/countries", headers={"Accept": "text/csv;q=0.5, application/json"}
    )
    assert json_wins.headers["content-type"] == "application/json"


def test_export_walks_past_one_batch(
    client: TestClient, reports: Reports, monkeypatch: Any
) -> None:
    monkeypatch.setattr("app.http.listing.EXPORT_BATCH", 4)
    for number in range(9):
        reports.add("cocaine", number + 1, "2021-01-01", "2021-01-31")
    lines = client.get("/api/v1/seizures?operation=grom&format=ndjson").text.splitlines()
    assert [json.loads(line)["amount"] for line in lines] == list(range(1, 10))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/operations",
        "/api/v1/stages",
        "/api/v1/countries",
        "/api/v1/organizations",
        "/api/v1/substances",
        "/api/v1/sources",
        "/api/v1/bodies",
        "/api/v1/meetings",
        "/api/v1/documents",
        "/api/v1/events",
        "/api/v1/activities",
        "/api/v1/reported-figures",
    ],
)
def test_every_list_exports_csv_and_ndjson(client: TestClient, path: str) -> None:
    as_json = get_json(client, f"{path}?limit=1000")["items"]
    as_csv = client.get(f"{path}?format=csv")
    assert as_csv.status_code == 200
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [int(row["id"]) for row in rows] == [item["id"] for item in as_json]
    as_ndjson = client.get(f"{path}?format=ndjson").text.splitlines()
    assert [json.loads(line) for line in as_ndjson] == as_json


def test_csv_quotes_text_a_spreadsheet_would_run(client: TestClient, reports: Reports) -> None:
    report = reports.add("cocaine", 1, "2021-01-01", "2021-01-31")
    report.as_reported = '=HYPERLINK("x")'
    reports.session.flush()
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get("/api/v1/seizures?operation=grom&format=csv").text.lstrip("\ufeff")
            )
        )
    )
    assert rows[0]["as_reported"] == '\'=HYPERLINK("x")'


def test_export_errors_come_before_the_stream(client: TestClient) -> None:
    response = client.get("/api/v1/seizures?format=csv&substance=khat")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


def test_substances_come_as_a_tree(client: TestClient) -> None:
    [root] = get_json(client, "/api/v1/substances/tree")
    assert root["slug"] == "controlled-substances"
    children = {child["slug"]: child for child in root["children"]}
    assert [c["slug"] for c in children["cannabis"]["children"]] == ["hashish", "marijuana"]
    assert [c["slug"] for c in children["opioids"]["children"]] == ["opium", "heroin"]
    assert children["cannabis"]["children"][0]["children"] == []


def test_operation_splits_participants_from_observers(client: TestClient) -> None:
    channel = get_json(client, "/api/v1/operations/channel")
    assert {p["role"] for p in channel["participants"]} == {"participant"}
    assert channel["observers"] == []


def test_fast_csv_of_seizures_equals_the_generic_export(
    client: TestClient, reports: Reports, session: Session
) -> None:
    whole = reports.add("controlled-substances", 9_000, "2021-01-01", "2022-12-31", country="KAZ")
    reports.add("hashish", 1_500, "2021-01-01", "2021-06-30", parent=whole, country="KAZ")
    reports.add("precursors", 5_000, "2021-01-01", "2021-12-31", unit_kind="volume")
    odd = reports.add("cocaine", 7, "2021-01-01", "2021-01-31", qualifier="about")
    odd.as_reported = '-7 g, @reported; "quoted"'
    derived_tables.settle(session)
    generic = b"".join(
        _csv_batches(SeizureOut, iter([list_seizures(session, SeizureFilters(), None)]))
    )
    assert client.get("/api/v1/seizures?format=csv").content == generic
    generic_2021 = b"".join(
        _csv_batches(SeizureOut, iter([list_seizures(session, SeizureFilters(year=2021), None)]))
    )
    assert client.get("/api/v1/seizures?format=csv&year=2021").content == generic_2021


@pytest.mark.parametrize(
    "query",
    [
        "substance=cannabis",
        "substance=controlled-substances&year=2021",
        "operation=grom&country=KAZ&substance=controlled-substances",
    ],
)
def test_a_filtered_csv_export_holds_the_listed_reports(
    client: TestClient, reports: Reports, session: Session, query: str
) -> None:
    """A substance filter is an IN list of its subtree; the export sends it to the driver."""
    whole = reports.add("controlled-substances", 9_000, "2021-01-01", "2022-12-31", country="KAZ")
    reports.add("hashish", 1_500, "2021-01-01", "2021-06-30", parent=whole, country="KAZ")
    reports.add("marijuana", 300, "2020-05-01", "2020-05-31", country="KAZ")
    reports.add("precursors", 5_000, "2021-01-01", "2021-12-31", unit_kind="volume")
    derived_tables.settle(session)
    response = client.get(f"/api/v1/seizures?format=csv&{query}")
    assert response.status_code == 200
    exported = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    listed = get_json(client, f"/api/v1/seizures?limit=500&{query}")["items"]
    assert listed
    assert [int(row["id"]) for row in exported] == [item["id"] for item in listed]
