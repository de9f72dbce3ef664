"""`Last-Modified` and `If-Modified-Since` (RFC 9110 8.8.2, 13.1.3) beside the ETags.

A read of the registry's facts (`app.http.caching.dated_read` marks it) is dated by the
time of the facts' last change (`data_version.changed_at`, app/models/versions.py), which
its session read as it began, before any fact: the time is never newer than the facts sent
with it. Reads that need a key of their own (the audit log, the error reports) show the
staff's tables, which the data version does not follow: they are not dated, nor is a
public read whose route says `UNDATED`.

HTTP dates have whole seconds. `Last-Modified` is the second the change fell in, and
`If-Modified-Since` answers 304 when the last change fell in that second or before it; so
a client that read within the second of a change and revalidates by date alone misses a
second change in that same second. The ETag has no such gap, and `If-None-Match` wins when
both are sent (RFC 9110 13.2.2).
"""

import re
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache

from fastapi import Request
from sqlalchemy.orm import Session

from app.models.versions import changed_at_noted

# A public read whose answer is not the registry's facts (a table the data version does not
# follow) says so on its route, `@router.get(..., openapi_extra=UNDATED)`: it is not dated
# (`app.http.caching.dated_read`), and the OpenAPI document (app/http/contract.py) leaves
# Last-Modified and If-Modified-Since out of it; `add_exports` passes it to the downloads.
UNDATED_KEY = "x-ksopn-undated"
UNDATED = {UNDATED_KEY: True}

# The three forms of HTTP-date a recipient must take (RFC 9110 5.6.7): IMF-fixdate,
# the obsolete RFC 850 date and asctime's. Month and day names in English whatever the
# locale, which strptime would follow.
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_LONG_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = "(?P<month>" + "|".join(_MONTHS) + ")"
_TIME = r"(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d)"
_HTTP_DATES = (
    re.compile(rf"{_DAY}, (?P<day>\d\d) {_MONTH} (?P<year>\d{{4}}) {_TIME} GMT"),
    re.compile(rf"{_LONG_DAY}, (?P<day>\d\d)-{_MONTH}-(?P<year>\d\d) {_TIME} GMT"),
    re.compile(rf"{_DAY} {_MONTH} (?P<day>[ \d]\d) {_TIME} (?P<year>\d{{4}})"),
)


def parse_http_date(value: str) -> datetime | None:
    """The moment an HTTP-date names, in UTC; None when `value` is none (a list of dates,
    another format, the 30th of February)."""
    value = value.strip()
    for form in _HTTP_DATES:
        if (match := form.fullmatch(value)) is None:
            continue
        year = int(match["year"])
        if len(match["year"]) == 2:  # RFC 850: the nearest year not more than 50 ahead
            year += 2000 if year + 2000 <= datetime.now(UTC).year + 50 else 1900
        try:
            return datetime(
                year,
                _MONTHS.index(match["month"]) + 1,
                int(match["day"]),
                int(match["hour"]),
                int(match["minute"]),
                int(match["second"]),
                tzinfo=UTC,
            )
        except ValueError:
            return None
    return None


@lru_cache(maxsize=256)  # the time of the last change, on every read of the record
def http_date(moment: datetime) -> str:
    """IMF-fixdate, the form a sender must use: `Sun, 06 Nov 1994 08:49:37 GMT`."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def last_modified(request: Request) -> datetime | None:
    """The second of the last change of the facts the request read, or None for a read
    that is not dated. Called in the handler's thread (it may read). Never later than now
    (RFC 9110 8.8.2.1): a clock set back leaves the stored time ahead of it."""
    session: Session | None = getattr(request.state, "read_session", None)
    if session is None:
        return None
    changed = changed_at_noted(session)
    if changed is None:  # it read nothing (an empty search): its transaction begins now,
        session.connection()  # and the session notes the time as it begins
        changed = changed_at_noted(session)
    if changed is None:
        return None
    return min(changed, datetime.now(UTC)).replace(microsecond=0)


def date_headers(request: Request) -> dict[str, str]:
    changed = last_modified(request)
    return {} if changed is None else {"Last-Modified": http_date(changed)}


def not_modified_since(request: Request) -> bool:
    """A GET or HEAD whose If-Modified-Since is at or after the last change, and which
    sends no If-None-Match (which then decides alone). An invalid date is ignored."""
    if request.method not in ("GET", "HEAD") or "if-none-match" in request.headers:
        return False
    headers = request.headers.getlist("if-modified-since")
    if len(headers) != 1 or (since := parse_http_date(headers[0])) is None:
        return False
    changed = last_modified(request)
    return changed is not None and changed <= since
