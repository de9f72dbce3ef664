"""seizure_list_items: each report as the year list writes it, in JSON pieces, by year

A derived table like the sums (app/seizures/list_items.py): made here for every report, and
kept current at each commit by app/seizures/derived_tables.py.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seizure_list_items",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=True),
        sa.Column("country_id", sa.Integer(), nullable=True),
        sa.Column("substance_id", sa.Integer(), nullable=False),
        sa.Column("within_id", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("adds", sa.BigInteger(), nullable=False),
        sa.Column("locator_json", sa.Text(), nullable=False),
        sa.Column("period_json", sa.Text(), nullable=False),
        sa.Column("figure_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["seizure_reports.id"],
            name=op.f("fk_seizure_list_items_report_id_seizure_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("year", "report_id", name=op.f("pk_seizure_list_items")),
    )
    with op.batch_alter_table("seizure_list_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_seizure_list_items_report_id"), ["report_id"], unique=False
        )
    from app.seizures import list_items

    with Session(bind=op.get_bind()) as session:
        list_items.rebuild(session)


def downgrade() -> None:
    op.drop_table("seizure_list_items")
