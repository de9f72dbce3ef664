"""Releases: a frozen, citable state of the registry's public record (issue 24).

A release names the data version it froze and the files built from it at that moment
(app/releases/package.py); the files' names, sizes and SHA-256 checksums are kept here, the
files themselves under KSOPN_RELEASES_DIR. A release never changes once made: there is no
route that updates or deletes one, and the database refuses an UPDATE (migration 0016).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Release(Base):
    __tablename__ = "releases"
    __table_args__ = (CheckConstraint("version <> ''", name="version_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(
        String(64), unique=True, comment="A semantic version (1.0.0), greater than the last"
    )
    released_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text)
    data_version: Mapped[int] = mapped_column(
        BigInteger, comment="The data version (data_version) the release froze"
    )
    files: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, comment="Each file of the release: name, media type, size in bytes, SHA-256"
    )
