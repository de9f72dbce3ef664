"""The registry's data version: one number that every change to the registry's facts bumps,
in the same transaction, by database triggers (migration 0008). Whatever writes (the API,
the seed loader, demo-data's bulk inserts, a restore, SQL by hand), a reader that sees the
same version sees the same facts; so an answer can be named by the version it was read at
(an export's ETag; a cache of totals).

Versions start at the time of the migration in microseconds, and a restore moves the
number past both databases' versions (app/backup.py), so a version never names two states.
"""

from sqlalchemy import BigInteger, CheckConstraint, Integer, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.models.base import Base

# The tables whose rows are the registry's facts. Not the derived tables (they change only
# with seizure_reports), and not the staff's (keys, the audit log, idempotency records).
VERSIONED_TABLES = (
    "activities",
    "assessments",
    "bodies",
    "claims",
    "countries",
    "documents",
    "events",
    "exercise_objectives",
    "meeting_decisions",
    "meetings",
    "membership_statements",
    "memberships",
    "operation_statuses",
    "operations",
    "organizations",
    "participations",
    "reported_figures",
    "seizure_reports",
    "sources",
    "stage_results",
    "stages",
    "substances",
)


class DataVersion(Base):
    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


def data_version(session: Session) -> int:
    """The data version as this session's transaction sees it."""
    return session.execute(select(DataVersion.version)).scalar_one()
