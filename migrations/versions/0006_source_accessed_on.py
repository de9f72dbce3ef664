"""sources: accessed_on; reference is an identifier, never a path

A citation gives the date the project read a source at its URL, where known
(`accessed_on`). A source's `reference` names the project's archived copy by its document
id; the seed once stored a path inside the repository there, which this migration turns
into the id the path holds.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:28:16.675745
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_REFERENCE_COMMENT = "Where the project keeps or finds its copy of the source"
REFERENCE_COMMENT = "The identifier of the project's archived copy (a document id), never a path"
# The archive's file names: `<folder>/<number>_<document id>.txt`.
ARCHIVED_PATH = re.compile(r"(?:.*/)?\d+_([0-9a-f]{16})\.txt")


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "accessed_on",
                sa.Date(),
                nullable=True,
                comment="When the project last read the source at its URL",
            )
        )
    _set_reference_comment(OLD_REFERENCE_COMMENT, REFERENCE_COMMENT)
    _paths_to_document_ids()


def downgrade() -> None:
    # The document ids stay: a path inside the repository was never a valid reference.
    _set_reference_comment(REFERENCE_COMMENT, OLD_REFERENCE_COMMENT)
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("accessed_on")


def _set_reference_comment(old: str, new: str) -> None:
    # SQLite keeps no comments; there, altering one would rebuild the table for nothing.
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column(
        "sources",
        "reference",
        existing_type=sa.String(length=300),
        existing_nullable=True,
        existing_comment=old,
        comment=new,
    )


def _paths_to_document_ids() -> None:
    connection = op.get_bind()
    sources = sa.table("sources", sa.column("id", sa.Integer), sa.column("reference"))
    rows = connection.execute(
        sa.select(sources.c.id, sources.c.reference).where(sources.c.reference.like("%/%"))
    ).all()
    for source_id, reference in rows:
        if match := ARCHIVED_PATH.fullmatch(reference):
            connection.execute(
                sa.update(sources).where(sources.c.id == source_id).values(reference=match[1])
            )
