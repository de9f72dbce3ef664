"""A release's files, built once when it is made and never again (issue 24).

- one CSV a table of the public record (UTF-8, no byte-order mark, a header row; an empty
  cell is a null; a list of aliases is a JSON array in its cell);
- `datapackage.json`, a Frictionless Data Package describing them: a table schema for each
  (field types, primary key, foreign keys, single-column unique constraints), titles and
  descriptions in English (`title`, `description`) with Russian beside them in the extra
  properties `title_ru` and `description_ru`, the data's licence (CC BY 4.0, as README and
  CITATION.cff state) and `sources`, which names the registry's own sources table;
- the release's SQLite database: a file built by the project's migrations and holding the
  release's rows, whatever database the registry runs on (copied table by table with Core);
- the data package as one zip (datapackage.json and the CSV files), for a single download;
- `SHA256SUMS`, the checksum of every other file, as `sha256sum -c` reads it.

The public record is the tables of facts, `VERSIONED_TABLES` (app/models/versions.py):
what the data version names. Left out of the CSV files and the data package: the staff's
tables (API keys, the audit log, idempotency records, failed key checks), the releases
themselves, the data version (the package states it), and the caches derived from the
seizure reports (the sum, year and overlap tables) with each table's `search_text` (folded
names). The SQLite file holds the derived tables too, as computed from the same rows, so
that the registry itself can serve it (`KSOPN_DATABASE_URL=sqlite:///...`); its staff
tables and its releases table are empty.

Every row is read in the caller's transaction, which holds the data version still
(app/releases/writes.py), so the files hold exactly the recorded data version.
"""

import csv
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Integer,
    Table,
    UniqueConstraint,
    create_engine,
    delete,
    insert,
    select,
)
from sqlalchemy.pool import NullPool

from app import migrate
from app.models import Base, DataVersion, RecordHistory
from app.models.versions import VERSIONED_TABLES, in_utc

# The caches derived from the seizure reports: in the SQLite file, not in the data package.
DERIVED_TABLES = (
    "seizure_sums",
    "seizure_sums_by_substance",
    "seizure_overlap_members",
    "seizure_report_years",
    "seizure_list_items",
)
# Tables of neither: the staff's and the server's own, and the releases.
NOT_RELEASED = (
    "api_keys",
    "audit_log",
    "idempotency_records",
    "auth_failures",
    "releases",
    "data_version",
    "error_reports",  # readers' reports, with their contacts (personal data): never published
    "error_report_senders",
    "record_history",  # every state of every row: the release is one state, its CSV files
)
DERIVED_COLUMNS = ("search_text",)  # each name folded for `q=`: from the names beside it
BATCH = 2000

TITLE = "KSOPN registry: the anti-drug cooperation of the CSTO member states"
TITLE_RU = "Реестр КСОПН: антинаркотическое сотрудничество государств — членов ОДКБ"
AUTHOR = "The KSOPN registry maintainers"  # as CITATION.cff names them
AUTHOR_RU = "Составители реестра КСОПН"
LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}
LICENSE_NOTE = (
    "The registry's data, as a compilation (its selection, structure and figures as "
    "recorded), is under CC BY 4.0; the copyright in each source's own text stays with its "
    "publisher. Cite each figure's source as well (sources.csv)."
)
LICENSE_NOTE_RU = (
    "Данные реестра как подборка (их отбор, структура и цифры в записанном виде) "
    "распространяются по лицензии CC BY 4.0; авторское право на текст каждого источника "
    "остаётся за его издателем. Ссылайтесь и на источник каждой цифры (sources.csv)."
)

