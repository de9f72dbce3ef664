"""A stage post's 201 is built from what the post wrote (app/operations/posted.py), not
read back: it must be, byte for byte and ETag for ETag, what a GET of the stage gives."""

import copy
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import models as m
from app.models.enums import KeyRole
from app.operations.schemas import STAGE_EXAMPLE, StageCreate
from app.operations.writes import post_stage
from app.seizures import derived_tables
from app.staff.keys import Caller
from app.writes import insert_new
from tests.seizures.test_totals_fast_path import sum_tables

POST_STAGE = "/api/v1/operations/{operation}/stages"
NEWS_SOURCE = {
    "slug": "news-page-2032",
    "title": "Итоги этапа (пример)",
    "url": "https://news.example/2032/kanal",
    "publisher": "Example News",
    "published": {"date": "2032-06-02", "precision": "day"},
    "language": "ru",
    "kind": "press",
    "locator_scheme": "¶N is the N-th paragraph.",
}
ALIKE = {"substance": "heroin", "quantity": "5 kg", "country": "KAZ"}

BODIES: dict[str, tuple[str, dict[str, Any]]] = {
    "the example: parties of every kind, a report with parts": (
        "channel",
        copy.deepcopy(STAGE_EXAMPLE),
    ),
    "the bench's post: ten reports, two parties": (
        "grom",
        {
            "number": 4711, "start_on": "2024-05-10", "end_on": "2024-05-21",
            "lead_country": "KAZ", "source": "mvd-ksopn-15-years-2020", "locator": "¶8",
            "participants": ["KAZ", "KGZ"],
            "seizures": [
                {"substance": s, "quantity": f"{i} kg", "country": "KAZ"}
                for i, s in enumerate(
                    ["heroin", "opium", "hashish", "marijuana", "cocaine", "synthetic-drugs",
                     "precursors", "potent-substances", "heroin", "opium"], start=1)
            ],
        },
    ),
    "no number, no dates of its own in the reports, member states, nothing else": (
        "channel",
        {
            "name_ru": "Безымянный этап", "start_on": "2030-01-01", "end_on": "2030-12-31",
            "source": "mvd-ksopn-15-years-2020", "locator": "¶3",
            "participants": ["member-states"],
            "seizures": [{"substance": "opium", "quantity": "about 3 t"}],
        },
    ),
    "deep parts, a report outside the stage, cases, a locator of its own": (
        "channel",
        {
            "number": 4712, "name_en": "Deep", "name_ru": "Глубокий", "start_on": "2029-03-01",
            "end_on": "2029-03-31", "lead_country": "RUS", "place": "Somewhere",
            "description": "A made-up stage.",
            "headquarters": {"city_en": "Moscow", "city_ru": "Москва", "country": "RUS"},
            "source": "mvd-ksopn-15-years-2020", "locator": "¶4",
            "participants": [{"party": "TJK", "detail": "agency", "regularity": "regular"}],
            "observers": ["unodc"],
            "seizures": [
                {
                    "substance": "controlled-substances", "quantity": "10 t", "country": "KGZ",
                    "cases": 7,
                    "parts": [
                        {
                            "substance": "opioids", "quantity": "4 t", "locator": "¶5",
                            "parts": [{"substance": "heroin", "quantity": "1 t 500 kg"}],
                        },
                        {"substance": "hashish", "quantity": "at least 2 t"},
                    ],
                },
                {
                    "substance": "cocaine", "quantity": "12 kg", "outside_stage": True,
                    "period_start": "2029-02-01", "period_end": "2029-04-30",
                },
                {"substance": "precursors", "quantity": "300 l", "qualifier": "about"},
                {"substance": "synthetic-drugs", "quantity": "1500 tablets"},
            ],
        },
    ),
    "reports alike, every pair a possible double count": (
        "grom",
        {
            "number": 4713, "start_on": "2024-06-10", "end_on": "2024-06-21", "locator": "¶8",
            "source": "mvd-ksopn-15-years-2020", "participants": ["KAZ"],
            "seizures": [ALIKE] * 30,
        },
    ),
    "a news page: a new source, results with versions, a seizure's version": (
        "channel",
        {
            "name_ru": "Канал – Пример",
            "start_on": "2032-05-20",
            "end_on": "2032-05-25",
            "headquarters": {"city_ru": "Бишкек", "country": "KGZ"},
            "new_source": NEWS_SOURCE,
            "source": "news-page-2032",
            "locator": "¶2",
            "results": [
                {"metric": "officers_involved", "unit": "officers",
                 "as_reported": "свыше 22 тысяч сотрудников"},
                {"metric": "firearms", "as_reported": "115 единиц огнестрельного оружия"},
                {"metric": "firearms", "as_reported": "more than 120 firearms",
                 "source": "mvd-ksopn-15-years-2020", "locator": "¶8", "version_of": 1},
            ],
            "seizures": [
                {"substance": "controlled-substances", "quantity": "более 2 т",
                 "parts": [{"substance": "heroin", "quantity": "500 кг"}]},
                {"substance": "opium", "quantity": "10 кг", "country": "TJK"},
            ],
            "seizure_versions": [
                {"of": 0, "quantity": "около 1,9 т", "source": "news-page-2032",
                 "locator": "¶5"},
                {"of": 1, "quantity": "12 кг", "source": "news-page-2032", "locator": "¶6"},
            ],
        },
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", BODIES)
def test_the_201_is_the_stage_as_read(
    client: TestClient, editor: dict[str, str], case: str
) -> None:
    operation, body = BODIES[case]
    made = client.post(POST_STAGE.format(operation=operation), json=body, headers=editor)
    assert made.status_code == 201, made.text
    read = client.get(made.headers["location"])
    assert read.status_code == 200
    assert made.content == read.content
    assert made.headers["etag"] == read.headers["etag"]


def test_the_201_of_a_retry_is_the_first(
    client: TestClient, editor: dict[str, str], session: Session
) -> None:
    """With an Idempotency-Key the body built is the one kept and replayed."""
    headers = {**editor, "Idempotency-Key": "posted-stage-1"}
    _, body = BODIES["the bench's post: ten reports, two parties"]
    first = client.post(POST_STAGE.format(operation="grom"), json=body, headers=headers)
    again = client.post(POST_STAGE.format(operation="grom"), json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content == client.get(first.headers["location"]).content
    assert again.headers["idempotent-replayed"] == "true"
    assert session.scalar(select(m.Stage.id).where(m.Stage.number == 4711)) is not None


def test_insert_new_refuses_a_model_with_insert_events(session: Session) -> None:
    """`insert_new` runs no flush, so a `Named` record's search text would stay empty: it
    is refused, and nothing is written."""
    country = m.Country(iso3="ZZZ", name_en="Zedland", name_ru="Зедландия")
    with pytest.raises(TypeError, match="Named model"):
        insert_new(session, [country])
    assert session.scalar(select(m.Country).where(m.Country.iso3 == "ZZZ")) is None


def test_a_posted_report_moved_before_the_commit_is_filed_under_its_new_years(
    session: Session,
) -> None:
    """The commit files a post's reports under their years from the periods they were
    inserted with (`derived_tables.inserted`), unless a flush changed one since."""
    editor = Caller(key_id=0, name="test", role=KeyRole.EDITOR)
    operation, body = BODIES["the bench's post: ten reports, two parties"]
    posted = post_stage(session, editor, operation, StageCreate.model_validate(body))
    moved, kept = posted.reports[0], posted.reports[1]
    moved.period_start, moved.period_end = date(2019, 12, 1), date(2021, 1, 31)
    session.flush()
    derived_tables.settle(session)
    years = {
        report_id: sorted(session.scalars(select(m.SeizureReportYear.year).where(
            m.SeizureReportYear.report_id == report_id)))
        for report_id in (moved.id, kept.id)
    }  # fmt: skip
    assert years == {moved.id: [2019, 2020, 2021], kept.id: [2024]}


def test_posted_stages_leave_the_derived_tables_as_a_rebuild_would(
    client: TestClient, editor: dict[str, str], session: Session
) -> None:
    """The commit of a post keeps the sums, years and overlap members from what the post
    inserted (`derived_tables.inserted`), without reading its reports back: every body
    above, posted in turn, leaves them as a rebuild from the reports would."""
    for operation, body in BODIES.values():
        made = client.post(POST_STAGE.format(operation=operation), json=body, headers=editor)
        assert made.status_code == 201, made.text
    kept = sum_tables(session)
    assert kept["seizure_overlap_members"], "the reports alike pair with each other"
    derived_tables.rebuild(session)
    assert sum_tables(session) == kept


def test_a_posted_report_changed_before_the_commit_is_paired_as_it_is_now(
    session: Session,
) -> None:
    """A report changed by a flush after the post inserted it is tested for double counts
    as it is then, not as it was inserted: moved to the period of a report of no stage,
    it pairs with that one, which the post's own period would not have found."""
    editor = Caller(key_id=0, name="test", role=KeyRole.EDITOR)
    first = post_stage(session, editor, "grom", StageCreate.model_validate(BODIES_ONE)).reports
    earlier = m.SeizureReport(  # of the first post's operation, country and substance
        operation_id=first[0].operation_id, stage_id=None, country_id=first[0].country_id,
        substance_id=first[0].substance_id, period_start=date(2019, 3, 1),
        period_end=date(2019, 3, 31), unit_kind="mass", amount=5_000_000, qualifier="exact",
        as_reported="5 kg", source_id=first[0].source_id, locator="¶1",
    )  # fmt: skip
    session.add(earlier)
    derived_tables.settle(session)  # filed at a commit of its own; then the post
    body = {**BODIES_ONE, "number": 4715}
    moved = post_stage(session, editor, "grom", StageCreate.model_validate(body)).reports[0]
    moved.period_start, moved.period_end = date(2019, 3, 10), date(2019, 3, 20)
    moved.outside_stage = True
    session.flush()
    derived_tables.settle(session)
    members = set(session.scalars(select(m.SeizureOverlapMember.report_id)))
    assert {moved.id, earlier.id} <= members
    kept = sum_tables(session)
    derived_tables.rebuild(session)
    assert sum_tables(session) == kept


# One report of heroin, on a stage of its own.
BODIES_ONE = {**BODIES["reports alike, every pair a possible double count"][1], "number": 4714}
BODIES_ONE["seizures"] = [ALIKE]
