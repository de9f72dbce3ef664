"""releases: frozen, citable states of the public record (issue 24)

One row a release: its semantic version, when it was made, its note, the data version it
froze, and its files (name, media type, size, SHA-256), which lie under KSOPN_RELEASES_DIR.
A release never changes: a trigger refuses every UPDATE of the table, whatever writes it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_FUNCTION = "ksopn_release_never_changes"
MESSAGE = "a release never changes once made; make a new release instead"


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "version",
            sa.String(length=64),
            nullable=False,
            comment="A semantic version (1.0.0), greater than the last",
        ),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "data_version",
            sa.BigInteger(),
            nullable=False,
            comment="The data version (data_version) the release froze",
        ),
        sa.Column(
            "files",
            sa.JSON(),
            nullable=False,
            comment="Each file of the release: name, media type, size in bytes, SHA-256",
        ),
        sa.CheckConstraint("version <> ''", name=op.f("ck_releases_version_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("version", name=op.f("uq_releases_version")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER releases_never_change BEFORE UPDATE ON releases "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
    else:
        op.execute(
            "CREATE TRIGGER releases_never_change BEFORE UPDATE ON releases "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER releases_never_change ON releases")
        op.execute(f"DROP FUNCTION {PG_FUNCTION}()")
    else:
        op.execute("DROP TRIGGER releases_never_change")
    op.drop_table("releases")
