"""A stage's reads by index: its list items in one range, its versions in a partial index

`ix_seizure_list_items_stage_id` (stage, report) lets a stage's read take its reports'
pieces as one range of an index, instead of joining each of its reports to its item
(app/seizures/list_items.py `_stage_items`); `ix_seizure_reports_versions_by_stage` holds
only the reports that are another source's version, by stage, for whether a stage's
sources disagree.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONS = sa.text("alternative_to_id IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_seizure_list_items_stage_id", "seizure_list_items", ["stage_id", "report_id"]
    )
    op.create_index(
        "ix_seizure_reports_versions_by_stage",
        "seizure_reports",
        ["stage_id"],
        postgresql_where=VERSIONS,
        sqlite_where=VERSIONS,
    )


def downgrade() -> None:
    op.drop_index("ix_seizure_reports_versions_by_stage", table_name="seizure_reports")
    op.drop_index("ix_seizure_list_items_stage_id", table_name="seizure_list_items")