# Each table of the record: (title, description) in English, then in Russian.
DESCRIPTIONS: dict[str, tuple[str, str, str, str]] = {
    "activities": (
        "Activities",
        "Standing lines of the Council's work that the sources report without dates.",
        "Направления деятельности",
        "Постоянные направления работы Совета, о которых источники сообщают без дат.",
    ),
    "assessments": (
        "Assessments",
        "Who a source says assessed an operation's results, and how.",
        "Оценки",
        "Кто, по словам источника, оценивал итоги операции и как.",
    ),
    "bodies": (
        "Bodies",
        "The Coordinating Council (KSOPN) and its subsidiary bodies.",
        "Органы",
        "Координационный совет (КСОПН) и его вспомогательные органы.",
    ),
    "claims": (
        "Claims",
        "One source's version of a stage's or a meeting's fact (a date, the headquarters, "
        "a place), where sources differ.",
        "Версии",
        "Версия одного источника о факте этапа или заседания (дата, штаб, место), "
        "когда источники расходятся.",
    ),
    "countries": (
        "Countries",
        "Countries the sources name, by ISO 3166-1 alpha-3 code, with both names.",
        "Страны",
        "Страны, названные источниками, с кодом ISO 3166-1 alpha-3 и названиями на двух языках.",
    ),
    "documents": (
        "Documents",
        "Strategies, plans and decisions, with the period each covers and its status.",
        "Документы",
        "Стратегии, планы и решения с периодом действия и статусом.",
    ),
    "events": (
        "Events",
        "Dated happenings that are not meetings: exhibitions, conferences.",
        "События",
        "Датированные события, не являющиеся заседаниями: выставки, конференции.",
    ),
    "exercise_objectives": (
        "Exercise objectives",
        "What a tactical exercise trains.",
        "Задачи учений",
        "Что отрабатывается на тактических учениях.",
    ),
    "meeting_decisions": (
        "Meeting decisions",
        "What a meeting decided or took up, in short, where a source says.",
        "Решения заседаний",
        "Что заседание решило или рассмотрело, кратко, по словам источника.",
    ),
    "meetings": (
        "Meetings",
        "Meetings of the Council and of its bodies: number, date, place, chair.",
        "Заседания",
        "Заседания Совета и его органов: номер, дата, место, председатель.",
    ),
    "membership_statements": (
        "Membership statements",
        "Dated statements about a country's part in an organization, as the source states "
        "them; membership periods are not changed by them.",
        "Заявления о членстве",
        "Датированные заявления об участии страны в организации, как их передаёт источник; "
        "периоды членства от них не меняются.",
    ),
    "memberships": (
        "Memberships",
        "A country's membership of an organization (the CSTO) over a period; valid_to is "
        "the last day in force.",
        "Членство",
        "Членство страны в организации (ОДКБ) за период; valid_to — последний день действия.",
    ),
    "operation_statuses": (
        "Operation statuses",
        "Each entry of an operation's status history, as of its source's date.",
        "Статусы операций",
        "Записи истории статуса операции на дату источника.",
    ),
    "operations": (
        "Operations",
        "The regional operation Channel and the Grom and Kobalt exercises.",
        "Операции",
        "Региональная операция «Канал» и учения «Гром» и «Кобальт».",
    ),
    "organizations": (
        "Organizations",
        "International organizations, national bodies and institutions.",
        "Организации",
        "Международные организации, национальные ведомства и учреждения.",
    ),
    "participations": (
        "Participations",
        "A party taking part in an operation, a stage, an event or an activity, in one role.",
        "Участие",
        "Участник операции, этапа, события или направления работы в одной роли.",
    ),
    "reported_figures": (
        "Reported figures",
        "Counts a source states without itemizing them (meetings held, stages carried out).",
        "Сообщённые цифры",
        "Количества, которые источник называет без перечня (проведено заседаний, этапов).",
    ),
    "seizure_reports": (
        "Seizure reports",
        "Quantities seized over a period, as a source reports them, in exact base units "
        "(grams, millilitres, items); a row with parent_id is part of its parent.",
        "Сведения об изъятиях",
        "Изъятые количества за период, как их сообщает источник, в точных базовых единицах "
        "(граммы, миллилитры, штуки); строка с parent_id входит в родительскую.",
    ),
    "sources": (
        "Sources",
        "The documents every fact cites, with the place in them (the locator of each row).",
        "Источники",
        "Документы, на которые ссылается каждый факт, с местом в них (locator каждой строки).",
    ),
    "stage_results": (
        "Stage results",
        "A stage's results other than drugs seized (firearms, crimes detected, officers "
        "involved), as the source words them.",
        "Итоги этапов",
        "Итоги этапа помимо изъятых наркотиков (оружие, выявленные преступления, "
        "задействованные сотрудники), в формулировке источника.",
    ),
    "stages": (
        "Stages",
        "Stages of an operation: Channel's stages and the Grom and Kobalt exercises.",
        "Этапы",
        "Этапы операции: этапы «Канала» и учения «Гром» и «Кобальт».",
    ),
    "substances": (
        "Substances",
        "The substance taxonomy; each node names its parent.",
        "Вещества",
        "Классификация веществ; каждый узел указывает родительский.",
    ),
}

MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".sqlite3": "application/vnd.sqlite3",
    ".zip": "application/zip",
    "": "text/plain; charset=utf-8",  # SHA256SUMS
}


def released_tables() -> list[Table]:
    """The tables of the data package, parents before the tables that refer to them."""
    return [t for t in Base.metadata.sorted_tables if t.name in VERSIONED_TABLES]


