"""seizure sums: the source and locator of the reports summed

A totals line names the sources and locators of its reports; both sum tables keep them
as keys, so that the lines can cite them without reading every report. The sums are
computed again from the reports (as migration 0004 left them to this one).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_SUM_KEYS = [
    "substance_id",
    "unspecified",
    "unit_kind",
    "stated_qualifier",
    "qualifier",
    "multi_year",
    "period_start",
    "period_end",
]
NEW_SUM_KEYS = ["source_id", "locator", *OLD_SUM_KEYS]
DETAIL = ["operation_id", "stage_key", "country_key"]
TABLES = {  # table: (unique constraint, old keys, new keys)
    "seizure_sums": ("uq_seizure_sums_keys", DETAIL + OLD_SUM_KEYS, DETAIL + NEW_SUM_KEYS),
    "seizure_sums_by_substance": (
        "uq_seizure_sums_by_substance_keys",
        OLD_SUM_KEYS,
        NEW_SUM_KEYS,
    ),
}


def upgrade() -> None:
    for table, (unique, _old_keys, new_keys) in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(unique, type_="unique")
            # Defaults only for the rows already there, which the rebuild below replaces.
            batch_op.add_column(
                sa.Column("source_id", sa.Integer(), nullable=False, server_default="0")
            )
            batch_op.add_column(
                sa.Column("locator", sa.String(length=64), nullable=False, server_default="")
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("source_id", server_default=None)
            batch_op.alter_column("locator", server_default=None)
            batch_op.create_unique_constraint(unique, new_keys)

        # The rows there have no source: emptied here, rebuilt by migration 0011 with the
        # code of today, which reads columns that only exist from that revision on.
        op.execute(f"DELETE FROM {table}")


def downgrade() -> None:
    # The sums without source and locator are the same sums added up over them.
    for table, (unique, old_keys, _new_keys) in TABLES.items():
        keys = ", ".join(old_keys)
        op.execute(
            f"CREATE TEMPORARY TABLE old_sums AS SELECT {keys}, "
            f"SUM(amount) AS amount, SUM(reports) AS reports FROM {table} GROUP BY {keys}"
        )
        op.execute(f"DELETE FROM {table}")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(unique, type_="unique")
            batch_op.drop_column("locator")
            batch_op.drop_column("source_id")
            batch_op.create_unique_constraint(unique, old_keys)
        op.execute(
            f"INSERT INTO {table} ({keys}, amount, reports) "
            f"SELECT {keys}, amount, reports FROM old_sums"
        )
        op.execute("DROP TABLE old_sums")
