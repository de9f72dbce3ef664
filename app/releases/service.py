"""Reads of releases, their files and their citations."""

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.error_words import said
from app.errors import NotFoundError
from app.models import Release
from app.reference.service import BIBTEX_MONTHS, bibtex_text, bibtex_url
from app.releases import package
from app.staff.audit import as_utc

_COLUMNS = (
    Release.id,
    Release.version,
    Release.released_at,
    Release.note,
    Release.data_version,
    Release.files,
)


def _out(row: Any, public_url: str | None) -> dict[str, Any]:
    release = dict(row._mapping)
    release["released_at"] = as_utc(release["released_at"])
    version = release["version"]
    base = f"/api/v1/releases/{version}/files"
    release["files"] = [
        {**f, "url": f"{public_url or ''}{base}/{f['name']}"} for f in release["files"]
    ]
    release["url"] = f"{public_url or ''}/releases/{version}"
    release["citation"] = citation(release, public_url)
    return release


def list_releases(
    session: Session, after: int, limit: int, public_url: str | None
) -> list[dict[str, Any]]:
    """Oldest first, as they were made (each version greater than the last)."""
    stmt = select(*_COLUMNS).where(Release.id > after).order_by(Release.id).limit(limit)
    return [_out(row, public_url) for row in session.execute(stmt)]


def get_release(session: Session, version: str, public_url: str | None) -> dict[str, Any]:
    row = session.execute(select(*_COLUMNS).where(Release.version == version)).first()
    if row is None:
        known = session.scalars(select(Release.version).order_by(Release.id.desc()).limit(5))
        listed = ", ".join(known)
        raise NotFoundError(
            said(
                f"no release {version!r}; "
                + (f"the latest are {listed}" if listed else "no release has been made yet")
                + " (GET /api/v1/releases lists them all)",
                f"нет выпуска {version!r}; "
                + (f"последние: {listed}" if listed else "выпусков ещё нет")
                + " (GET /api/v1/releases перечисляет все)",
            )
        )
    return _out(row, public_url)


def file_path(
    releases_dir: Path, release: dict[str, Any], name: str
) -> tuple[Path, dict[str, Any]]:
    """The file of the release named `name`, looked up among its recorded files (a name is
    never joined to a path unchecked), and its record."""
    recorded = {f["name"]: f for f in release["files"]}
    if name not in recorded:
        raise NotFoundError(
            said(
                f"release {release['version']} has no file {name!r}; its files are: "
                + ", ".join(recorded),
                f"в выпуске {release['version']} нет файла {name!r}; его файлы: "
                + ", ".join(recorded),
            )
        )
    path = releases_dir / release["version"] / name
    if not path.is_file():
        raise NotFoundError(
            said(
                f"the files of release {release['version']} are missing from this server; "
                "its administrator restores them from a backup of the releases folder",
                f"файлов выпуска {release['version']} нет на сервере; администратор "
                "восстанавливает их из резервной копии папки выпусков",
            )
        )
    return path, recorded[name]


# -- citations -----------------------------------------------------------------------------
#
# As a source's (app/reference/service.py): a plain text, a BibTeX entry and a CSL-JSON
# item, built from the release's row alone; the URL only where the registry's address is
# configured (KSOPN_PUBLIC_URL), never guessed from a request.


def citation(release: dict[str, Any], public_url: str | None) -> dict[str, Any]:
    version: str = release["version"]
    day: datetime = release["released_at"]
    url = f"{public_url}/releases/{version}" if public_url else None
    text = (
        f"{package.AUTHOR} ({day.year}). {package.TITLE}, version {version} [data set], "
        f"released {day.date().isoformat()}, data version {release['data_version']}. "
        "CC BY 4.0."
    )
    if url:
        text += f" {url}"
    fields = [
        ("author", "{{" + bibtex_text(package.AUTHOR) + "}}"),
        ("title", "{{" + bibtex_text(package.TITLE) + "}}"),
        ("year", f"{{{day.year}}}"),
        ("month", BIBTEX_MONTHS[day.month - 1]),
        ("version", "{" + bibtex_text(version) + "}"),
        ("note", "{" + f"Data set, data version {release['data_version']}, CC BY 4.0" + "}"),
    ]
    if url:
        fields.append(("url", "{" + bibtex_url(url) + "}"))
    lines = [f"  {name} = {value}," for name, value in fields]
    bibtex = "\n".join([f"@misc{{ksopn-registry-{version},", *lines, "}"]) + "\n"
    item: dict[str, Any] = {
        "id": f"ksopn-registry-{version}",
        "type": "dataset",
        "title": package.TITLE,
        "author": [{"literal": package.AUTHOR}],
        "issued": {"date-parts": [[day.year, day.month, day.day]]},
        "version": version,
        "note": f"Data version {release['data_version']}",
        "license": package.LICENSE["name"],
    }
    if url:
        item["URL"] = url
    return {"text": text, "bibtex": bibtex, "csl_json": item}
