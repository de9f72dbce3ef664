"""Who may write (API keys), what they wrote (the audit log), and replayable POSTs."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, one_of
from app.models.enums import AuditAction, KeyRole


def utcnow() -> datetime:
    return datetime.now(UTC)


class ApiKey(Base):
    """A key is shown once; only its SHA-256 is kept. `prefix` finds the row to compare."""

    __tablename__ = "api_keys"
    __table_args__ = (one_of("role", KeyRole),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """One write: who, when, what, and the entity's state before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (
        one_of("action", AuditAction),
        Index("ix_audit_log_entity", "entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(100), comment="The API key's name")
    action: Mapped[str] = mapped_column(String(10))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class IdempotencyRecord(Base):
    """The first answer to a POST with an Idempotency-Key, replayed to its retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, str]] = mapped_column(JSON)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AuthFailure(Base):
    """Failed API key checks of one client in its current window. Kept in the database, not
    in a server process's memory, so that every process on every machine behind a proxy
    counts the same failures (`FailedAuthLimiter`, app/security.py)."""

    __tablename__ = "auth_failures"

    client: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="The address counted (app/security.py)"
    )
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[float] = mapped_column(
        Double, index=True, comment="Seconds since the epoch of the window's first failure"
    )
