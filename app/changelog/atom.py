"""The changelog as an Atom 1.0 feed (RFC 4287), for feed readers.

The feed's id names its filters, so that each filtered feed is a feed of its own; an
entry's id names its change, and never changes (a UUID made from the change's id, as RFC
4287 asks of an id: permanent and universally unique, without claiming a domain as a `tag:`
URI would). Its link is the record's page, or its place in the API when it has no page,
or the changelog when the record is gone."""

import json
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changelog import service
from app.changelog.entities import BY_NAME
from app.http.links import public_link
from app.http.representation import etag_of, not_modified, validators
from app.models import DataVersion
from app.models.versions import in_utc

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
# The changelog's own namespace for the entries' UUIDs (uuid5 of it and the change's id).
NAMESPACE = uuid.UUID("6f1d5a0e-7c1b-5d2e-9a43-0c6f6b1e2d24")
TITLE = "KSOPN registry: changes to the record"
AUTHOR = "The KSOPN registry maintainers"
MAX_VALUE = 200  # characters of a value in an entry's words


def feed_response(
    request: Request,
    session: Session,
    filters: service.ChangeFilters,
    rows: list[dict[str, Any]],
) -> Response:
    updated = rows[0]["changed_at"] if rows else _last_change(session)
    began = service.history_began(session)
    body = feed(request, filters, rows, updated, began)
    etag = etag_of(body)
    headers = validators(request, etag)
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=f"{MEDIA_TYPE}; charset=utf-8", headers=headers)


def _last_change(session: Session) -> str:
    moment = session.execute(select(DataVersion.changed_at)).scalar_one()
    return _time(in_utc(moment))


def _time(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def feed_id(filters: service.ChangeFilters) -> str:
    named = [
        (name, value)
        for name, value in (
            ("release", filters.release),
            ("since", filters.since and _time(filters.since)),
            ("until", filters.before and _time(filters.before)),
            ("entity", filters.entity),
        )
        if value
    ]
    return uuid.uuid5(NAMESPACE, "changelog?" + urlencode(named)).urn


def entry_id(change_id: int) -> str:
    return uuid.uuid5(NAMESPACE, f"change/{change_id}").urn


def feed(
    request: Request,
    filters: service.ChangeFilters,
    rows: list[dict[str, Any]],
    updated: str,
    began: service.Beginning | None,
) -> bytes:
    ET.register_namespace("", ATOM_NS)
    root = ET.Element(f"{{{ATOM_NS}}}feed")
    _text(root, "id", feed_id(filters))
    _text(root, "title", TITLE + _filtered(filters))
    if began is not None:
        _text(
            root,
            "subtitle",
            f"History begins at data version {began.data_version} ({_time(began.changed_at)})"
            + (": the record as it stood then is its starting state." if began.baseline else "."),
        )
    _text(root, "updated", updated)
    author = ET.SubElement(root, f"{{{ATOM_NS}}}author")
    _text(author, "name", AUTHOR)
    query = request.url.query
    self_url = public_link(request, request.url.path + (f"?{query}" if query else ""))
    _link(root, "self", self_url, MEDIA_TYPE)
    page_query = urlencode(
        [(k, v) for k, v in request.query_params.multi_items() if k in ("release", "since")]
    )
    page = public_link(request, "/changelog" + (f"?{page_query}" if page_query else ""))
    _link(root, "alternate", page, "text/html")
    for row in rows:
        _entry(root, request, row)
    ET.indent(root)
    written: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return written + b"\n"


def _filtered(filters: service.ChangeFilters) -> str:
    parts = []
    if filters.release:
        parts.append(f"release {filters.release}")
    if filters.entity:
        parts.append(BY_NAME[filters.entity].en + "s")
    return f" ({', '.join(parts)})" if parts else ""


def _entry(root: ET.Element, request: Request, row: dict[str, Any]) -> None:
    entry = ET.SubElement(root, f"{{{ATOM_NS}}}entry")
    _text(entry, "id", entry_id(row["id"]))
    _text(entry, "title", title(row))
    _text(entry, "updated", row["changed_at"])
    link = row["page_url"] or row["api_url"] or public_link(request, "/changelog")
    _link(entry, "alternate", link, "text/html" if row["page_url"] else None)
    content = _text(entry, "content", summary(row))
    content.set("type", "text")


def title(row: dict[str, Any]) -> str:
    """`Stage 12 corrected: end_on, description`."""
    what = BY_NAME[row["entity"]].en
    head = f"{what[0].upper()}{what[1:]} {row['entity_id']} {row['change']}"
    return head + (f": {', '.join(row['fields'])}" if row["fields"] else "")


def summary(row: dict[str, Any]) -> str:
    """What changed, in words: every field a correction changed, before and after; every
    field an addition set; what a deleted record held."""
    lines = [f"{title(row)} (data version {row['data_version']})."]
    before, after = row["before"] or {}, row["after"] or {}
    if row["change"] == "corrected":
        names = row["fields"] or []
        lines += [
            f"{name}: {_value(before.get(name))} → {_value(after.get(name))}" for name in names
        ]
    else:
        state = after if row["change"] == "added" else before
        lines += [f"{name}: {_value(value)}" for name, value in state.items() if value is not None]
    if row["source"] is not None:
        source = row["source"]
        lines.append(
            f"Source: {source['title']}" + (f" <{source['url']}>" if source["url"] else "")
        )
    return "\n".join(lines)


def _value(value: Any) -> str:
    text = "—" if value is None else value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _text(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}")
    element.text = text
    return element


def _link(parent: ET.Element, rel: str, href: str, media_type: str | None) -> None:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}link", rel=rel, href=href)
    if media_type:
        element.set("type", media_type)
