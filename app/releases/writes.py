"""Making a release: the one write of the domain. A release is never changed or deleted."""

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.error_words import said
from app.errors import ConflictError
from app.models import DataVersion, Release
from app.releases import package
from app.releases.versions import Version
from app.staff.keys import Caller
from app.writes import create


def make_release(
    session: Session,
    caller: Caller,
    version: str,
    note: str,
    releases_dir: Path,
    homepage: str | None = None,
) -> Release:
    """Freezes the public record as this transaction sees it: builds the release's files
    (app/releases/package.py) and records the release, audited.

    The data version is read first, with its row locked: on PostgreSQL every write of a
    fact updates that row (the triggers of migration 0008), so until this transaction ends
    no write of a fact commits, and another release waits its turn; on SQLite the write
    session holds the database's write lock from its start. Every table is then read in
    this one transaction, and the files hold exactly the version recorded."""
    frozen = session.execute(select(DataVersion.version).with_for_update()).scalar_one()
    wanted = Version.parse(version)
    if session.scalar(select(Release.id).where(Release.version == version)) is not None:
        raise ConflictError(
            said(
                f"release {version} exists, and a release never changes; "
                "make a new one with a greater version",
                f"выпуск {version} уже есть, а выпуск не меняется; "
                "сделайте новый с большим номером версии",
            ),
            errors=[{"name": "version", "in": "body", "message": "taken"}],
        )
    earlier = [Version.parse(v) for v in session.scalars(select(Release.version))]
    if earlier and wanted <= (latest := max(earlier)):
        raise ConflictError(
            said(
                f"version {version} is not greater than the latest release, {latest}; "
                "give a greater one",
                f"версия {version} не больше последнего выпуска, {latest}; укажите большую",
            ),
            errors=[{"name": "version", "in": "body", "message": f"not greater than {latest}"}],
        )
    info = package.ReleaseInfo(
        version=version,
        released_at=datetime.now(UTC).replace(microsecond=0),
        note=note,
        data_version=frozen,
        homepage=homepage,
    )
    files = package.build(session.connection(), info, releases_dir)
    release = Release(
        version=version,
        released_at=info.released_at,
        note=note,
        data_version=frozen,
        files=files,
    )
    create(session, caller, release, "the release")
    return release
