from datetime import datetime
from typing import Any

from app.http.schemas import Schema
from app.models.enums import AuditAction


class AuditEntryOut(Schema):
    id: int
    at: datetime
    actor: str
    action: AuditAction
    entity: str
    entity_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None
