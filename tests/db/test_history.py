"""The record's history (app/models/history.py, migration 0019): every change of a fact
leaves the row's state, with the data version and time that first hold it."""

from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from app.models import Base, Country, DataVersion, RecordHistory
from app.models.versions import VERSIONED_TABLES, data_version


def _states(session: Session, table: str, row_id: int) -> list[tuple[str, int, dict[str, Any]]]:
    rows = session.execute(
        select(RecordHistory.change, RecordHistory.version, RecordHistory.row_data)
        .where(RecordHistory.table_name == table, RecordHistory.row_id == row_id)
        .order_by(RecordHistory.id)
    )
    return [(change, version, data) for change, version, data in rows]


def test_every_table_of_facts_keeps_every_column_of_its_rows(session: Session) -> None:
    """A column a trigger leaves out (SQLite's name each) would be lost from as_of."""
    checked = 0
    for table in Base.metadata.sorted_tables:
        if table.name not in VERSIONED_TABLES:
            continue
        data = session.scalar(
            select(RecordHistory.row_data).where(RecordHistory.table_name == table.name).limit(1)
        )
        if data is None:
            continue  # the seed has no row of it
        assert set(data) == {column.name for column in table.c}, table.name
        checked += 1
    assert checked >= 15


def test_an_insert_an_update_and_a_delete_each_leave_the_state_and_its_version(
    session: Session,
) -> None:
    session.execute(insert(Country).values(id=990, iso3="ZZZ", name_en="Zedland", name_ru="Зед"))
    inserted = data_version(session)
    session.execute(update(Country).where(Country.id == 990).values(name_en="Zedland, the"))
    updated = data_version(session)
    session.execute(delete(Country).where(Country.id == 990))
    deleted = data_version(session)

    states = _states(session, "countries", 990)
    assert [(change, version) for change, version, _ in states] == [
        ("insert", inserted),
        ("update", updated),
        ("delete", deleted),
    ]
    assert states[0][2]["name_en"] == "Zedland"
    assert states[1][2]["name_en"] == "Zedland, the"
    assert states[2][2]["name_en"] == "Zedland, the"  # a delete keeps the last state
    changed_at = session.scalar(select(DataVersion.changed_at))
    newest = session.scalar(select(func.max(RecordHistory.changed_at)))
    assert newest == changed_at


def test_a_row_rewritten_as_it_was_leaves_no_state(session: Session) -> None:
    country = session.execute(select(Country.id, Country.name_en).limit(1)).one()
    before = session.scalar(select(func.count()).select_from(RecordHistory))
    session.execute(update(Country).where(Country.id == country.id).values(name_en=country.name_en))
    assert session.scalar(select(func.count()).select_from(RecordHistory)) == before


def test_postgresql_truncate_leaves_a_delete_for_every_row(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return  # SQLite has no TRUNCATE
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            rows = connection.scalar(text("SELECT count(*) FROM exercise_objectives"))
            connection.execute(text("TRUNCATE exercise_objectives"))
            deletes = connection.scalar(
                text(
                    "SELECT count(*) FROM record_history "
                    "WHERE table_name = 'exercise_objectives' AND change = 'delete'"
                )
            )
            assert deletes == rows
        finally:
            transaction.rollback()
