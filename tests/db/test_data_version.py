"""The data version (app/models/versions.py): every way of changing a fact bumps it, in the
same transaction, and no version ever names two states of the registry."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text, update
from sqlalchemy.orm import Session

from app import migrate
from app.backup import backup_sqlite, restore_sqlite
from app.db import DriverStatement, driver_rows, make_engine
from app.models import Base, Country, DataVersion
from app.models.versions import (
    VERSIONED_TABLES,
    changed_at_from,
    changed_at_selected,
    data_version,
    in_utc,
    version_sql,
)
from tests.helpers import SERVER_URL

# Tables whose changes are not facts of the registry: kept from the facts (the sums), or
# the staff's own (keys, the audit log, idempotency records), or the server's (failed key
# checks), or the version itself.
UNVERSIONED = {
    "seizure_sums",
    "seizure_sums_by_substance",
    "seizure_overlap_members",
    "seizure_report_years",
    "seizure_list_items",
    "api_keys",
    "audit_log",
    "idempotency_records",
    "auth_failures",
    "data_version",
    "error_reports",  # what readers say is wrong: never a fact until staff correct a record
    "error_report_senders",
    "releases",
    "record_history",  # the facts' history, written by the triggers that bump the version
}


def test_every_table_is_either_versioned_or_named_as_not() -> None:
    """A new table of facts must be added to VERSIONED_TABLES (and get its triggers)."""
    assert set(Base.metadata.tables) == set(VERSIONED_TABLES) | UNVERSIONED
    assert not set(VERSIONED_TABLES) & UNVERSIONED


def test_every_versioned_table_has_its_triggers(engine: Engine) -> None:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            sql = "SELECT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal"
        else:
            sql = "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'"
        triggered = {row[0] for row in connection.execute(text(sql))}
    # Besides, releases has the trigger that refuses to change one (migration 0018).
    assert triggered == {*VERSIONED_TABLES, "releases"}


def test_every_trigger_sets_the_time_too(engine: Engine) -> None:
    """Migration 0017 made every trigger set `changed_at` (Last-Modified), whichever
    revision made the trigger: one left with the old UPDATE would leave the time behind."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            sql = "SELECT prosrc FROM pg_proc WHERE proname LIKE 'ksopn_history_of_%'"
        else:
            sql = (
                "SELECT sql FROM sqlite_master "
                "WHERE type = 'trigger' AND name LIKE '%bumps_data_version'"
            )
        bodies = [row[0] for row in connection.execute(text(sql))]
    assert bodies
    assert all("changed_at" in body for body in bodies), bodies


def test_inserts_updates_and_deletes_bump_it_in_their_transaction(session: Session) -> None:
    versions = [data_version(session)]
    country = Country(iso3="XXA", name_en="Testland", name_ru="Тестландия")
    session.add(country)
    session.flush()
    versions.append(data_version(session))
    session.execute(update(Country).where(Country.iso3 == "XXA").values(name_en="Testia"))
    versions.append(data_version(session))
    session.delete(country)
    session.flush()
    versions.append(data_version(session))
    assert versions == sorted(set(versions)), versions


def test_a_statement_that_changes_no_fact_table_does_not_bump_it(session: Session) -> None:
    before = data_version(session)
    session.execute(text("SELECT count(*) FROM seizure_reports"))
    assert data_version(session) == before


@pytest.mark.skipif(SERVER_URL is not None, reason="backups are of SQLite databases")
def test_a_restore_moves_the_version_past_both_histories(tmp_path: Path) -> None:
    """The backup is taken at version v; the live database goes on to v + n; the restore
    brings back the facts of v, so its version must be neither v nor any of v + 1..v + n."""
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        backed_up = _version(engine)
        backup_sqlite(url, tmp_path / "backup.sqlite3")
        with Session(engine) as session, session.begin():
            session.add(Country(iso3="XXB", name_en="Later", name_ru="Позже"))
        later = _version(engine)
        assert later > backed_up
        changed_before = _changed_at(engine)
        restore_sqlite(url, tmp_path / "backup.sqlite3")
        restored = _version(engine)
        assert restored > later
        assert _changed_at(engine) >= changed_before  # the facts changed: Last-Modified moves
        assert "XXB" not in {c for (c,) in _countries(engine)}
    finally:
        engine.dispose()


def test_the_version_table_is_migrated_with_one_row(engine: Engine) -> None:
    assert "data_version" in inspect(engine).get_table_names()
    with Session(engine) as session:
        assert session.scalars(select(DataVersion.id)).all() == [1]


def _version(engine: Engine) -> int:
    with Session(engine) as session:
        return data_version(session)


def _changed_at(engine: Engine) -> datetime:
    with Session(engine) as session:
        return session.execute(select(DataVersion.changed_at)).scalar_one()


def test_every_change_sets_the_time_in_the_same_update(session: Session) -> None:
    """Migration 0017: the triggers that bump the version set `changed_at` too, in UTC."""
    past = datetime(2001, 1, 1, tzinfo=UTC)
    session.execute(update(DataVersion).values(changed_at=past))
    before = data_version(session)
    session.add(Country(iso3="XXC", name_en="Timeland", name_ru="Времяландия"))
    session.flush()
    session.expire_all()
    row = session.execute(select(DataVersion.version, DataVersion.changed_at)).one()
    assert row.version > before
    changed = in_utc(row.changed_at)
    assert past < changed <= datetime.now(UTC)
    assert datetime.now(UTC) - changed < timedelta(minutes=5)  # UTC, not the local zone


def _countries(engine: Engine) -> list[tuple[str]]:
    with engine.connect() as connection:
        return [(row[0],) for row in connection.execute(text("SELECT iso3 FROM countries"))]


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 7, 10, 3, 32, 123456, tzinfo=UTC),
        datetime(2026, 12, 7, 10, 3, 32, 999999, tzinfo=UTC),
        datetime(2000, 1, 1, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
    ],
)
def test_the_time_the_hot_reads_select_is_the_stored_time(
    session: Session, moment: datetime
) -> None:
    """The year list, a stage and a report select `changed_at` beside their facts as
    `changed_at_selected` does (on PostgreSQL an integer of microseconds) and the raw
    statement of the loop's version (`version_sql`) the same: read back, each is the time
    the column holds, to the microsecond."""
    session.execute(update(DataVersion).values(changed_at=moment))
    dialect = session.get_bind().dialect
    stored = session.scalar(select(DataVersion.changed_at))
    # As those reads run them: through the driver, past SQLAlchemy's result processing.
    driver = session.connection().connection.driver_connection
    selected = DriverStatement.of(select(changed_at_selected(dialect.name)), dialect)
    ((from_select,),) = driver_rows(driver, selected.sql, selected.params())
    ((_version, from_raw),) = driver_rows(driver, version_sql(dialect.name), ())
    assert stored is not None
    assert changed_at_from(dialect)(from_select) == in_utc(stored) == moment
    assert changed_at_from(dialect)(from_raw) == moment
