from datetime import datetime
from typing import Any

from app.schemas.common import Schema


class AuditEntryOut(Schema):
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: int
    before: dict[str, Any] | None
    after: dict[str, Any] | None