def copied_tables() -> list[Table]:
    """The tables the SQLite file holds rows of."""
    names = {*VERSIONED_TABLES, *DERIVED_TABLES}
    return [t for t in Base.metadata.sorted_tables if t.name in names]


def media_type(name: str) -> str:
    return MEDIA_TYPES[Path(name).suffix]


def sqlite_name(version: str) -> str:
    return f"ksopn-registry-{version}.sqlite3"


def zip_name(version: str) -> str:
    return f"ksopn-registry-{version}-datapackage.zip"


@dataclass(frozen=True)
class ReleaseInfo:
    version: str
    released_at: datetime
    note: str
    data_version: int
    homepage: str | None  # the release's page, where the registry's address is known


def build(connection: Connection, info: ReleaseInfo, releases_dir: Path) -> list[dict[str, Any]]:
    """Writes the release's files into `releases_dir/<version>` and returns each file's
    name, media type, size and SHA-256. They are written into a temporary folder beside it
    and renamed into place, so the folder is whole or absent. A folder already there names
    no release (the caller checked): a make that failed after writing it, which this one
    replaces."""
    releases_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{info.version}-", dir=releases_dir))
    try:
        _write_files(connection, info, scratch)
        files = [_describe(path) for path in sorted(scratch.iterdir())]
        sums = "".join(f"{f['sha256']}  {f['name']}\n" for f in files)
        (scratch / "SHA256SUMS").write_text(sums, encoding="utf-8")
        files.append(_describe(scratch / "SHA256SUMS"))
        for path in scratch.iterdir():
            _flush(path)
            path.chmod(0o444)  # a release never changes
        final = releases_dir / info.version
        if final.exists():
            shutil.rmtree(final)
        os.replace(scratch, final)
        _flush(releases_dir)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return files


def _write_files(connection: Connection, info: ReleaseInfo, folder: Path) -> None:
    sqlite_path = folder / sqlite_name(info.version)
    migrate.upgrade(f"sqlite:///{sqlite_path}")
    target = create_engine(f"sqlite:///{sqlite_path}", poolclass=NullPool)
    try:
        with target.connect() as copy:
            raw = copy.connection.driver_connection
            raw.isolation_level = None  # type: ignore[union-attr]
            # Rows go in table by table, a table's rows in id order; a row may name one of
            # its own table's rows further on (a substance's parent), so the references
            # are checked once everything is in.
            copy.exec_driver_sql("PRAGMA foreign_keys = OFF")
            copy.exec_driver_sql("BEGIN")
            for table in reversed(Base.metadata.sorted_tables):  # rows the migrations made
                copy.execute(delete(table))
            resources = []
            for table in copied_tables():
                released = table.name in VERSIONED_TABLES
                resources.append(_copy_table(connection, copy, table, folder, released))
            # The copy's triggers bumped its data version at every row: it is the release's.
            # (its row was emptied with the rest above).
            # With the time of the frozen facts' last change (Last-Modified, migration 0017).
            copy.exec_driver_sql("DELETE FROM data_version")
            changed = connection.execute(select(DataVersion.changed_at)).scalar_one()
            copy.execute(
                insert(DataVersion).values(
                    id=1, version=info.data_version, changed_at=in_utc(changed)
                )
            )
            # The copy's triggers wrote its rows' history (migration 0019): the release is
            # one state, not the registry's history.
            copy.execute(delete(RecordHistory))
            if broken := copy.exec_driver_sql("PRAGMA foreign_key_check").fetchall():
                raise RuntimeError(f"the release's copy has broken references: {broken[:5]}")
            copy.exec_driver_sql("COMMIT")
            copy.exec_driver_sql("PRAGMA journal_mode = DELETE")  # one file, no -wal beside
            copy.exec_driver_sql("VACUUM")
    finally:
        target.dispose()
    package = datapackage(info, [r for r in resources if r is not None])
    text = json.dumps(package, ensure_ascii=False, indent=2) + "\n"
    (folder / "datapackage.json").write_text(text, encoding="utf-8")
    _write_zip(folder, info)


