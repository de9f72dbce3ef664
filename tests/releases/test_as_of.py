"""`as_of` (issue 24): a stage is posted, a release made, the stage corrected and then
deleted; at every step, the record asked for as of that step (by release and by time)
answers exactly what the record held then, in the totals, the list, the CSV and a page, on
SQLite and PostgreSQL alike."""

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app import migrate
from app.db import make_engine
from app.main import create_app
from app.models import Country
from app.models.enums import KeyRole
from app.operations.schemas import STAGE_EXAMPLE
from app.releases.writes import make_release
from app.settings import Settings
from app.staff.keys import Caller
from tests.helpers import seed_database

NUMBER = 779
READS = {
    "totals": "/api/v1/seizures/totals?group_by=stage,substance&operation=channel",
    "list": "/api/v1/seizures?operation=channel&limit=200",
    "csv": "/api/v1/seizures.csv?operation=channel",
    "stages": "/api/v1/operations/channel/stages?limit=200",
}


def _with(url: str, as_of: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}as_of={as_of}"


def _answers(client: TestClient, as_of: str | None = None) -> dict[str, Any]:
    found = {}
    for name, url in READS.items():
        response = client.get(_with(url, as_of) if as_of else url)
        assert response.status_code == 200, (name, response.text)
        found[name] = response.text if name == "csv" else _without_links(response.json(), as_of)
    return found


def _without_links(body: Any, as_of: str | None) -> Any:
    """An answer's links carry its `as_of` (a line's `reports_url` lists the figures of the
    same past record); the rest must be the same."""
    if isinstance(body, dict):
        return {k: _without_links(v, as_of) for k, v in body.items()}
    if isinstance(body, list):
        return [_without_links(each, as_of) for each in body]
    if isinstance(body, str) and as_of and body.startswith("/api/"):
        asked = f"as_of={quote(as_of, safe='')}"
        assert asked in body, body
        return body.replace(f"&{asked}", "").replace(f"{asked}&", "")
    return body


def _moment() -> str:
    """A moment after everything written so far, and before anything written next."""
    time.sleep(0.02)
    moment = datetime.now(UTC)
    time.sleep(0.02)
    return moment.isoformat().replace("+00:00", "Z")


def test_as_of_answers_what_the_record_held_at_each_step(
    client: TestClient, editor: dict[str, str], made: Any
) -> None:
    steps: list[tuple[str, dict[str, Any]]] = [(_moment(), _answers(client))]

    posted = client.post(
        "/api/v1/operations/channel/stages",
        json={**STAGE_EXAMPLE, "number": NUMBER},
        headers=editor,
    )
    assert posted.status_code == 201, posted.text
    stage_url = posted.headers["location"]
    stage = posted.json()
    page = f"/stages/{stage['id']}"
    release = made("1.0.0")
    steps.append((_moment(), _answers(client)))

    report = stage["seizures"][0]["id"]
    current = client.get(f"/api/v1/seizures/{report}")
    corrected = client.patch(
        f"/api/v1/seizures/{report}",
        json={"quantity": "more than 3 t"},
        headers={**editor, "If-Match": current.headers["etag"]},
    )
    assert corrected.status_code == 200, corrected.text
    steps.append((_moment(), _answers(client)))

    current = client.get(stage_url)
    deleted = client.delete(stage_url, headers={**editor, "If-Match": current.headers["etag"]})
    assert deleted.status_code == 204, deleted.text
    steps.append((_moment(), _answers(client)))

    # Every answer differs from the next: each step changed what is read.
    for (_, before), (_, after) in pairwise(steps):
        assert before["totals"] != after["totals"]
        assert before["csv"] != after["csv"]

    for moment, held in steps:
        assert _answers(client, moment) == held, moment
    assert _answers(client, "1.0.0") == steps[1][1]

    # Dated as the record then: its last change no later than the moment asked for.
    for moment, _ in steps:
        answered = client.get(_with(READS["totals"], moment))
        changed = parsedate_to_datetime(answered.headers["last-modified"])
        assert changed <= datetime.fromisoformat(moment).replace(microsecond=0) + timedelta(
            seconds=1
        )
    assert release["data_version"]

    # The stage's page: there while it was, with the figure of its time; gone after.
    posted_at, corrected_at, deleted_at = (moment for moment, _ in steps[1:])
    for lang in ("en", "ru"):
        then = client.get(f"{page}?lang={lang}&as_of={posted_at}")
        assert then.status_code == 200, then.text
        assert str(NUMBER) in then.text
        later = client.get(f"{page}?lang={lang}&as_of={corrected_at}")
        assert later.status_code == 200
        assert then.text != later.text
        assert client.get(f"{page}?lang={lang}&as_of={deleted_at}").status_code == 404
        assert client.get(f"{page}?lang={lang}").status_code == 404
        assert client.get(f"{page}?lang={lang}&as_of=1.0.0").status_code == 200


