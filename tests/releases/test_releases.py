"""Releases (issue 24): made once by an admin, frozen, citable, their data package valid
Frictionless and their SQLite file holding exactly the release's rows, on SQLite and on
PostgreSQL alike."""

import csv
import hashlib
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import frictionless
import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app import PROJECT_DIR, cli, migrate
from app.db import make_engine
from app.models import AuditEntry, Base, Country, Release
from app.models.enums import KeyRole
from app.models.versions import VERSIONED_TABLES, data_version
from app.releases import package
from app.releases.versions import Version
from app.releases.writes import make_release
from app.settings import get_settings
from app.staff.keys import Caller
from tests.helpers import SERVER_URL, seed_database
from tests.releases.conftest import NOTE


def _counts(session: Session, tables: Any) -> dict[str, int]:
    return {
        name: session.scalar(select(func.count()).select_from(Base.metadata.tables[name])) or 0
        for name in tables
    }


def _sqlite_counts(path: Path, tables: Any) -> dict[str, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return {
            name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for name in tables
        }


def test_a_release_freezes_the_record_in_a_valid_data_package_and_a_sqlite_file(
    client: TestClient,
    session: Session,
    made: Callable[..., dict[str, Any]],
    releases_dir: Path,
    editor: dict[str, str],
) -> None:
    frozen = data_version(session)
    release = made()
    assert release["version"] == "1.0.0"
    assert release["note"] == NOTE
    assert release["data_version"] == frozen
    folder = releases_dir / "1.0.0"
    names = {f["name"] for f in release["files"]}
    assert names == {
        *(f"{table}.csv" for table in VERSIONED_TABLES),
        "datapackage.json",
        "ksopn-registry-1.0.0.sqlite3",
        "ksopn-registry-1.0.0-datapackage.zip",
        "SHA256SUMS",
    }
    assert names == {path.name for path in folder.iterdir()}
    for entry in release["files"]:  # as listed: size and checksum of the bytes on disk
        data = (folder / entry["name"]).read_bytes()
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert list(package.verify(folder)) == []  # SHA256SUMS agrees

    # The data package: valid, as frictionless reads it (types, keys, foreign keys, hashes).
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])[:10]
    described = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert described["version"] == "1.0.0"
    assert described["data_version"] == frozen
    assert described["licenses"][0]["name"] == "CC-BY-4.0"
    assert described["sources"][0]["path"] == "sources.csv"
    assert {r["name"] for r in described["resources"]} == set(VERSIONED_TABLES)
    for resource in described["resources"]:
        for key in ("title", "title_ru", "description", "description_ru"):
            assert resource[key], (resource["name"], key)
    stages = next(r for r in described["resources"] if r["name"] == "seizure_reports")
    assert {"fields": ["source_id"], "reference": {"resource": "sources", "fields": ["id"]}} in (
        stages["schema"]["foreignKeys"]
    )
    counts = _counts(session, VERSIONED_TABLES)
    for table in VERSIONED_TABLES:  # a CSV row a record row, under its header
        with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
            assert sum(1 for _ in csv.DictReader(handle)) == counts[table], table

    # The SQLite file: built by the migrations, holding the release's rows and its version.
    sqlite_file = folder / "ksopn-registry-1.0.0.sqlite3"
    copied = [*VERSIONED_TABLES, *package.DERIVED_TABLES]
    assert _sqlite_counts(sqlite_file, copied) == _counts(session, copied)
    with sqlite3.connect(f"file:{sqlite_file}?mode=ro", uri=True) as connection:
        assert connection.execute("SELECT version FROM data_version").fetchone()[0] == frozen
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        assert revision == migrate.head_revision()
        assert connection.execute("SELECT count(*) FROM api_keys").fetchone()[0] == 0
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # the rows themselves, not only their number: the quantities and the citations
        figures = "SELECT sum(amount), sum(source_id), max(as_reported) FROM seizure_reports"
        copied_figures = tuple(connection.execute(figures).fetchone())
    assert copied_figures == tuple(session.execute(text(figures)).one())
    before = sqlite_file.read_bytes()

    # A later write to the registry changes neither the files nor their checksums.
    posted = client.post(
        "/api/v1/sources",
        json={
            "slug": "later-source",
            "title": "A later source",
            "publisher": "Example publisher",
            "language": "en",
            "locator_scheme": "paragraphs",
        },
        headers=editor,
    )
    assert posted.status_code == 201, posted.text
    assert data_version(session) != frozen
    assert sqlite_file.read_bytes() == before
    assert list(package.verify(folder)) == []
    again = client.get("/api/v1/releases/1.0.0").json()
    assert again["files"] == release["files"]
    assert again["data_version"] == frozen

    # Audited like every write.
    entry = session.execute(
        select(AuditEntry.actor, AuditEntry.action).where(AuditEntry.entity == "releases")
    ).one()
    assert entry == ("secretariat-admin", "create")