def _copy_table(
    source: Connection, copy: Connection, table: Table, folder: Path, released: bool
) -> dict[str, Any] | None:
    """Copies the table's rows into the SQLite file and, for a table of the record, into
    its CSV file; returns its resource of the data package."""
    fields = [c for c in table.c if c.name not in DERIVED_COLUMNS]
    order = [*table.primary_key.columns]
    rows = source.execute(select(table).order_by(*order).execution_options(yield_per=BATCH))
    path = folder / f"{table.name}.csv"
    with ExitStack() as stack:
        writer = None
        if released:
            writer = csv.writer(
                stack.enter_context(path.open("w", encoding="utf-8", newline="")),
                lineterminator="\n",
            )
            writer.writerow([c.name for c in fields])
        for batch in rows.mappings().partitions():
            copy.execute(insert(table), [dict(row) for row in batch])
            if writer is not None:
                writer.writerows([_cell(row[c.name]) for c in fields] for row in batch)
    return _resource(table, fields, path) if released else None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _field_type(column: Any) -> str:
    kind = column.type
    if isinstance(kind, Boolean):
        return "boolean"
    if isinstance(kind, Integer | BigInteger):
        return "integer"
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, JSON):
        return "array"  # the record's JSON columns are the lists of aliases
    return "string"


def _resource(table: Table, fields: Sequence[Any], path: Path) -> dict[str, Any]:
    unique = {
        next(iter(constraint.columns)).name
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint) and len(constraint.columns) == 1
    } | {c.name for c in table.c if c.unique}
    schema_fields = []
    for column in fields:
        field: dict[str, Any] = {"name": column.name, "type": _field_type(column)}
        if column.comment:
            field["description"] = column.comment
        if column.name in unique:
            field["constraints"] = {"unique": True}
        schema_fields.append(field)
    foreign_keys = []
    for constraint in sorted(table.foreign_key_constraints, key=lambda c: list(c.column_keys)):
        referred = constraint.referred_table.name
        foreign_keys.append(
            {
                "fields": [c.name for c in constraint.columns],
                "reference": {
                    # the empty name is the resource's own table (a substance's parent)
                    "resource": "" if referred == table.name else referred,
                    "fields": [e.column.name for e in constraint.elements],
                },
            }
        )
    title, description, title_ru, description_ru = DESCRIPTIONS[table.name]
    schema: dict[str, Any] = {
        "fields": schema_fields,
        "primaryKey": [c.name for c in table.primary_key.columns],
    }
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    described = _describe(path)
    return {
        "name": table.name,
        "path": path.name,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "title": title,
        "description": description,
        "title_ru": title_ru,
        "description_ru": description_ru,
        "bytes": described["size"],
        "hash": f"sha256:{described['sha256']}",
        "schema": schema,
    }


def datapackage(info: ReleaseInfo, resources: list[dict[str, Any]]) -> dict[str, Any]:
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": "ksopn-registry",
        "title": TITLE,
        "title_ru": TITLE_RU,
        "description": (
            "The public record of the KSOPN registry at release "
            f"{info.version} (data version {info.data_version}): every table of facts, each "
            "fact with its source and the place in it. The release's SQLite database "
            f"({sqlite_name(info.version)}) holds the same rows. {LICENSE_NOTE}"
        ),
        "description_ru": (
            f"Открытые данные реестра КСОПН, выпуск {info.version} (версия данных "
            f"{info.data_version}): все таблицы фактов, каждый факт с источником и местом в "
            f"нём. База SQLite выпуска ({sqlite_name(info.version)}) содержит те же строки. "
            f"{LICENSE_NOTE_RU}"
        ),
        "version": info.version,
        "created": info.released_at.isoformat(),
        "data_version": info.data_version,
        "licenses": [LICENSE],
        "contributors": [{"title": AUTHOR, "role": "author"}],
        "sources": [
            {
                "title": "The registry's sources: the table sources (sources.csv) names every "
                "document a fact cites, with its publisher, date and URL",
                "path": "sources.csv",
            }
        ],
        "keywords": ["CSTO", "KSOPN", "drug seizures", "operation Channel", "ОДКБ", "КСОПН"],
        "resources": resources,
    }
    if info.homepage:
        package["homepage"] = info.homepage
    return package


def _write_zip(folder: Path, info: ReleaseInfo) -> None:
    # Entries dated by the release, in a fixed order: the same release, the same bytes.
    moment = info.released_at.timetuple()[:6]
    names = ["datapackage.json", *sorted(p.name for p in folder.glob("*.csv"))]
    with zipfile.ZipFile(folder / zip_name(info.version), "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            entry = zipfile.ZipInfo(name, date_time=moment)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, (folder / name).read_bytes())


def _describe(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return {
        "name": path.name,
        "media_type": media_type(path.name),
        "size": path.stat().st_size,
        "sha256": digest.hexdigest(),
    }


def _flush(path: Path) -> None:
    """To the disk before the rename (a folder: its entries), as a backup is."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def verify(folder: Path) -> Iterator[str]:
    """The names of the files in `folder` whose checksum is not the one SHA256SUMS gives."""
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        expected, name = line.split("  ", 1)
        if _describe(folder / name)["sha256"] != expected:
            yield name
