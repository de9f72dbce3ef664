"""What the browser tests and the screenshots share: a live server on a scratch seeded
database with two more stages (so that the charts have per-year bars beside the seed's
2017-2019 report), and Debian's Chromium under Playwright, every request off 127.0.0.1
aborted and recorded."""

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, Route, sync_playwright

from app.operations.schemas import STAGE_EXAMPLE
from tests.system.live import ServerProcess, prepare_database

CHROMIUM = "/usr/bin/chromium"
EXTRA_STAGE: dict[str, Any] = {
    **copy.deepcopy(STAGE_EXAMPLE),
    "number": 91,
    "name": "Channel 2018",
    "start_on": "2018-06-01",
    "end_on": "2018-06-10",
    "lead_country": "RUS",
    "seizures": [
        {"substance": "heroin", "quantity": "312 kg", "country": "RUS"},
        {"substance": "hashish", "quantity": "about 1 t 40 kg", "country": "KGZ"},
        {"substance": "opium", "quantity": "5 l", "country": "RUS"},
        {"substance": "synthetic-drugs", "quantity": "3000 pcs", "country": "KAZ"},
    ],
}


@contextmanager
def live_registry(folder: Path, *, whole_record: bool = False) -> Iterator[ServerProcess]:
    """A live server on the seed and two more stages (visibly made-up examples), or on the
    whole public record as `make serve` has it, and nothing made up (`whole_record`)."""
    database_url = f"sqlite:///{folder / 'pages.sqlite3'}"
    editor = prepare_database(database_url, whole_record=whole_record)
    with ServerProcess(database_url, log=folder / "server.log") as server:
        if not whole_record:
            with httpx.Client(base_url=server.url, headers=editor) as client:
                for stage in (STAGE_EXAMPLE, EXTRA_STAGE):
                    response = client.post("/api/v1/operations/channel/stages", json=stage)
                    response.raise_for_status()
        yield server


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


def offline_page(browser: Browser, width: int, outside: list[str]) -> Page:
    """A page of its own context that lets only 127.0.0.1 through; what else it asked for is
    appended to `outside`."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()

    def route(route: Route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "data:", "about:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", route)
    return page
