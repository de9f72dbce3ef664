"""data_version: one number every change to the registry's facts bumps

A single row, bumped by triggers on every table of facts (app/models/versions.py says
which), so that every way of writing bumps it: the API, the seed loader, bulk loads, SQL by
hand. PostgreSQL bumps it once per statement, SQLite (which has only row triggers) once
per row. It starts at the migration's time in microseconds.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:50:00
"""

import time
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As app/models/versions.py has them on this revision.
VERSIONED_TABLES = (
    "activities",
    "assessments",
    "bodies",
    "countries",
    "documents",
    "events",
    "exercise_objectives",
    "meetings",
    "memberships",
    "operation_statuses",
    "operations",
    "organizations",
    "participations",
    "reported_figures",
    "seizure_reports",
    "sources",
    "stages",
    "substances",
)
BUMP = "UPDATE data_version SET version = version + 1 WHERE id = 1"
PG_FUNCTION = "ksopn_bump_data_version"
EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_data_version_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.execute(
        sa.text("INSERT INTO data_version (id, version) VALUES (1, :now)").bindparams(
            now=time.time_ns() // 1000
        )
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _postgresql_triggers() -> None:
    op.execute(
        f"CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
    )
    for table in VERSIONED_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_bumps_data_version "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
        )


def _sqlite_triggers() -> None:
    for table in VERSIONED_TABLES:
        for event in EVENTS:
            op.execute(
                f"CREATE TRIGGER {table}_{event.lower()}_bumps_data_version "
                f"AFTER {event} ON {table} BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in VERSIONED_TABLES:
            op.execute(f"DROP TRIGGER {table}_bumps_data_version ON {table}")
        op.execute(f"DROP FUNCTION {PG_FUNCTION}()")
    else:
        for table in VERSIONED_TABLES:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER {table}_{event.lower()}_bumps_data_version")
    op.drop_table("data_version")
