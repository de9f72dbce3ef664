"""auth_failures: failed API key checks per client, shared by every server process

The failure limiter counted in each process's memory: with two workers a client had twice
the tries, and every machine behind a proxy its own. One row per client: its failures in
the current window and when that window started; rows whose window has passed are deleted
as failures are recorded, and at most KSOPN_AUTH_FAILURE_MAX_CLIENTS are kept. Nothing to
carry over: counts in memory end with the processes that held them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 00:50:11.900927
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_failures",
        sa.Column(
            "client",
            sa.String(length=64),
            nullable=False,
            comment="The address counted (app/security.py)",
        ),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column(
            "window_started_at",
            sa.Double(),
            nullable=False,
            comment="Seconds since the epoch of the window's first failure",
        ),
        sa.PrimaryKeyConstraint("client", name=op.f("pk_auth_failures")),
    )
    with op.batch_alter_table("auth_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_failures_window_started_at"), ["window_started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("auth_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_failures_window_started_at"))

    op.drop_table("auth_failures")
