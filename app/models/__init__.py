"""All mapped tables; importing this module registers them on `Base.metadata`."""

from app.models.base import Base
from app.models.council import (
    Activity,
    Body,
    Document,
    Event,
    Meeting,
    MeetingDecision,
    ReportedFigure,
)
from app.models.feedback import ErrorReport, ErrorReportSender
from app.models.history import RecordHistory
from app.models.operations import (
    Assessment,
    Claim,
    ExerciseObjective,
    Operation,
    OperationStatus,
    Participation,
    Stage,
    StageResult,
)
from app.models.reference import (
    Country,
    Membership,
    MembershipStatement,
    Organization,
    Source,
    Substance,
)
from app.models.releases import Release
from app.models.seizures import (
    SeizureListItem,
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
    "Claim",
    "Country",
    "DataVersion",
    "Document",
    "ErrorReport",
    "ErrorReportSender",
    "Event",
    "ExerciseObjective",
    "IdempotencyRecord",
    "Meeting",
    "MeetingDecision",
    "Membership",
    "MembershipStatement",
    "Operation",
    "OperationStatus",
    "Organization",
    "Participation",
    "RecordHistory",
    "Release",
    "ReportedFigure",
    "SeizureListItem",
    "SeizureOverlapMember",
    "SeizureReport",
    "SeizureReportYear",
    "SeizureSum",
    "SeizureSumBySubstance",
    "Source",
    "Stage",
    "StageResult",
    "Substance",
]
