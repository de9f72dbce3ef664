"""Russian twins of the texts the pages show in prose, and example sources

A Russian page shows a description, a party's detail, an objective, a source's publisher and
its locator rule in Russian: each gets a `_ru` column beside the English one (empty until the
seeds or staff fill it; a page never shows the English one in its place unmarked). A source
made up for examples and demonstrations is `is_example`, so that every page citing it says so.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the Russian twins it gains: (column, type)
TWINS: dict[str, list[tuple[str, sa.types.TypeEngine[str]]]] = {
    "operations": [("description_ru", sa.Text())],
    "stages": [("description_ru", sa.Text())],
    "exercise_objectives": [("summary_ru", sa.String(length=500))],
    "participations": [("party_detail_ru", sa.String(length=300))],
    "documents": [("summary_ru", sa.Text())],
    "meetings": [("summary_ru", sa.Text())],
    "events": [("description_ru", sa.Text())],
    "activities": [("description_ru", sa.Text())],
    "reported_figures": [("description_ru", sa.Text())],
    "sources": [("publisher_ru", sa.String(length=300)), ("locator_scheme_ru", sa.Text())],
}


# Plain ALTER TABLE, never a batch: on SQLite a batch rebuilds the table and loses its
# data-version triggers (SQLite adds and drops columns in place since 3.35).
def upgrade() -> None:
    for table, columns in TWINS.items():
        for name, type_ in columns:
            op.add_column(table, sa.Column(name, type_, nullable=True))
    op.add_column(
        "sources",
        sa.Column(
            "is_example",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="A made-up source for examples and demonstrations: no fact citing it is real",
        ),
    )


def downgrade() -> None:
    op.drop_column("sources", "is_example")
    for table, columns in reversed(TWINS.items()):
        for name, _type in reversed(columns):
            op.drop_column(table, name)
