"""The record's history: every state every row of a table of facts has had (issue 24).

One row per change of a row of a table of facts (`VERSIONED_TABLES`), written by the same
database triggers that bump the data version (migration 0019), in the same transaction, so
that whatever writes (the API, the seed loader, demo-data's bulk loads, SQL by hand) leaves
its history. A row holds the state the change left (`row_data`, every column as JSON), or,
for a delete, the last state the row had; `version` is the first data version that holds
that state, and `changed_at` the time of that version (`data_version.changed_at`).

So the record as it stood at data version V is, for each table, the newest state of each
row with `version <= V`, unless that state is a delete (app/history/snapshots.py rebuilds
it); and the changes between two versions are the rows between them (the changelog).

`baseline` rows are the state of every row when history began (the migration's time, on a
database that held facts before it): what came before is not known, only what was.

An UPDATE that changes no column leaves no row (it still bumps the data version). PostgreSQL
writes a statement's rows at once (statement triggers with transition tables), SQLite one
per row (row triggers); both read the version and time from `data_version` after the bump.
SQLite's triggers name every column of their table (`json_object`): a migration that adds a
column to a table of facts makes its triggers again (`sqlite_triggers`, which reads the
columns the table has); a test fails on a column a trigger leaves out.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

CHANGES = ("insert", "update", "delete", "baseline")


class RecordHistory(Base):
    __tablename__ = "record_history"
    __table_args__ = (
        # A row's states, newest first (as_of rebuilds, a change's state before).
        Index("ix_record_history_row", "table_name", "row_id", "version"),
        Index("ix_record_history_version", "version"),  # the changes between two versions
        Index("ix_record_history_changed_at", "changed_at"),  # as_of a time: its version
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    change: Mapped[str] = mapped_column(String(8))
    row_data: Mapped[dict[str, Any]] = mapped_column(JSON)


# The SQL of the triggers, for migrations: each reads the columns its table has then.

BUMP = {
    "postgresql": (
        "UPDATE data_version SET version = version + 1, "
        "changed_at = greatest(changed_at, clock_timestamp()) WHERE id = 1"
    ),
    "sqlite": (
        "UPDATE data_version SET version = version + 1, "
        "changed_at = max(changed_at, strftime('%Y-%m-%d %H:%M:%f', 'now')) WHERE id = 1"
    ),
}
HISTORY_COLUMNS = "table_name, row_id, version, changed_at, change, row_data"
SQLITE_EVENTS = ("insert", "update", "delete")
SQLITE_SUFFIX = "_bumps_data_version"


def sqlite_trigger_name(table: str, event: str) -> str:
    return f"{table}_{event}{SQLITE_SUFFIX}"


def sqlite_row_json(alias: str, columns: list[tuple[str, bool]]) -> str:
    """`json_object` of a row's columns (name, is_json): a JSON column's text nested."""
    pairs = ", ".join(
        f"'{name}', " + (f"json({alias}.{name})" if is_json else f"{alias}.{name}")
        for name, is_json in columns
    )
    return f"json_object({pairs})"


def sqlite_trigger(table: str, event: str, columns: list[tuple[str, bool]]) -> str:
    """The row trigger that bumps the data version and writes the row's history."""
    row = "OLD" if event == "delete" else "NEW"
    state = sqlite_row_json(row, columns)
    changed = ""
    if event == "update":  # a row rewritten as it was is no change
        changed = f" AND {state} IS NOT {sqlite_row_json('OLD', columns)}"
    return (
        f"CREATE TRIGGER {sqlite_trigger_name(table, event)} AFTER {event.upper()} ON {table} "
        f"BEGIN {BUMP['sqlite']}; "
        f"INSERT INTO record_history ({HISTORY_COLUMNS}) "
        f"SELECT '{table}', {row}.id, version, changed_at, '{event}', {state} "
        f"FROM data_version WHERE id = 1{changed}; END"
    )


def sqlite_columns(connection: Any, table: str) -> list[tuple[str, bool]]:
    """The table's columns as the database has them, each with whether it is JSON."""
    rows = connection.exec_driver_sql(f"PRAGMA table_info({table})").fetchall()
    return [(row[1], str(row[2]).upper() == "JSON") for row in rows]


PG_FUNCTIONS = {
    "insert": "ksopn_history_of_inserts",
    "update": "ksopn_history_of_updates",
    "delete": "ksopn_history_of_deletes",
}
_PG_ROWS = {
    "insert": "SELECT TG_TABLE_NAME, n.id, v, t, 'insert', to_jsonb(n) FROM new_rows n",
    # A row rewritten as it was is no change; ids are never changed (nor reused).
    "update": (
        "SELECT TG_TABLE_NAME, n.id, v, t, 'update', to_jsonb(n) "
        "FROM new_rows n JOIN old_rows o ON o.id = n.id "
        "WHERE to_jsonb(n) IS DISTINCT FROM to_jsonb(o)"
    ),
    "delete": "SELECT TG_TABLE_NAME, o.id, v, t, 'delete', to_jsonb(o) FROM old_rows o",
}
PG_REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}


def pg_function(event: str) -> str:
    """A statement trigger's function: one bump for the statement, then its rows' states
    with that version and time (one function per event: each sees only its own transition
    tables)."""
    return (
        f"CREATE OR REPLACE FUNCTION {PG_FUNCTIONS[event]}() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ DECLARE v bigint; t timestamptz; BEGIN "
        f"{BUMP['postgresql']} RETURNING version, changed_at INTO v, t; "
        f"INSERT INTO record_history ({HISTORY_COLUMNS}) {_PG_ROWS[event]}; "
        "RETURN NULL; END $$"
    )


def pg_trigger_name(table: str, event: str) -> str:
    return f"{table}_{event}s_history"


def pg_trigger(table: str, event: str) -> str:
    return (
        f"CREATE TRIGGER {pg_trigger_name(table, event)} AFTER {event.upper()} ON {table} "
        f"{PG_REFERENCING[event]} FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTIONS[event]}()"
    )
