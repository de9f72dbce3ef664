"""`make screenshots`: PNG screenshots of every page, desktop (1280 px) and phone (390 px)
wide, in English and Russian, into docs/screenshots/ (`<page>-<lang>-<width>.png`).

It starts a live server on a scratch database (the seed and two more stages) and drives
Debian's Chromium; nothing off 127.0.0.1 is let through, and the run fails if a page asks."""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.system.pages_browser import chromium, live_registry, offline_page

PAGES = {
    "front": "/",
    "front-pro-rata": "/?allocate=pro_rata",
    "methods": "/methods",
    "search": "/search?q=канал",
    "operation": "/operations/channel",
    "stage": "/stages/2",
    "country": "/countries/KAZ",
    "source": "/sources/mvd-ksopn-15-years-2020",
    "staff": "/staff",
    "not-found": "/operations/no-such-operation",
}
WIDTHS = {"desktop": 1280, "phone": 390}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    with (
        tempfile.TemporaryDirectory() as folder,
        live_registry(Path(folder)) as server,
        chromium() as browser,
    ):
        for device, width in WIDTHS.items():
            page = offline_page(browser, width, outside)
            for name, path in PAGES.items():
                for lang in ("en", "ru"):
                    joiner = "&" if "?" in path else "?"
                    page.goto(f"{server.url}{path}{joiner}lang={lang}")
                    target = out / f"{name}-{lang}-{device}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target)
            page.context.close()
    if outside:
        raise SystemExit(f"pages asked for something off the machine: {sorted(set(outside))}")


if __name__ == "__main__":
    main()
