"""API keys: long random tokens, stored only as SHA-256 hashes, compared in constant time.

A key reads `ksopn_<prefix>_<secret>`. The prefix is stored in clear to find the row;
the hash of the whole key is what is compared. The key itself is shown once, at creation.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

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


# What a key check reads of a key's row, in the order `caller_of` takes it.
KEY_ROW = (ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.key_hash, ApiKey.revoked_at)


@cache
def _key_by_prefix() -> Select[int, str, str, str, datetime | None]:
    """Built once: every keyed request reads it."""
    return select(*KEY_ROW).where(ApiKey.prefix == bindparam("prefix"))


def authenticate(session: Session, presented: str) -> Caller | None:
    """The caller a key belongs to, or None for an unknown, malformed or revoked key."""
    prefix = prefix_of(presented)
    if prefix is None:
        return None
    row = session.connection().execute(_key_by_prefix(), {"prefix": prefix}).first()
    return caller_of(presented, None if row is None else tuple(row))


# A prefix as `create_key` makes them (hex). One that is not finds no row, and is not sent:
# PostgreSQL refuses text with a NUL (a 500, where the client is owed a 401).
_PREFIX = re.compile(r"[0-9a-f]{1,16}")


def prefix_of(presented: str) -> str | None:
    """The part of a presented key that finds its row; None when it is no key of ours."""
    parts = presented.split("_")
    if len(parts) < 3 or parts[0] != KEY_PREFIX or not _PREFIX.fullmatch(parts[1]):
        return None
    return parts[1]


def caller_of(presented: str, row: tuple[Any, ...] | None) -> Caller | None:
    """The caller of a presented key given the row its prefix found (`KEY_ROW`: id, name,
    role, hash, revoked at), or None for no row, another key's hash or a revoked key."""
    # Compare even when no row matched, so that timing does not tell a prefix exists.
    expected = row[3] if row else _digest("")
    matches = hmac.compare_digest(_digest(presented), expected)
    if row is None or not matches or row[4] is not None:
        return None
    return Caller(key_id=row[0], name=row[1], role=KeyRole(row[2]))
