"""The seizure export's columns as the export reads them: UTF-8 bytes where a field is
sent as stored, and the runs of plain fields written by the database as one text each, so
that the export makes few Python objects a row and never encodes a line (a third of its
time was the driver making a dozen objects a row, another third formatting and encoding).

Each text here is what `app.http.listing`'s generic writer writes for the same values, on
SQLite and on PostgreSQL alike: `tests/seizures/test_csv_sql.py` holds them to it over
awkward values, and `test_csv_batches.py` the whole export to the generic one. Fields
that the database writes slowly (kilograms as Python's float text, the free-text
`as_reported` with its formula guard) are written in Python (`service.seizure_csv_chunks`).
"""

from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    LargeBinary,
    String,
    and_,
    case,
    cast,
    func,
    not_,
    or_,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from app.http.listing import FORMULA_STARTS
from app.models import SeizureReport

# The export's statement carries this execution option: on PostgreSQL, its cursor then
# loads every text as UTF-8 bytes (`service.driver_batches`).
TEXT_AS_BYTES = "ksopn_text_as_bytes"


def as_bytes(value: Any, dialect: str) -> ColumnElement[Any]:
    """A value's text as UTF-8 bytes, so that the driver decodes nothing: a blob on SQLite,
    a text on PostgreSQL (see TEXT_AS_BYTES). NULL stays NULL."""
    return cast(value, LargeBinary if dialect == "sqlite" else String)


def _joined(dialect: str, *fields: Any) -> ColumnElement[bytes]:
    """Fields joined by commas, NULL written as nothing (so printf and format do `%s`)."""
    formatted = (func.printf if dialect == "sqlite" else func.format)(
        ",".join(["%s"] * len(fields)), *fields, type_=String
    )
    return as_bytes(formatted, dialect)


# Kilograms are written in Python, from the grams (`service.THOUSANDTHS`): exactly as
# Python writes `grams / 1000` when the grams have at most 15 digits, since every decimal of
# up to 15 significant digits is the shortest text of its float.
EXACT_GRAMS_BELOW = 10**15


# The fields from `parent_id` to `within` of most reports: none of them but `outside_stage`,
# false. `parent_to_within` gives NULL for those, and the export writes this.
PLAIN_PARENT_TO_WITHIN = b",false,,,"


def parent_to_within(dialect: str) -> ColumnElement[bytes | None]:
    """The fields from `parent_id` to `within`, or NULL where they are
    PLAIN_PARENT_TO_WITHIN (most reports): a constant text cost SQLite a third of a second
    a million rows more than a NULL (Python makes no object of it), formatting more."""
    report = SeizureReport
    outside = case((report.outside_stage, "true"), else_="false")
    none = and_(
        report.parent_id.is_(None),
        report.scope.is_(None),
        report.alternative_to_id.is_(None),
        report.within_id.is_(None),
    )
    formatted = _joined(
        dialect,
        report.parent_id,
        outside,
        csv_text(report.scope, dialect),
        report.alternative_to_id,
        report.within_id,
    )
    plain = and_(none, not_(report.outside_stage))
    return case((plain, None), (none, as_bytes(",true,,,", dialect)), else_=formatted)


def csv_text(value: Any, dialect: str) -> ColumnElement[str]:
    """`app.http.listing.csv_text` in SQL: text a spreadsheet would run as a formula
    starts with `'`, and a field with a comma, quote or line break is quoted."""
    inert = case((func.substr(value, 1, 1).in_(FORMULA_STARTS), "'" + value), else_=value)
    # The `'` is no reason to quote: whether to is asked of the value itself, once.
    position = func.instr if dialect == "sqlite" else func.strpos
    special = or_(*(position(value, char) > 0 for char in (",", '"', "\r", "\n")))
    quoted = '"' + func.replace(inert, '"', '""', type_=String) + '"'
    return case((value.is_(None), None), (special, quoted), else_=inert)


# PostgreSQL's key of a period: the days from FIRST_DAY to its start, times DAYS_KEY,
# plus those to its end (a subtraction each, where writing dates as text took longer).
FIRST_DAY = date(1, 1, 1)
DAYS_KEY = 10_000_000  # more than the days from FIRST_DAY to 9999-12-31


def period_key(dialect: str) -> ColumnElement[Any]:
    """A key of the report's period, the same for the same period: on SQLite the two ISO
    dates (it keeps them so) one after the other, on PostgreSQL a number (`period_dates`)."""
    report = SeizureReport
    if dialect == "sqlite":
        # Both ISO dates of ten characters, joined as stored: casts and a comma between
        # cost SQLite 0.15 s a million rows.
        dates = [type_coerce(day, String) for day in (report.period_start, report.period_end)]
        return cast(dates[0].concat(dates[1]), LargeBinary)
    days = [
        type_coerce(day - FIRST_DAY, BigInteger) for day in (report.period_start, report.period_end)
    ]
    return days[0] * DAYS_KEY + days[1]


def period_dates(key: bytes | int) -> tuple[str, str]:
    """The ISO dates of a `period_key`."""
    if isinstance(key, bytes):
        dates = key.decode()
        return dates[:10], dates[10:]
    start_days, end_days = divmod(key, DAYS_KEY)
    return _iso_after(start_days), _iso_after(end_days)


def _iso_after(days: int) -> str:
    return str(date.fromordinal(FIRST_DAY.toordinal() + days))
