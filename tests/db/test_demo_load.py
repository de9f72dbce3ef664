"""`ksopn demo-data` on PostgreSQL: the indexes it builds after the bulk load serve the
derived tables' rebuild in the same transaction.

A HOT update of a row deleted later in the same transaction (demo.fill used to rewrite every
seed report's `within_id` to NULL before deleting them) makes PostgreSQL flag every index
built afterwards in that transaction `indcheckxmin`: no query may use it until the
transaction ends. The rebuild then summed each report's parts by reading the whole table
once per report, and a load of 200,000 reports never finished."""

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import demo
from tests.helpers import SERVER_URL

pytestmark = pytest.mark.skipif(SERVER_URL is None, reason="PostgreSQL's index visibility")

UNUSABLE_NOW = text(
    "SELECT index.relname FROM pg_index JOIN pg_class index ON index.oid = pg_index.indexrelid "
    "WHERE pg_index.indrelid = 'seizure_reports'::regclass AND pg_index.indcheckxmin "
    "ORDER BY index.relname"
)


def test_the_reports_indexes_serve_the_rebuild_in_the_loads_own_transaction(
    session: Session,
) -> None:
    demo.fill(session, reports=300, seed=1)
    assert session.scalars(UNUSABLE_NOW).all() == []
