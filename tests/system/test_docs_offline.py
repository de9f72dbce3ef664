"""/docs renders in a real browser on a machine with no route off it (there is no ReDoc:
its bundle drew a badge from its CDN, and /redoc redirects to /docs).

The server and headless Chromium run together in a network namespace of their own that has
only loopback, so a page needing anything from a CDN would come up blank. Run as a script,
this file is what runs inside that namespace.
"""

import json
import os
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
PROJECT_DIR = Path(__file__).resolve().parents[2]
# Root makes the namespace directly; anyone else needs a user namespace to own it.
UNSHARE = ["unshare", "--net"] if os.geteuid() == 0 else ["unshare", "--map-root-user", "--net"]


def test_docs_render_with_no_route_off_the_machine(tmp_path: Path) -> None:
    if reason := _why_not_runnable():
        # CI sets it, so a missing browser fails there instead of passing unnoticed.
        if os.environ.get("KSOPN_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)

    # Longer than the steps inside, whose own time limits stop the server and browser there.
    run = subprocess.run(
        [*UNSHARE, sys.executable, __file__, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert run.returncode == 0, f"{run.stdout}{run.stderr}\nlogs in {tmp_path}"

    docs = _Page.parse(tmp_path / "docs.html")
    assert "KSOPN registry" in docs.title
    # Swagger UI draws operations only once its script ran and read /openapi.json.
    assert "/api/v1/seizures" in docs.paths
    assert "List seizure reports" in docs.text

    requested = _page_requests(tmp_path / "docs.netlog.json")
    assert any(url.endswith("/openapi.json") for url in requested), requested
    assert {url for url in requested if urlsplit(url).hostname != "127.0.0.1"} == set()


def _why_not_runnable() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} is missing: `make browser` installs it"
    if subprocess.run([*UNSHARE, "true"], capture_output=True).returncode != 0:
        return "cannot make a network namespace with unshare"
    return None


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.text = ""
        self.paths: set[str] = set()
        self._tag = ""

    @classmethod
    def parse(cls, path: Path) -> "_Page":
        page = cls()
        page.feed(path.read_text())
        return page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag = tag
        if path := dict(attrs).get("data-path"):
            self.paths.add(path)

    def handle_endtag(self, tag: str) -> None:
        self._tag = ""

    def handle_data(self, data: str) -> None:
        # Title, script and style hold text only, so the last tag opened is the one data is in.
        if self._tag == "title":
            self.title += data
        elif self._tag not in ("script", "style"):
            self.text += data


def _page_requests(netlog: Path) -> set[str]:
    """What the page fetched, not the browser's own update, spelling and autofill calls."""
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    jobs = [event.get("params", {}) for event in log["events"] if event["type"] == start]
    return {job["url"] for job in jobs if job.get("initiator", "").startswith("http://127.0.0.1:")}


def _in_namespace(out: Path) -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    # Connecting UDP sends nothing; it only proves there is no route to an outside address.
    for family, address in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect((address, 80))
            except OSError:
                continue
            raise SystemExit(f"the namespace has a route to {address}")

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {
        **os.environ,
        "KSOPN_DATABASE_URL": f"sqlite:///{out / 'ksopn.sqlite3'}",
        "KSOPN_LOG_LEVEL": "warning",
    }
    ksopn = Path(sys.executable).with_name("ksopn")
    with (out / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [str(ksopn), "serve", "--port", str(port)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=log,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server)
        _dump_dom(f"{url}/docs", out, "docs")
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    # An empty database is migrated and seeded before the server listens.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not come up in 30 s")


def _dump_dom(url: str, out: Path, name: str) -> None:
    with (out / f"{name}.html").open("wb") as dom, (out / f"{name}.chromium.log").open("wb") as log:
        subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--no-proxy-server", "--no-first-run",
             f"--user-data-dir={out / f'profile-{name}'}",
             f"--log-net-log={out / f'{name}.netlog.json'}",
             # Virtual time stands still while a fetch is pending and races on when the page is
             # idle: the scripts fetch /openapi.json and draw before the DOM is dumped, and no
             # wall-clock wait is guessed.
             "--virtual-time-budget=15000", "--dump-dom", url],
            stdout=dom,
            stderr=log,
            check=True,
            timeout=40,
        )  # fmt: skip


if __name__ == "__main__":
    _in_namespace(Path(sys.argv[1]))
