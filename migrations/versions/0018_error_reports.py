"""error_reports and error_report_senders: readers' reports of an error on a page

A report is what a reader says is wrong on a page, what the source says, and an optional
contact (personal data: only staff see it). Staff accept or reject it; accepting names the
correction (an audit log entry, a path). A report never changes a record: neither table
is a table of facts, so neither bumps the data version. `error_report_senders` counts the
reports per client in its window, shared by every server process, as `auth_failures`
(0009) counts failed key checks.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "error_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "page",
            sa.String(length=500),
            nullable=False,
            comment="The path of the page, and its query",
        ),
        sa.Column("what_is_wrong", sa.Text(), nullable=False),
        sa.Column("source_says", sa.Text(), nullable=True),
        sa.Column("source_url", sa.String(length=500), nullable=True),
        sa.Column(
            "contact", sa.String(length=200), nullable=True, comment="Personal data: staff only"
        ),
        sa.Column(
            "language",
            sa.String(length=2),
            nullable=False,
            comment="The language it was sent in",
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "reviewed_by", sa.String(length=100), nullable=True, comment="The API key's name"
        ),
        sa.Column("staff_note", sa.Text(), nullable=True),
        sa.Column(
            "correction_audit_id",
            sa.Integer(),
            nullable=True,
            comment="The audit log entry of the correction, when it was accepted",
        ),
        sa.Column(
            "correction_path",
            sa.String(length=500),
            nullable=True,
            comment="The page or API path of the corrected record",
        ),
        sa.CheckConstraint(
            "language IN ('en', 'ru')", name=op.f("ck_error_reports_language_valid")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'rejected')",
            name=op.f("ck_error_reports_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["correction_audit_id"],
            ["audit_log.id"],
            name=op.f("fk_error_reports_correction_audit_id_audit_log"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_error_reports")),
    )
    op.create_index("ix_error_reports_status", "error_reports", ["status", "id"], unique=False)
    op.create_table(
        "error_report_senders",
        sa.Column(
            "client",
            sa.String(length=64),
            nullable=False,
            comment="The address counted (app/security.py)",
        ),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column(
            "window_started_at",
            sa.Double(),
            nullable=False,
            comment="Seconds since the epoch of the window's first report",
        ),
        sa.PrimaryKeyConstraint("client", name=op.f("pk_error_report_senders")),
    )
    op.create_index(
        op.f("ix_error_report_senders_window_started_at"),
        "error_report_senders",
        ["window_started_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_error_report_senders_window_started_at"), table_name="error_report_senders"
    )
    op.drop_table("error_report_senders")
    op.drop_index("ix_error_reports_status", table_name="error_reports")
    op.drop_table("error_reports")
