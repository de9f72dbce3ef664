"""possible double counts: one row per report instead of one per pair

`seizure_overlaps` held every pair of reports that may describe the same seizures, and so
grew with the square of a stage's reports: a post of 1,000 reports of one substance and
period wrote 499,500 rows. `seizure_overlap_members` holds each report that has at least
one such partner; the pairs are found among them when a warning is read. Filled from the
pairs it replaces (a report is a member exactly when it stands in a pair).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seizure_overlap_members",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["seizure_reports.id"],
            name=op.f("fk_seizure_overlap_members_report_id_seizure_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_seizure_overlap_members")),
    )
    op.execute(
        "INSERT INTO seizure_overlap_members (report_id) "
        "SELECT first_id FROM seizure_overlaps UNION SELECT second_id FROM seizure_overlaps"
    )
    with op.batch_alter_table("seizure_overlaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seizure_overlaps_second_id"))
    op.drop_table("seizure_overlaps")


def downgrade() -> None:
    op.create_table(
        "seizure_overlaps",
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("second_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_id"],
            ["seizure_reports.id"],
            name=op.f("fk_seizure_overlaps_first_id_seizure_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["second_id"],
            ["seizure_reports.id"],
            name=op.f("fk_seizure_overlaps_second_id_seizure_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("first_id", "second_id", name=op.f("pk_seizure_overlaps")),
    )
    with op.batch_alter_table("seizure_overlaps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_seizure_overlaps_second_id"), ["second_id"], unique=False
        )
    # The pairs are not kept: `ksopn seed` (or any write) does not restore them, a rebuild
    # of the derived tables does (app/seizures/derived_tables.py on the older revision).
    op.drop_table("seizure_overlap_members")
