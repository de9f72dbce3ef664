"""lower bounds in the source's word: the sums tell "more than" from "at least"

A source states a lower bound as "more than" (more than, over, более, свыше) or as "at
least" (at least, не менее); the reports keep the words in `as_reported`, and their
`qualifier` is `at_least` for both. The sum tables now keep a "more than" bound apart
(`qualifier` `more_than` in the sums, `stated_qualifier` unchanged), so that a totals line
says its bound in the source's word (`bound_word`). No column changes: the sums are
computed again from the reports, by revision 0015.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 02:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUM_KEYS = [
    "source_id",
    "locator",
    "substance_id",
    "unspecified",
    "unit_kind",
    "stated_qualifier",
    "qualifier",
    "multi_year",
    "period_start",
    "period_end",
]
TABLES = {
    "seizure_sums": ["operation_id", "stage_key", "country_key", *SUM_KEYS],
    "seizure_sums_by_substance": SUM_KEYS,
}


def upgrade() -> None:
    # The sums are computed again by the newest revision that changes what counts (0015):
    # today's code reads columns this revision does not have yet.
    pass


def downgrade() -> None:
    # A "more than" sum joins the "at least" sum of the same keys, as before.
    for table, keys in TABLES.items():
        listed = ", ".join(keys)
        merged = ", ".join(
            "CASE WHEN qualifier = 'more_than' THEN 'at_least' ELSE qualifier END AS qualifier"
            if key == "qualifier"
            else key
            for key in keys
        )
        op.execute(
            f"CREATE TEMPORARY TABLE merged_sums AS SELECT {listed}, SUM(amount) AS amount, "
            f"SUM(reports) AS reports FROM (SELECT {merged}, amount, reports FROM {table}) AS s "
            f"GROUP BY {listed}"
        )
        op.execute(f"DELETE FROM {table}")
        op.execute(
            f"INSERT INTO {table} ({listed}, amount, reports) "
            f"SELECT {listed}, amount, reports FROM merged_sums"
        )
        op.execute("DROP TABLE merged_sums")
