"""ids never reused: AUTOINCREMENT on SQLite for the tables the API deletes from

Without it, SQLite gives the next row the id of a deleted last row, and a URL, an audit
entry or an idempotency record made for the deleted row would come to name the new one.
PostgreSQL's sequences never go back: nothing to do there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "organizations",
    "documents",
    "meetings",
    "events",
    "reported_figures",
    "stages",
    "participations",
    "seizure_reports",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        # Rebuilt by copy (env.py turns foreign keys off and checks them before the commit).
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
        _analyze(table)
        # The copy sets the counter to the highest id left. An id deleted before this
        # migration is known from the audit log, which names every row it wrote.
        op.execute(
            sa.text(
                "INSERT INTO sqlite_sequence (name, seq) SELECT :table, 0 "
                "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = :table)"
            ).bindparams(table=table)
        )
        op.execute(
            sa.text(
                "UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(entity_id), 0) "
                "FROM audit_log WHERE entity = :table)) WHERE name = :table"
            ).bindparams(table=table)
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in reversed(TABLES):
        with op.batch_alter_table(table, recreate="always"):
            pass
        _analyze(table)
        op.execute(
            sa.text("DELETE FROM sqlite_sequence WHERE name = :table").bindparams(table=table)
        )


def _analyze(table: str) -> None:
    """A dropped table takes its planner statistics with it; without them SQLite can walk
    the wrong index of a large table (see `ksopn demo-data`)."""
    op.execute(sa.text(f'ANALYZE "{table}"'))
