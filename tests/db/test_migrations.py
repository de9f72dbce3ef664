"""The migrations build exactly the models' schema, and go down and up again cleanly."""

import hashlib
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    Table,
    func,
    insert,
    inspect,
    select,
    text,
)

from app import migrate
from app.db import make_engine
from app.models import Base


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_models_and_migrations_agree(database_url: str) -> None:
    # Raises if autogenerate finds any difference between the models and the database.
    command.check(migrate.alembic_config(database_url))


def test_upgrade_downgrade_upgrade(new_database: Callable[[], str]) -> None:
    url = new_database()
    migrate.upgrade(url)
    assert _tables(url) == set(Base.metadata.tables) | {"alembic_version"}

    migrate.downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}

    migrate.upgrade(url)
    assert _tables(url) == set(Base.metadata.tables) | {"alembic_version"}
    engine = make_engine(url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


# Every migration, step by step, on a database that holds data: the seed, copied into the
# schema of the first revision (the seed loader writes the newest schema, so its rows are
# taken from the seeded test database and cut down to the columns the first revision has).

Snapshot = dict[str, tuple[int, str]]


def _revisions() -> list[str]:
    """Every revision from the first to head, read from the scripts (not a list kept here)."""
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def _reflect(engine: Engine) -> MetaData:
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.remove(metadata.tables["alembic_version"])
    return metadata


# Columns a later revision renamed: (table, name in the first schema) -> name at head.
RENAMED = {("stages", "name"): "name_en"}


def _column(table: Table, name: str) -> Column[Any]:
    """The column of `table` that holds what the first schema's `name` held."""
    return table.c[name] if name in table.c else table.c[RENAMED[(table.name, name)]]


def _fill(seeded: Engine, target: Engine) -> MetaData:
    """Copies the seed into the target's (older) schema, adds what the seed lacks; returns
    that schema."""
    schema = _reflect(target)
    head = _reflect(seeded)
    with seeded.connect() as source, target.begin() as destination:
        for table in schema.sorted_tables:
            seeded_table = head.tables[table.name]
            columns = [_column(seeded_table, c.name) for c in table.c]
            order = [seeded_table.c[c.name] for c in table.primary_key.columns]  # parents first
            rows = source.execute(select(*columns).order_by(*order)).mappings().all()
            if rows:
                destination.execute(insert(table), [dict(row) for row in rows])
        if destination.dialect.name == "postgresql":
            _advance_sequences(destination, schema)
        _add_a_meeting_and_a_stage(destination, schema.tables)
    return schema


def _advance_sequences(connection: Connection, schema: MetaData) -> None:
    # Rows went in with their ids; the next insert must not get an id already taken.
    for table in schema.sorted_tables:
        if "id" in table.c:
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence(:t, 'id'), max(id)) FROM "
                    f'"{table.name}" HAVING max(id) IS NOT NULL'
                ),
                {"t": table.name},
            )


def _add_a_meeting_and_a_stage(connection: Connection, t: Mapping[str, Table]) -> None:
    """The seed has no meetings and no stages; a stage also gets a party and a seizure
    report with a breakdown, so that the tables migrations rebuild hold linked rows."""

    def first_id(name: str) -> int:
        return int(connection.scalar(select(func.min(t[name].c.id))))

    def add(table: str, /, **values: object) -> int:
        return int(connection.scalar(insert(t[table]).values(**values).returning(t[table].c.id)))

    cited = {"source_id": first_id("sources"), "locator": "¶1"}
    country, operation = first_id("countries"), first_id("operations")
    add(
        "meetings",
        body_id=first_id("bodies"),
        number=1,
        held_on=date(2010, 6, 1),
        date_precision="day",
        place="Minsk",
        country_id=country,
        summary="first",
        **cited,
    )
    stage = add(
        "stages",
        operation_id=operation,
        number=1,
        name="Channel - one",
        start_on=date(2010, 6, 1),
        end_on=date(2010, 6, 10),
        lead_country_id=country,
        description="a stage",
        **cited,
    )
    add(
        "participations",
        stage_id=stage,
        party_kind="country",
        country_id=country,
        role="participant",
        **cited,
    )
    report = {
        "operation_id": operation,
        "stage_id": stage,
        "country_id": country,
        "period_start": date(2010, 6, 1),
        "period_end": date(2010, 6, 10),
        "substance_id": first_id("substances"),
        "unit_kind": "mass",
        "qualifier": "exact",
        **cited,
    }
    parent = add("seizure_reports", amount=2000, as_reported="2 kg", **report)
    add("seizure_reports", amount=500, as_reported="500 g", parent_id=parent, **report)


def _snapshot(engine: Engine, schema: MetaData) -> Snapshot:
    """Per table of the first schema: its rows and a digest of their first-schema columns."""
    now = _reflect(engine)
    snapshot: Snapshot = {}
    with engine.connect() as connection:
        for table in schema.sorted_tables:
            current = now.tables[table.name]
            columns = [
                _column(current, c.name)
                for c in table.c
                if c.name in current.c or (table.name, c.name) in RENAMED
            ]
            order = [current.c[c.name] for c in table.primary_key.columns]
            rows = connection.execute(select(*columns).order_by(*order)).all()
            digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
            snapshot[table.name] = (len(rows), digest)
    return snapshot


def test_every_migration_keeps_the_data(new_database: Callable[[], str], engine: Engine) -> None:
    revisions = _revisions()
    url = new_database()
    migrate.upgrade(url, revisions[0])
    target = make_engine(url)
    try:
        schema = _fill(engine, target)
        before = _snapshot(target, schema)
        empty = [name for name, (count, _) in before.items() if count == 0]
        assert not empty, f"the seed leaves these first-revision tables empty: {empty}"

        steps: list[tuple[Callable[[str, str], None], str]]
        steps = [(migrate.upgrade, r) for r in revisions[1:]]
        steps += [(migrate.downgrade, r) for r in reversed(revisions[:-1])]
        steps += [(migrate.upgrade, r) for r in revisions[1:]]
        for step, revision in steps:
            step(url, revision)
            target.dispose()  # a fresh connection sees the new schema
            assert _snapshot(target, schema) == before, f"{step.__name__} to {revision}"
        assert migrate.current_revision(target) == migrate.head_revision()
    finally:
        target.dispose()


def test_ids_deleted_before_0005_are_never_handed_out_again(
    new_database: Callable[[], str],
) -> None:
    """Migration 0005 starts SQLite's id counters past every id the audit log names."""
    url = new_database()
    if not url.startswith("sqlite"):
        pytest.skip("PostgreSQL's sequences never go back; migration 0005 is for SQLite")
    migrate.upgrade(url, "0004")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO audit_log (at, actor, action, entity, entity_id) "
                    "VALUES ('2026-01-01 00:00:00', 'staff', 'delete', 'stages', 41)"
                )
            )
        migrate.upgrade(url, "0005")
        engine.dispose()
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT name, seq FROM sqlite_sequence")).all()
            counters: dict[str, int] = dict(rows)
    finally:
        engine.dispose()
    assert counters["stages"] == 41
    assert counters["seizure_reports"] == 0
