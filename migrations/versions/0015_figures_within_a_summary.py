"""figures within a summary: a stage's figure among a year's, without being its part

- seizure_reports: `within_id`, the broader figure (a summary itemized by substance) whose
  seizures include this report's. Totals count the broader figure where it answers the
  question and this one only where it does not, so the two are never added together.
- the sum tables: `covered_by`, a key (0: none), so that the fast totals can leave out
  what a counted summary covers.

Today's code fills the sums: this is the newest revision that changes what counts, so it
rebuilds them (0011 and 0013 no longer do: their code read columns that this one adds).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP = "UPDATE data_version SET version = version + 1 WHERE id = 1"
EVENTS = ("INSERT", "UPDATE", "DELETE")
SUM_KEYS = [
    "source_id",
    "locator",
    "substance_id",
    "unspecified",
    "unit_kind",
    "stated_qualifier",
    "qualifier",
    "multi_year",
    "period_start",
    "period_end",
]
SUM_TABLES = {
    "seizure_sums": ("uq_seizure_sums_keys", ["operation_id", "stage_key", "country_key"]),
    "seizure_sums_by_substance": ("uq_seizure_sums_by_substance_keys", []),
}


def upgrade() -> None:
    with op.batch_alter_table(
        "seizure_reports", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(
            sa.Column(
                "within_id",
                sa.Integer(),
                nullable=True,
                comment="The broader figure (a summary) whose seizures include this report's",
            )
        )
        batch_op.create_index(
            batch_op.f("ix_seizure_reports_within_id"), ["within_id"], unique=False
        )
        batch_op.create_check_constraint("not_within_itself", "within_id <> id")
        batch_op.create_foreign_key(
            batch_op.f("fk_seizure_reports_within_id_seizure_reports"),
            "seizure_reports",
            ["within_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    _seizure_report_triggers()
    for table, (unique, detail) in SUM_TABLES.items():
        op.execute(f"DELETE FROM {table}")  # rebuilt below
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("covered_by", sa.Integer(), server_default="0", nullable=False)
            )
            batch_op.drop_constraint(unique, type_="unique")
            batch_op.create_unique_constraint(unique, [*detail, *SUM_KEYS, "covered_by"])

    from app.seizures import derived_tables

    with Session(bind=op.get_bind()) as session:
        derived_tables.rebuild_sums(session)


def downgrade() -> None:
    # Without `within`, a figure within a summary is counted beside it, as before; the sums
    # of one key but different summaries merge.
    for table, (unique, detail) in SUM_TABLES.items():
        keys = ", ".join([*detail, *SUM_KEYS])
        op.execute(
            f"CREATE TEMPORARY TABLE merged_sums AS SELECT {keys}, SUM(amount) AS amount, "
            f"SUM(reports) AS reports FROM {table} GROUP BY {keys}"
        )
        op.execute(f"DELETE FROM {table}")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(unique, type_="unique")
            batch_op.drop_column("covered_by")
            batch_op.create_unique_constraint(unique, [*detail, *SUM_KEYS])
        op.execute(
            f"INSERT INTO {table} ({keys}, amount, reports) "
            f"SELECT {keys}, amount, reports FROM merged_sums"
        )
        op.execute("DROP TABLE merged_sums")
    with op.batch_alter_table(
        "seizure_reports", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_seizure_reports_within_id_seizure_reports"), type_="foreignkey"
        )
        batch_op.drop_constraint("not_within_itself", type_="check")
        batch_op.drop_index(batch_op.f("ix_seizure_reports_within_id"))
        batch_op.drop_column("within_id")
    _seizure_report_triggers()


def _seizure_report_triggers() -> None:
    """SQLite's batch copy of `seizure_reports` loses migration 0008's data_version
    triggers; PostgreSQL alters the table in place and keeps them."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for event in EVENTS:
        op.execute(
            f"CREATE TRIGGER seizure_reports_{event.lower()}_bumps_data_version "
            f"AFTER {event} ON seizure_reports BEGIN {BUMP}; END"
        )
