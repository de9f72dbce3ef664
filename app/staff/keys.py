"""API keys: long random tokens, stored only as SHA-256 hashes, compared in constant time.

A key reads `ksopn_<prefix>_<secret>`. The prefix is stored in clear to find the row;
the hash of the whole key is what is compared. The key itself is shown once, at creation.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from app.errors import ConflictError, NotFoundError
from app.models import ApiKey
from app.models.enums import KeyRole

KEY_PREFIX = "ksopn"


@dataclass(frozen=True)
class Caller:
    """Who a request is made by."""

    key_id: int
    name: str
    role: KeyRole


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, name: str, role: KeyRole) -> str:
    """Stores a new key and returns it: the only time it is ever seen."""
    if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise ConflictError(f"a key named {name!r} exists; revoke it or choose another name")
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    session.add(ApiKey(name=name, role=role, prefix=prefix, key_hash=_digest(key)))
    session.flush()
    return key


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(session: Session, name: str) -> None:
    key = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise NotFoundError(f"no key named {name!r}")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)


@cache
def _key_by_prefix() -> Select[int, str, str, str, datetime | None]:
    """Built once: every keyed request reads it."""
    return select(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.key_hash, ApiKey.revoked_at).where(
        ApiKey.prefix == bindparam("prefix")
    )


def authenticate(session: Session, presented: str) -> Caller | None:
    """The caller a key belongs to, or None for an unknown, malformed or revoked key."""
    parts = presented.split("_")
    if len(parts) < 3 or parts[0] != KEY_PREFIX:
        return None
    row = session.execute(_key_by_prefix(), {"prefix": parts[1]}).first()
    # Compare even when no row matched, so that timing does not tell a prefix exists.
    expected = row.key_hash if row else _digest("")
    matches = hmac.compare_digest(_digest(presented), expected)
    if row is None or not matches or row.revoked_at is not None:
        return None
    return Caller(key_id=row.id, name=row.name, role=KeyRole(row.role))
