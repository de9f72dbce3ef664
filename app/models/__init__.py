"""All mapped tables; importing this module registers them on `Base.metadata`."""

from app.models.base import Base
from app.models.council import Activity, Body, Document, Event, Meeting, ReportedFigure
from app.models.operations import (
    Assessment,
    ExerciseObjective,
    Operation,
    OperationStatus,
    Participation,
    Stage,
)
from app.models.reference import Country, Membership, Organization, Source, Substance
from app.models.seizures import (
    SeizureOverlapMember,
    SeizureReport,
    SeizureReportYear,
    SeizureSum,
    SeizureSumBySubstance,
)
from app.models.staff import ApiKey, AuditEntry, AuthFailure, IdempotencyRecord
from app.models.versions import DataVersion

__all__ = [
    "Activity",
    "ApiKey",
    "Assessment",
    "AuditEntry",
    "AuthFailure",
    "Base",
    "Body",
    "Country",
    "DataVersion",
    "Document",
    "Event",
    "ExerciseObjective",
    "IdempotencyRecord",
    "Meeting",
    "Membership",
    "Operation",
    "OperationStatus",
    "Organization",
    "Participation",
    "ReportedFigure",
    "SeizureOverlapMember",
    "SeizureReport",
    "SeizureReportYear",
    "SeizureSum",
    "SeizureSumBySubstance",
    "Source",
    "Stage",
    "Substance",
]
