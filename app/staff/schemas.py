from datetime import datetime
from typing import Any

from app.models.enums import AuditAction
from app.schemas.common import Schema


class AuditEntryOut(Schema):
    id: int
    at: datetime
    actor: str
    action: AuditAction
    entity: str
    entity_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None