def test_the_release_files_download_with_their_types_and_checksums(
    client: TestClient, made: Callable[..., dict[str, Any]]
) -> None:
    release = made()
    by_name = {f["name"]: f for f in release["files"]}
    for name, media_type in (
        ("datapackage.json", "application/json"),
        ("sources.csv", "text/csv; charset=utf-8"),
        ("SHA256SUMS", "text/plain; charset=utf-8"),
        ("ksopn-registry-1.0.0.sqlite3", "application/vnd.sqlite3"),
        ("ksopn-registry-1.0.0-datapackage.zip", "application/zip"),
    ):
        response = client.get(f"/api/v1/releases/1.0.0/files/{name}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == media_type
        assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
        assert hashlib.sha256(response.content).hexdigest() == by_name[name]["sha256"]
        assert response.headers["etag"] == f'"{by_name[name]["sha256"]}"'
        assert by_name[name]["url"] == f"/api/v1/releases/1.0.0/files/{name}"
        head = client.head(by_name[name]["url"])
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == str(by_name[name]["size"])
        cached = client.get(
            by_name[name]["url"], headers={"If-None-Match": response.headers["etag"]}
        )
        assert cached.status_code == 304
    missing = client.get("/api/v1/releases/1.0.0/files/../../ksopn.sqlite3")
    assert missing.status_code == 404
    unknown = client.get("/api/v1/releases/1.0.0/files/secrets.csv")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert "datapackage.json" in unknown.json()["detail"]


def test_the_zip_is_the_data_package_and_validates_too(
    made: Callable[..., dict[str, Any]], releases_dir: Path, tmp_path: Path
) -> None:
    made()
    unpacked = tmp_path / "unpacked"
    shutil.unpack_archive(releases_dir / "1.0.0" / "ksopn-registry-1.0.0-datapackage.zip", unpacked)
    report = frictionless.validate(str(unpacked / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])[:10]


def test_frictionless_finds_a_broken_reference(
    made: Callable[..., dict[str, Any]], releases_dir: Path, tmp_path: Path
) -> None:
    """The validation in the test above checks the foreign keys: a copy whose report names
    no source fails it (its hashes are taken out, so that the reference is what fails)."""
    made()
    copy = tmp_path / "copy"
    shutil.copytree(releases_dir / "1.0.0", copy)
    for path in copy.iterdir():
        path.chmod(0o644)
    described = json.loads((copy / "datapackage.json").read_text(encoding="utf-8"))
    for resource in described["resources"]:
        resource.pop("hash")
        resource.pop("bytes")
    (copy / "datapackage.json").write_text(json.dumps(described), encoding="utf-8")
    with (copy / "seizure_reports.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index("source_id")] = "999999"
    with (copy / "seizure_reports.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    report = frictionless.validate(str(copy / "datapackage.json"))
    assert not report.valid
    assert "foreign-key" in {row[0] for row in report.flatten(["type"])}


def test_a_release_is_listed_and_cited(
    client: TestClient, made: Callable[..., dict[str, Any]]
) -> None:
    assert client.get("/api/v1/releases").json()["items"] == []
    release = made()
    listed = client.get("/api/v1/releases").json()["items"]
    assert [item["version"] for item in listed] == ["1.0.0"]
    assert listed[0] == release
    exported = client.get("/api/v1/releases.csv")
    assert exported.status_code == 200
    assert f"\n{release['id']},1.0.0," in exported.text  # a row a release, as the list
    day = release["released_at"][:10]
    citation = release["citation"]
    assert "version 1.0.0" in citation["text"]
    assert day in citation["text"]
    assert "KSOPN registry" in citation["text"]
    assert citation["bibtex"].startswith("@misc{ksopn-registry-1.0.0,")
    assert "version = {1.0.0}" in citation["bibtex"]
    assert citation["csl_json"]["type"] == "dataset"
    assert citation["csl_json"]["version"] == "1.0.0"
    assert citation["csl_json"]["issued"] == {"date-parts": [[int(p) for p in day.split("-")]]}
    assert "URL" not in citation["csl_json"]  # no public address configured: none guessed

    bib = client.get("/api/v1/releases/1.0.0?format=bibtex")
    assert bib.headers["content-type"] == "application/x-bibtex; charset=utf-8"
    assert bib.text == citation["bibtex"]
    csl = client.get("/api/v1/releases/1.0.0?format=csl-json")
    assert csl.headers["content-type"] == "application/vnd.citationstyles.csl+json"
    assert csl.json() == [citation["csl_json"]]
    plain = client.get("/api/v1/releases/1.0.0?format=text")
    assert plain.text == citation["text"] + "\n"
    assert 'filename="ksopn-registry-1.0.0.txt"' in plain.headers["content-disposition"]


def test_the_citation_names_the_registry_as_citation_cff_does() -> None:
    cff = yaml.safe_load((PROJECT_DIR / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["title"] == package.TITLE
    assert cff["authors"] == [{"name": package.AUTHOR}]
    assert cff["license"] == package.LICENSE["name"]


def test_an_unknown_release_is_a_404_that_helps(
    client: TestClient, made: Callable[..., dict[str, Any]]
) -> None:
    nothing = client.get("/api/v1/releases/9.9.9")
    assert nothing.status_code == 404
    assert nothing.headers["content-type"] == "application/problem+json"
    assert "no release has been made yet" in nothing.json()["detail"]
    made()
    missing = client.get("/api/v1/releases/2.0.0")
    assert "the latest are 1.0.0" in missing.json()["detail"]
    russian = client.get("/api/v1/releases/2.0.0", headers={"Accept-Language": "ru"})
    assert "нет выпуска" in russian.json()["detail"]


def test_a_release_never_changes(
    client: TestClient,
    session: Session,
    admin: dict[str, str],
    made: Callable[..., dict[str, Any]],
) -> None:
    made()
    for version, status, word in (
        ("1.0.0", 409, "exists"),  # the same version again
        ("0.9.0", 409, "not greater"),
        ("1.0.0-rc.1", 409, "not greater"),  # a pre-release comes before its release
        ("1.0", 422, "semantic version"),
        ("01.0.0", 422, "semantic version"),
        ("1.0.1+build.5", 422, "semantic version"),
    ):
        response = client.post(
            "/api/v1/releases", json={"version": version, "note": NOTE}, headers=admin
        )
        assert response.status_code == status, (version, response.text)
        assert word in response.text, (version, response.text)
    assert client.put("/api/v1/releases/1.0.0", json={}, headers=admin).status_code == 405
    assert client.delete("/api/v1/releases/1.0.0", headers=admin).status_code == 405
    assert made("1.0.1")["version"] == "1.0.1"
    # Nor by SQL: the database refuses to change a release (migration 0016).
    with pytest.raises(DBAPIError, match="never changes"), session.begin_nested():
        session.execute(update(Release).values(note="changed"))


def test_only_an_admin_makes_a_release(
    client: TestClient, editor: dict[str, str], releases_dir: Path
) -> None:
    body = {"version": "1.0.0", "note": NOTE}
    assert client.post("/api/v1/releases", json=body).status_code == 401
    refused = client.post("/api/v1/releases", json=body, headers=editor)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert not releases_dir.exists() or not any(releases_dir.iterdir())


def test_semantic_versions_order_as_semver_says() -> None:
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
               "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "10.0.0"]  # fmt: skip
    parsed = [Version.parse(v) for v in ordered]
    assert sorted(parsed, reverse=True) == parsed[::-1]
    assert sorted(parsed[3:] + parsed[:3]) == parsed
    assert [str(v) for v in parsed] == ordered


def test_every_table_is_released_or_named_as_not() -> None:
    """A new table must be decided: a table of facts (VERSIONED_TABLES) is released; any
    other is named as a cache or as the staff's (app/releases/package.py)."""
    decided = {*VERSIONED_TABLES, *package.DERIVED_TABLES, *package.NOT_RELEASED}
    assert set(Base.metadata.tables) == decided
    assert set(package.DESCRIPTIONS) == set(VERSIONED_TABLES)


# -- the command line, on a database of its own --------------------------------------------


@pytest.fixture
def seeded_url(
    new_database: Callable[[], str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    url = new_database()
    seed_database(url)
    monkeypatch.setenv("KSOPN_DATABASE_URL", url)
    monkeypatch.setenv("KSOPN_RELEASES_DIR", str(tmp_path / "cli-releases"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_the_command_line_makes_a_release(seeded_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["release", "create", "--version", "1.0.0", "--note", NOTE]
    result = runner.invoke(cli.cli, args)
    assert result.exit_code == 0, result.output
    assert "release 1.0.0 made" in result.output
    folder = tmp_path / "cli-releases" / "1.0.0"
    assert frictionless.validate(str(folder / "datapackage.json")).valid
    engine = make_engine(seeded_url)
    try:
        with Session(engine) as session:
            release = session.scalars(select(Release)).one()
            assert release.data_version == data_version(session)
            actor = session.scalar(select(AuditEntry.actor).where(AuditEntry.entity == "releases"))
            assert actor == cli.CLI_ACTOR
            counts = _counts(session, VERSIONED_TABLES)
        assert _sqlite_counts(folder / "ksopn-registry-1.0.0.sqlite3", VERSIONED_TABLES) == counts
    finally:
        engine.dispose()
    again = runner.invoke(cli.cli, args)
    assert again.exit_code == 1
    assert "exists" in again.output
    bad = runner.invoke(cli.cli, ["release", "create", "--version", "v2", "--note", NOTE])
    assert bad.exit_code == 1
    assert "semantic version" in bad.output


@pytest.mark.skipif(SERVER_URL is None, reason="PostgreSQL's row lock; SQLite's writer holds its")
def test_writes_of_facts_wait_while_a_release_is_made(seeded_url: str, tmp_path: Path) -> None:
    """On PostgreSQL (read committed), what makes the files match the recorded version is
    the lock on the data version's row: a write of a fact waits until the release commits."""
    engine = make_engine(seeded_url)
    try:
        with Session(engine) as making, making.begin():
            caller = Caller(key_id=0, name="test", role=KeyRole.ADMIN)
            make_release(making, caller, "1.0.0", NOTE, tmp_path / "made")
            with engine.connect() as writer, writer.begin():
                writer.execute(text("SET LOCAL lock_timeout = '500ms'"))
                with pytest.raises(DBAPIError, match="lock"):
                    writer.execute(update(Country).values(name_en=Country.name_en))
    finally:
        engine.dispose()
