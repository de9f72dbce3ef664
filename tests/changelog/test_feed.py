"""`GET /api/v1/changelog.atom`: the changes as an Atom 1.0 feed (RFC 4287), read as a feed
reader reads it."""

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Made = Callable[..., dict[str, Any]]
A = "{http://www.w3.org/2005/Atom}"


def _feed(client: TestClient, query: str = "") -> ET.Element:
    response = client.get(f"/api/v1/changelog.atom{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.content)


def _links(element: ET.Element) -> dict[str, ET.Element]:
    return {link.get("rel", "alternate"): link for link in element.findall(f"{A}link")}


def test_the_feed_has_what_rfc_4287_requires(client: TestClient, stage_history: Made) -> None:
    stage = stage_history(correct=True)
    feed = _feed(client, "?limit=5")
    assert feed.tag == f"{A}feed"
    for name in ("id", "title", "updated", "author"):
        assert feed.find(f"{A}{name}") is not None, name
    assert feed.findtext(f"{A}author/{A}name")
    assert feed.findtext(f"{A}id", "").startswith("urn:uuid:")
    links = _links(feed)
    assert links["self"].get("href") == "/api/v1/changelog.atom?limit=5"
    assert links["alternate"].get("href") == "/changelog"
    assert links["alternate"].get("type") == "text/html"
    assert "next" not in links
    entries = feed.findall(f"{A}entry")
    assert len(entries) == 5
    newest = client.get("/api/v1/changelog?limit=5").json()["items"]
    assert feed.findtext(f"{A}updated") == newest[0]["changed_at"]
    for entry, change in zip(entries, newest, strict=True):
        assert entry.findtext(f"{A}id", "").startswith("urn:uuid:")
        assert entry.findtext(f"{A}title")
        assert entry.findtext(f"{A}updated") == change["changed_at"]
        assert _links(entry)["alternate"].get("href")
        assert entry.find(f"{A}content").get("type") == "text"  # type: ignore[union-attr]
    stages = _feed(client, "?entity=stage&limit=1").findall(f"{A}entry")
    (corrected,) = stages
    assert corrected.findtext(f"{A}title") == f"Stage {stage['id']} corrected: name_en, end_on"
    content = corrected.findtext(f"{A}content", "")
    assert "end_on: 2021-05-21 → 2021-05-25" in content
    assert "Source: " in content
    assert _links(corrected)["alternate"].get("href") == f"/stages/{stage['id']}"


def test_entry_ids_are_stable_and_unique(client: TestClient, stage_history: Made) -> None:
    stage_history(correct=True)
    first = [e.findtext(f"{A}id") for e in _feed(client, "?limit=20").findall(f"{A}entry")]
    again = [e.findtext(f"{A}id") for e in _feed(client, "?limit=20").findall(f"{A}entry")]
    assert first == again
    assert len(set(first)) == 20
    fewer = [e.findtext(f"{A}id") for e in _feed(client, "?limit=10").findall(f"{A}entry")]
    assert fewer == first[:10]
    # A filtered feed is a feed of its own.
    assert _feed(client).findtext(f"{A}id") != _feed(client, "?entity=stage").findtext(f"{A}id")


def test_the_feed_takes_the_lists_filters(client: TestClient, stage_history: Made) -> None:
    stage_history(correct=True, delete=True)
    feed = _feed(client, "?entity=stage&since=2000-01-01")
    titles = [e.findtext(f"{A}title", "") for e in feed.findall(f"{A}entry")]
    assert titles
    assert all(t.startswith("Stage ") for t in titles)
    assert titles[0].endswith("deleted")
    deleted = feed.findall(f"{A}entry")[0]
    assert _links(deleted)["alternate"].get("href") == "/changelog"  # the record is gone
    assert _feed(client, "?since=2999-01-01").findall(f"{A}entry") == []
    bad = client.get("/api/v1/changelog.atom?entity=stages")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["name"] == "entity"


def test_a_feed_reader_revalidates(client: TestClient) -> None:
    first = client.get("/api/v1/changelog.atom")
    again = client.get("/api/v1/changelog.atom", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert "last-modified" in first.headers
