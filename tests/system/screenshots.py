"""`make screenshots`: PNG screenshots of every page, desktop (1280 px) and phone (390 px)
wide, in English and Russian, into docs/screenshots/ (`<page>-<lang>-<width>.png`).

It starts a live server on a scratch database holding the whole public record, as
`make serve` has it (nothing made up), and drives Debian's Chromium; nothing off 127.0.0.1
is let through, and the run fails if a page asks."""

import argparse
import os
import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import Browser

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import make_engine
from app.models import Meeting, Stage
from app.models.enums import KeyRole
from app.staff.keys import create_key
from tests.system.live import ServerProcess
from tests.system.pages_browser import chromium, live_registry, offline_page

RELEASE = "1.0.0"  # made of the scratch database's record, as an admin would (`_release`)
PAGES = {
    "front": "/",
    "front-pro-rata": "/?allocate=pro_rata",
    "methods": "/methods",
    "search": "/search?q=героина",
    "operation": "/operations/channel",
    "coverage": "/coverage",
    "stage": "/stages/{channel-2018-red-barkhan}",
    "meetings": "/meetings",
    "meeting": "/meetings/{ksopn-17}",
    "exercises": "/exercises",
    "exercise": "/exercises/{kobalt-2024}",
    "substance": "/substances/opium",
    "country": "/countries/RUS",
    "source": "/sources/mvd-ksopn-15-years-2020",
    "staff": "/staff",
    "releases": "/releases",
    "release": f"/releases/{RELEASE}",
    "operation-as-of-release": f"/operations/channel?as_of={RELEASE}",
    "report-error": "/report-error?page=/stages/{channel-2018-red-barkhan}",
    "not-found": "/operations/no-such-operation",
}
WIDTHS = {"desktop": 1280, "phone": 390}
HEROES = {("front", "en", "desktop"), ("front", "ru", "desktop")}


def _addresses(server: ServerProcess) -> dict[str, str]:
    """The pages' paths, a record's `{key}` replaced by its id in this database."""
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            ids = dict(session.execute(select(Stage.slug, Stage.id)).tuples().all())
            ids |= dict(session.execute(select(Meeting.slug, Meeting.id)).tuples().all())
    finally:
        engine.dispose()
    paths = {}
    for name, path in PAGES.items():
        if "{" in path:
            head, key = path[:-1].split("{")
            path = f"{head}{ids[key]}"
        paths[name] = path
    return paths


def _release(server: ServerProcess) -> None:
    """A release of the record the server holds, made through the API with an admin key:
    the release pages show its files and checksums."""
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session, session.begin():
            key = create_key(session, "screenshots-admin", KeyRole.ADMIN)
    finally:
        engine.dispose()
    response = httpx.post(
        f"{server.url}/api/v1/releases",
        json={"version": RELEASE, "note": "The public record as `make serve` loads it."},
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
    )
    response.raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        # The server, started below, writes the release's files here, not into var/.
        os.environ["KSOPN_RELEASES_DIR"] = str(Path(folder) / "releases")
        with (
            live_registry(Path(folder), whole_record=True) as server,
            chromium() as browser,
        ):
            _release(server)
            _shoot(server, browser, out, outside)
    if outside:
        raise SystemExit(f"pages asked for something off the machine: {sorted(set(outside))}")


def _shoot(server: ServerProcess, browser: Browser, out: Path, outside: list[str]) -> None:
    """Every page, at each width and in each language."""
    paths = _addresses(server)
    for device, width in WIDTHS.items():
        page = offline_page(browser, width, outside)
        for name, path in paths.items():
            for lang in ("en", "ru"):
                joiner = "&" if "?" in path else "?"
                page.goto(f"{server.url}{path}{joiner}lang={lang}")
                target = out / f"{name}-{lang}-{device}.png"
                page.screenshot(path=str(target), full_page=True)
                print(target)
                if (name, lang, device) in HEROES:  # the README's: the first screen
                    page.screenshot(path=str(out / f"{name}-{lang}-{device}-top.png"))
        page.context.close()


if __name__ == "__main__":
    main()
