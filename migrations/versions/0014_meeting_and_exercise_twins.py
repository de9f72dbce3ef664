"""Russian twins for the meeting and exercise pages

The meeting and exercise pages show what a meeting decided and why a source's version of a
date has no full value (a plan announced before the date, a year taken from the page's
dateline) in prose: `meeting_decisions.summary_ru`, `claims.note_ru` and
`stage_results.note_ru` beside the English ones, empty until the seeds or staff fill them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 04:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, never a batch (see 0012): SQLite adds and drops columns in place.
def upgrade() -> None:
    op.add_column("meeting_decisions", sa.Column("summary_ru", sa.String(500), nullable=True))
    op.add_column("claims", sa.Column("note_ru", sa.Text(), nullable=True))
    op.add_column("stage_results", sa.Column("note_ru", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("stage_results", "note_ru")
    op.drop_column("claims", "note_ru")
    op.drop_column("meeting_decisions", "summary_ru")