@pytest.mark.parametrize(
    ("as_of", "says"),
    [
        ("yesterday", "neither a release's version"),
        ("2026-13-40", "neither a release's version"),
        ("9.9.9", "there is no release 9.9.9"),
        ("1999-01-01", "earlier than the record's history"),
        ("0001-01-01T00:00:00+01:00", "earlier than the record's history"),
        ("9999-12-31", "later than now"),
        ("9999-12-31T23:59:59-01:00", "later than now"),
    ],
)
def test_an_as_of_that_names_no_past_record_is_a_422_naming_it(
    client: TestClient, as_of: str, says: str
) -> None:
    response = client.get(f"/api/v1/seizures?as_of={quote(as_of)}")
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["name"] == "as_of"
    assert says in problem["errors"][0]["message"]


def test_a_time_later_than_now_is_refused(client: TestClient) -> None:
    later = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    response = client.get(f"/api/v1/seizures/totals?as_of={later}")
    assert response.status_code == 422
    assert "later than now" in response.json()["errors"][0]["message"]


def test_as_of_in_russian_on_a_russian_page(client: TestClient) -> None:
    response = client.get("/operations/channel?lang=ru&as_of=9.9.9")
    assert response.status_code == 422
    assert "выпуска 9.9.9 нет" in response.text


def test_a_write_refuses_as_of(client: TestClient, editor: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/operations/channel/stages?as_of=1.0.0",
        json={**STAGE_EXAMPLE, "number": NUMBER},
        headers=editor,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["name"] == "as_of"
    assert "only as things stand now" in response.json()["errors"][0]["message"]


def test_a_page_of_the_past_record_says_so_and_its_links_stay_in_it(
    client: TestClient, made: Any
) -> None:
    made("1.0.0")
    for lang, says in (("en", "as it stood in release 1.0.0"), ("ru", "вошёл в выпуск 1.0.0")):
        page = client.get(f"/operations/channel?lang={lang}&as_of=1.0.0")
        assert page.status_code == 200, page.text
        assert says in page.text
        links = re.findall(r'href="(/(?:sources|countries|substances|coverage)[^"]*)"', page.text)
        assert len(links) > 5
        assert all("as_of=1.0.0" in link for link in links), links
        now = re.search(r'data-live href="([^"]*)"', page.text)
        assert now is not None
        assert "as_of" not in now.group(1)
        assert 'href="/assets/pages.css"' in page.text
        assert f'href="/releases?lang={lang}"' in page.text  # releases answer as they stand
    front = client.get("/?lang=en&as_of=1.0.0")
    assert '<input type="hidden" name="as_of" value="1.0.0">' in front.text
    assert not client.app.state.front_pages  # type: ignore[attr-defined]  # kept: now's only


def test_a_release_older_than_the_history_answers_from_its_own_file(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    """A database that held a release before migration 0019: the history begins after it,
    so the release's own SQLite file answers for it. (The release is made at the head
    revision, whose code this is, and the database then taken back to before the history.)"""
    url = new_database()
    seed_database(url)
    releases = tmp_path / "releases"
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            caller = Caller(key_id=0, name="test", role=KeyRole.ADMIN)
            make_release(session, caller, "1.0.0", "Before the history.", releases)
        engine.dispose()
        migrate.downgrade(url, "0018")
        with Session(engine) as session, session.begin():
            session.execute(
                update(Country).where(Country.iso3 == "KAZ").values(name_en="Kazakstan")
            )
    finally:
        engine.dispose()
    migrate.upgrade(url)
    settings = Settings(
        database_url=url, releases_dir=releases, snapshots_dir=tmp_path / "snapshots"
    )
    with TestClient(create_app(settings)) as client:
        now = client.get("/api/v1/countries/KAZ").json()
        then = client.get("/api/v1/countries/KAZ?as_of=1.0.0")
        assert then.status_code == 200, then.text
        assert now["name_en"] == "Kazakstan"
        assert then.json()["name_en"] == "Kazakhstan"
        early = client.get("/api/v1/countries/KAZ?as_of=2000-01-01")
        assert early.status_code == 422
        assert "history" in early.json()["errors"][0]["message"]
    assert not list((tmp_path / "snapshots").iterdir())  # removed when the server stopped
