"""data_version.changed_at: the time of the facts' last change, for Last-Modified

The triggers of migration 0008 (and 0011) that bump `data_version.version` set
`changed_at` in the same UPDATE, in UTC: PostgreSQL's `clock_timestamp()` (the moment of
the statement, not `now()`, the start of its transaction, which a transaction that began
earlier but took the row lock later would write behind a later change), SQLite's
`strftime(..., 'now')` (UTC, to the millisecond). Never backwards: the greater of the
clock and the time already there, so that a clock set back cannot make a change look older
than one a client already holds (If-Modified-Since would then answer 304 to stale data).

The row starts at the time of this migration: the last change before it is unknown, and a
later time only makes If-Modified-Since answer 200 where 304 would have done.

PostgreSQL's triggers call one function, replaced here; SQLite's hold the UPDATE each, so
each is made again: every one the schema has, whichever revision made it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUFFIX = "_bumps_data_version"
PG_FUNCTION = "ksopn_bump_data_version"
OLD_BUMP = "UPDATE data_version SET version = version + 1 WHERE id = 1"
NOW = {
    "postgresql": "clock_timestamp()",
    "sqlite": "strftime('%Y-%m-%d %H:%M:%f', 'now')",
}
LATER = {"postgresql": "greatest", "sqlite": "max"}  # SQLite's max() of two is a scalar


def bump(dialect: str) -> str:
    return (
        "UPDATE data_version SET version = version + 1, "
        f"changed_at = {LATER[dialect]}(changed_at, {NOW[dialect]}) WHERE id = 1"
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    triggers = _drop_sqlite_triggers(dialect)
    op.add_column("data_version", sa.Column("changed_at", sa.DateTime(timezone=True)))
    op.execute(f"UPDATE data_version SET changed_at = {NOW[dialect]}")
    # SQLite cannot make a column NOT NULL in place: the batch copies this one-row table
    # (no key points to it), and renaming the copy fails while triggers name the table:
    # SQLite's are dropped first and made again after.
    with op.batch_alter_table("data_version") as batch:
        batch.alter_column("changed_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    _make_triggers(dialect, bump(dialect), triggers)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    triggers = _drop_sqlite_triggers(dialect)
    with op.batch_alter_table("data_version") as batch:
        batch.drop_column("changed_at")
    _make_triggers(dialect, OLD_BUMP, triggers)


def _sqlite_triggers() -> list[tuple[str, str, str]]:
    """Every data-version trigger there is (name, event, table), whichever revisions made
    them (0008, 0011, 0015, any later one): read from the schema, so that none keeps the old
    UPDATE, which would leave `changed_at` behind its table's changes."""
    rows = op.get_bind().exec_driver_sql(
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    )
    found = []
    for name, table in rows:
        event = name.removeprefix(f"{table}_").removesuffix(SUFFIX)
        if name.endswith(SUFFIX) and event in ("insert", "update", "delete"):
            found.append((name, event.upper(), table))
    return found


def _drop_sqlite_triggers(dialect: str) -> list[tuple[str, str, str]]:
    if dialect != "sqlite":
        return []
    triggers = _sqlite_triggers()
    for name, _, _ in triggers:
        op.execute(f"DROP TRIGGER {name}")
    return triggers


def _make_triggers(dialect: str, update: str, triggers: list[tuple[str, str, str]]) -> None:
    """PostgreSQL's triggers call one function, replaced; SQLite's hold the UPDATE each."""
    if dialect == "postgresql":
        op.execute(
            f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {update}; RETURN NULL; END $$"
        )
        return
    for name, event, table in triggers:
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {update}; END")
