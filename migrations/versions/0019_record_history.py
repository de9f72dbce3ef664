"""record_history: every state of every row of the tables of facts, for as_of and the changelog

The triggers that bumped the data version (0008, 0011, 0017) now also write each changed
row's state into `record_history`, in the same statement (app/models/history.py says how):
- PostgreSQL: per table, a statement trigger per event with its transition table, which
  bumps the version once and writes the statement's rows with it; a TRUNCATE writes a delete
  for every row first;
- SQLite: the row triggers are made again with the INSERT after the bump, each naming the
  columns its table has now.

Every row already there gets a `baseline` state at the current version and time: history
begins here.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.history import (
    BUMP,
    HISTORY_COLUMNS,
    PG_FUNCTIONS,
    SQLITE_EVENTS,
    pg_function,
    pg_trigger,
    pg_trigger_name,
    sqlite_columns,
    sqlite_row_json,
    sqlite_trigger,
    sqlite_trigger_name,
)

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As app/models/versions.py has them on this revision.
VERSIONED_TABLES = (
    "activities",
    "assessments",
    "bodies",
    "claims",
    "countries",
    "documents",
    "events",
    "exercise_objectives",
    "meeting_decisions",
    "meetings",
    "membership_statements",
    "memberships",
    "operation_statuses",
    "operations",
    "organizations",
    "participations",
    "reported_figures",
    "seizure_reports",
    "sources",
    "stage_results",
    "stages",
    "substances",
)
PG_BUMP_FUNCTION = "ksopn_bump_data_version"
PG_TRUNCATE_FUNCTION = "ksopn_history_of_truncates"
OLD_NAME = "{table}_bumps_data_version"  # PostgreSQL's statement trigger of 0008 and 0011


def upgrade() -> None:
    op.create_table(
        "record_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change", sa.String(length=8), nullable=False),
        sa.Column("row_data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_history")),
    )
    op.create_index("ix_record_history_row", "record_history", ["table_name", "row_id", "version"])
    op.create_index("ix_record_history_version", "record_history", ["version"])
    op.create_index("ix_record_history_changed_at", "record_history", ["changed_at"])
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def _postgresql_upgrade() -> None:
    for event in PG_FUNCTIONS:
        op.execute(pg_function(event))
    op.execute(
        f"CREATE FUNCTION {PG_TRUNCATE_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ DECLARE v bigint; t timestamptz; BEGIN "
        f"{BUMP['postgresql']} RETURNING version, changed_at INTO v, t; "
        f"EXECUTE format('INSERT INTO record_history ({HISTORY_COLUMNS}) "
        "SELECT %L, x.id, $1, $2, ''delete'', to_jsonb(x) FROM %I x', "
        "TG_TABLE_NAME, TG_TABLE_NAME) USING v, t; RETURN NULL; END $$"
    )
    for table in VERSIONED_TABLES:
        op.execute(f"DROP TRIGGER {OLD_NAME.format(table=table)} ON {table}")
        for event in PG_FUNCTIONS:
            op.execute(pg_trigger(table, event))
        op.execute(
            f"CREATE TRIGGER {table}_truncates_history BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_TRUNCATE_FUNCTION}()"
        )
        op.execute(
            f"INSERT INTO record_history ({HISTORY_COLUMNS}) "
            f"SELECT '{table}', x.id, d.version, d.changed_at, 'baseline', to_jsonb(x) "
            f"FROM {table} x CROSS JOIN data_version d"
        )


def _sqlite_upgrade() -> None:
    bind = op.get_bind()
    for table in VERSIONED_TABLES:
        columns = sqlite_columns(bind, table)
        for event in SQLITE_EVENTS:
            op.execute(f"DROP TRIGGER {sqlite_trigger_name(table, event)}")
            op.execute(sqlite_trigger(table, event, columns))
        op.execute(
            f"INSERT INTO record_history ({HISTORY_COLUMNS}) "
            f"SELECT '{table}', x.id, d.version, d.changed_at, 'baseline', "
            f"{sqlite_row_json('x', columns)} FROM {table} x CROSS JOIN data_version d"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in VERSIONED_TABLES:
            op.execute(f"DROP TRIGGER {table}_truncates_history ON {table}")
            for event in PG_FUNCTIONS:
                op.execute(f"DROP TRIGGER {pg_trigger_name(table, event)} ON {table}")
            op.execute(
                f"CREATE TRIGGER {OLD_NAME.format(table=table)} "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_BUMP_FUNCTION}()"
            )
        for function in (*PG_FUNCTIONS.values(), PG_TRUNCATE_FUNCTION):
            op.execute(f"DROP FUNCTION {function}()")
    else:
        for table in VERSIONED_TABLES:
            for event in SQLITE_EVENTS:
                name = sqlite_trigger_name(table, event)
                op.execute(f"DROP TRIGGER {name}")
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} "
                    f"BEGIN {BUMP['sqlite']}; END"
                )
    op.drop_index("ix_record_history_changed_at", table_name="record_history")
    op.drop_index("ix_record_history_version", table_name="record_history")
    op.drop_index("ix_record_history_row", table_name="record_history")
    op.drop_table("record_history")
