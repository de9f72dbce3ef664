"""The benchmark: the registry beside Datasette at its best and a bare ASGI app, on the same data.

    .venv/bin/python bench/run.py [--reports 200000,1000000] [--postgres URL] [--out FILE]

For each size in `--reports`, one run builds a synthetic registry with `ksopn demo-data`
(timed: the bulk import), serves it with one uvicorn worker on SQLite (and on PostgreSQL
when a server URL is given; a scratch database is made there and dropped), beside a second
registry on the same SQLite file with its fast paths off (`KSOPN_FAST_PATHS=0`, the
"before"), a hello-world ASGI app on the same uvicorn, and Datasette on the same SQLite file
in immutable mode, at its own best setting (one SQL thread) and at its default. wrk drives
every target in interleaved rounds: the year list on one URL, on a long-tail mix of
thousands of URLs (bench/url_mix.lua) and with gzip, and the totals. Then it times the CSV
export and stage posts in rounds, each hot read's cost in process (bench/fixed_cost.py),
the floors under them (bench/floors.py: the same stack and database without the registry's
work), a crowd, single posts of growing size, and takes py-spy profiles. It prints every goal of
issue 25, met or missed, each figure as the median of the rounds with their range. Every
process it starts is stopped at the end. `make bench` runs it on 200,000 and 1,000,000
reports; `--quick` is the small version CI runs.
"""

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.http.pagination import encode_cursor

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DATASETTE = PROJECT / ".venv-bench" / "bin" / "datasette"
YEAR, LIMIT = 2018, 100
YEAR_QUERY = f"/api/v1/seizures?year={YEAR}&limit={LIMIT}"
# Datasette's page of a year: the registry's own year index, as SQL, through a canned query
# (short URLs, its parameters bound) and as SQL in the URL; its best of the two is the anchor.
DATASETTE_SQL = (
    "select r.* from seizure_report_years y join seizure_reports r on r.id = y.report_id "
    "where y.year = :year and y.report_id > :after order by y.report_id limit :limit"
)
DATASETTE_METADATA = {"databases": {"bench": {"queries": {"year_page": {"sql": DATASETTE_SQL}}}}}
# Datasette's own best setting (issue 25): one SQL thread; its default is 0.77-0.85x of it.
DATASETTE_BEST = ["--setting", "num_sql_threads", "1"]


def datasette_page(year: int, after: int, limit: int) -> str:
    query = {"year": year, "after": after, "limit": limit, "_shape": "array"}
    return "/bench/year_page.json?" + urlencode(query)


def registry_page(year: int, after: int, limit: int) -> str:
    """The registry's year list after report `after`, as its `next` links write it."""
    query: dict[str, str | int] = {"year": year, "limit": limit}
    if after:
        query["cursor"] = encode_cursor([after])
    return "/api/v1/seizures?" + urlencode(query)


DATASETTE_SQL_QUERY = "/bench.json?" + urlencode(
    {"sql": DATASETTE_SQL, "year": YEAR, "after": 0, "limit": LIMIT, "_shape": "array"}
)
# The long tail: every year in the data, these page sizes, and pages starting after reports
# spread evenly over each year (besides its first page), in a shuffled order.
MIX_LIMITS = (5, 10, 20, 25, 50, 100)
MIX_CURSORS = 15
GZIP = ["-H", "Accept-Encoding: gzip"]
PY_SPY = PROJECT / ".venv-bench" / "bin" / "py-spy"
PROFILE_SECONDS = 15
TOTALS_QUERY = "/api/v1/seizures/totals?group_by=year,substance"
STRICT = True  # any error fails the run; a full run reports them in its tables instead


@dataclass
class Target:
    name: str
    url: str
    connections: int | None = None  # None: the run's --connections
    extra: list[str] = field(default_factory=list)  # wrk's arguments: a script, headers
    results: list[dict[str, float]] = field(default_factory=list)

    def values(self, metric: str) -> list[float]:
        return [result[metric] for result in self.results]

    def median(self, metric: str) -> float:
        return statistics.median(self.values(metric))


def spread(values: list[float], spec: str = ",.0f") -> str:
    """The median of the rounds, with their range when there are several."""
    median = f"{statistics.median(values):{spec}}"
    if len(values) < 2:
        return median
    return f"{median} ({min(values):{spec}}-{max(values):{spec}})"


def ratios(faster: Target, slower: Target) -> list[float]:
    """Requests/s of one target over another's, round by round (their runs were neighbours)."""
    return [a / b for a, b in zip(faster.values("rps"), slower.values("rps"), strict=True)]


class Processes:
    """Starts servers and makes sure each one is stopped, whatever happens."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            args,
            cwd=PROJECT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.running.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.terminate()
        for process in self.running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"{url} exited with {process.returncode}: {error[-2000:]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {seconds} s")


def uvicorn(processes: Processes, app: str, port: int, env: dict[str, str]) -> str:
    args = [str(BIN / "uvicorn"), app, "--host", "127.0.0.1", "--port", str(port)]
    args += ["--workers", "1", "--log-level", "warning", "--no-access-log"]
    if app == "app.main:create_app":
        args.append("--factory")
    process = processes.start(args, env)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url + ("/healthz" if "create_app" in app else "/"), process)
    return url


def demo_data(url: str, reports: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "ksopn"), "demo-data", "--url", url, "--reports", str(reports)],
        cwd=PROJECT,
        check=True,
        env={**os.environ, "KSOPN_DATABASE_URL": "sqlite:///unused-by-demo-data.sqlite3"},
    )
    return time.perf_counter() - started


def settle(url: str) -> None:
    """After the timed import, what a database's own experts do after a bulk load, so that
    no measurement shares the machine with the database catching up: PostgreSQL's VACUUM
    ANALYZE (else autovacuum visits the million new rows while the first targets run),
    SQLite's checkpoint of its write-ahead log into the database file."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("VACUUM ANALYZE"))
            else:
                connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    finally:
        engine.dispose()


def posting(key: str) -> list[str]:
    """wrk's arguments for stage posts (bench/post_stage.lua) with an editor's key."""
    script = str(PROJECT / "bench" / "post_stage.lua")
    headers = [f"Authorization: Bearer {key}", "Content-Type: application/json"]
    return ["-s", script, "-H", headers[0], "-H", headers[1]]


def editor_key(database_url: str) -> str:
    result = subprocess.run(
        [
            str(BIN / "ksopn"),
            "keys",
            "create",
            "--role",
            "editor",
            "--name",
            f"bench-{uuid.uuid4().hex[:6]}",
        ],
        cwd=PROJECT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "KSOPN_DATABASE_URL": database_url},
    )
    return result.stdout.strip().splitlines()[-1]


def wrk(
    url: str, seconds: float, connections: int, extra: list[str] | None = None
) -> dict[str, float]:
    threads = min(2, connections)
    args = ["wrk", "--latency", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
            "--timeout", "10s"]  # fmt: skip
    # A script's own arguments come after the URL, behind `--`.
    options, dashes, script_args = list(extra or []), [], []
    if "--" in options:
        at = options.index("--")
        options, dashes, script_args = options[:at], ["--"], options[at + 1 :]
    output = subprocess.run(
        [*args, *options, url, *dashes, *script_args], capture_output=True, text=True, check=True
    ).stdout
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    result = {
        "rps": float(_found(r"Requests/sec:\s+([\d.]+)", output)),
        "errors": float(int(failed.group(1)) if failed else 0)
        + float(sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }
    if result["errors"] and STRICT:
        raise RuntimeError(f"{url} answered with errors under load:\n{output}")
    for percentile in ("50", "99"):
        match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if match is None:
            raise RuntimeError(f"no {percentile}th percentile in wrk's output:\n{output}")
        value, unit = float(match.group(1)), match.group(2)
        result[f"p{percentile}_ms"] = value * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    return result


def _found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f"{pattern!r} not in:\n{text}")
    return match.group(1)


def csv_export(url: str, pid: int) -> dict[str, float]:
    started = time.perf_counter()
    rows = 0
    # Uncompressed: the export's own speed (compression is the client's choice).
    identity = {"Accept-Encoding": "identity"}
    with httpx.stream(
        "GET", f"{url}/api/v1/seizures?format=csv", headers=identity, timeout=600
    ) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            rows += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    return {"rows": rows - 1, "seconds": elapsed, "rows_per_s": (rows - 1) / elapsed,
            "peak_rss_mb": peak_rss_mb(pid)}  # fmt: skip


CROWD_QUERY = "/api/v1/bodies"
CROWD = 400  # concurrent readers: the burst that once stopped a server (issue 20)
POST_SIZES = (10, 100, 1000)  # seizure reports in one stage post, all of one substance and period


def crowd(url: str, seconds: float, pid: int) -> dict[str, float]:
    """400 connections reading at once, and the server's peak memory afterwards."""
    result = wrk(url + CROWD_QUERY, seconds, CROWD)
    return result | {"peak_rss_mb": peak_rss_mb(pid)}


def post_costs(url: str, key: str, pid: int) -> dict[int, dict[str, float]]:
    """The time of one stage post of 10, 100 and 1,000 reports alike (one substance and
    period: every pair of them a possible double count, the case that once grew with the
    square), and the server's peak memory after each."""
    costs = {}
    headers = {"Authorization": f"Bearer {key}"}
    alike = {"substance": "heroin", "quantity": "5 kg", "country": "KAZ"}
    for size in POST_SIZES:
        body = {"number": 900_000_000 + size + int(time.time()) % 100_000 * 1_000,
                "start_on": "2024-06-10", "end_on": "2024-06-21", "locator": "¶8",
                "source": "mvd-ksopn-15-years-2020", "participants": ["KAZ"],
                "seizures": [alike] * size}  # fmt: skip
        started = time.perf_counter()
        response = httpx.post(
            f"{url}/api/v1/operations/grom/stages", json=body, headers=headers, timeout=600
        )
        elapsed = time.perf_counter() - started
        if response.status_code != 201:
            raise RuntimeError(f"a post of {size} reports: {response.status_code} {response.text}")
        costs[size] = {"seconds": elapsed, "peak_rss_mb": peak_rss_mb(pid)}
    return costs


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(_found(r"VmHWM:\s+(\d+) kB", status)) / 1024


def server_pid(port: int) -> int:
    """The uvicorn worker that listens on `port` (uvicorn with one worker is one process)."""
    output = subprocess.run(
        ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout
    return int(_found(r"pid=(\d+)", output))


@contextlib.contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    name = f"ksopn_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    memory = int(_found(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()))
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory / 1024 / 1024:.0f} GiB RAM, "
        f"Linux {platform.release()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def datasette(processes: Processes, sqlite_file: Path, settings: list[str]) -> str:
    """Datasette on the registry's SQLite file (immutable), with the year page canned."""
    metadata = sqlite_file.with_name("datasette.json")
    metadata.write_text(json.dumps(DATASETTE_METADATA), encoding="utf-8")
    port = free_port()
    process = processes.start(
        [str(DATASETTE), "serve", "-i", str(sqlite_file), "--port", str(port),
         "--metadata", str(metadata), *settings]
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url + "/-/versions.json", process)
    return url


def url_mixes(sqlite_file: Path, folder: Path) -> tuple[Path, Path, int]:
    """The long-tail mix (`MIX_LIMITS`, `MIX_CURSORS`), as two files of paths that
    bench/url_mix.lua cycles through: the registry's pages and Datasette's same pages."""
    with contextlib.closing(sqlite3.connect(f"file:{sqlite_file}?mode=ro", uri=True)) as db:
        years = [year for (year,) in db.execute("SELECT DISTINCT year FROM seizure_report_years")]
        pages = []
        for year in years:
            ids = [i for (i,) in db.execute(
                "SELECT report_id FROM seizure_report_years WHERE year = ? ORDER BY report_id",
                (year,),
            )]  # fmt: skip
            steps = range(1, MIX_CURSORS + 1)
            afters = {0} | {ids[len(ids) * k // (MIX_CURSORS + 1)] for k in steps}
            pages += [(year, after, limit) for after in sorted(afters) for limit in MIX_LIMITS]
    random.Random(1).shuffle(pages)
    registry, anchor = folder / "mix-registry.txt", folder / "mix-datasette.txt"
    registry.write_text("".join(registry_page(*page) + "\n" for page in pages), encoding="utf-8")
    anchor.write_text("".join(datasette_page(*page) + "\n" for page in pages), encoding="utf-8")
    return registry, anchor, len(pages)


def mix(paths: Path) -> list[str]:
    """wrk's arguments that make it cycle through a file of paths (bench/url_mix.lua)."""
    return ["-s", str(PROJECT / "bench" / "url_mix.lua"), "--", str(paths)]


def check_mix(base: str, paths: Path, sample: int = 30) -> None:
    """A sample of the mix's URLs answers 200 (wrk counts errors, but says nothing of which)."""
    lines = paths.read_text(encoding="utf-8").split()
    for path in lines[:: max(1, len(lines) // sample)]:
        response = httpx.get(base + path, timeout=30)
        if response.status_code != 200:
            raise RuntimeError(f"{base}{path}: {response.status_code} {response.text[:500]}")


def compressed(url: str) -> bool:
    """Whether the server gzips this answer for a client that asks for it."""
    response = httpx.get(url, headers={"Accept-Encoding": "gzip"}, timeout=30)
    response.raise_for_status()
    return bool(response.headers.get("content-encoding") == "gzip")


# The row in the middle of a table by id: the record and the stage the hot reads ask for.
MIDDLE = "SELECT id FROM {0} ORDER BY id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM {0})"

# The first stage that holds no report: its read is a stage's fixed cost (its row, parties,
# results and claims), apart from the cost of each report that the middle one adds.
NO_REPORTS = (
    "SELECT min(id) FROM stages WHERE NOT EXISTS "
    "(SELECT 1 FROM seizure_reports WHERE seizure_reports.stage_id = stages.id)"
)


def hot_reads(database_url: str) -> dict[str, str]:
    """The hot reads whose cost in process is a goal: a record and a stage from the middle,
    and a stage without reports (none where every stage holds some)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            report = connection.execute(text(MIDDLE.format("seizure_reports"))).scalar_one()
            stage = connection.execute(text(MIDDLE.format("stages"))).scalar_one()
            empty = connection.execute(text(NO_REPORTS)).scalar_one()
    finally:
        engine.dispose()
    reads = {
        "the year list": YEAR_QUERY,
        "the totals": TOTALS_QUERY,
        "a record": f"/api/v1/seizures/{report}",
        "a stage": f"/api/v1/stages/{stage}",
        "a stage without reports": f"/api/v1/stages/{empty}",
        "the front page": "/",
    }
    if empty is None:
        del reads["a stage without reports"]
    return reads


def in_process(
    database_url: str,
    reads: dict[str, str],
    seconds: float,
    rounds: int,
    env: dict[str, str],
    first_reads: bool = False,
) -> dict[str, list[float]]:
    """Microseconds per request of each hot read, each round's, by bench/fixed_cost.py;
    `first_reads`: none given an answer kept for an earlier request."""
    command = [str(BIN / "python"), str(PROJECT / "bench" / "fixed_cost.py"), database_url,
               *reads.values(), "--seconds", str(seconds), "--rounds", str(rounds),
               *(["--first-reads"] if first_reads else [])]  # fmt: skip
    done = subprocess.run(
        command, cwd=PROJECT, capture_output=True, text=True, env={**os.environ, **env}
    )
    if done.returncode:
        raise RuntimeError(f"bench/fixed_cost.py failed:\n{done.stderr[-3000:]}")
    micros = json.loads(done.stdout)
    return {name: micros[path] for name, path in reads.items()}


def floors_of(
    database_url: str, reads: dict[str, str], seconds: float, rounds: int, quick: bool
) -> dict[str, Any]:
    """bench/floors.py's floors on this database: the same stack and database with none
    of the registry's work, for the report and the stage of `reads` (`hot_reads`)."""
    ids = {what: reads[f"a {what}"].rsplit("/", 1)[1] for what in ("record", "stage")}
    command = [str(BIN / "python"), str(PROJECT / "bench" / "floors.py"), database_url,
               "--seconds", str(seconds), "--rounds", str(rounds),
               "--posts", "100" if quick else "400",
               "--report", ids["record"], "--stage", ids["stage"]]  # fmt: skip
    done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"bench/floors.py failed:\n{done.stderr[-3000:]}")
    floors: dict[str, Any] = json.loads(done.stdout)
    return floors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reports", default="200000,1000000", help="sizes, comma-separated: a run for each"
    )
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a scratch database is made)")
    parser.add_argument("--seconds", type=float, default=10, help="per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--out", type=Path, help="write the results as Markdown here")
    parser.add_argument("--quick", action="store_true", help="20,000 reports, short runs (CI)")
    args = parser.parse_args()
    global STRICT, PROFILE_SECONDS
    STRICT = args.quick
    sizes = [int(size) for size in str(args.reports).split(",")]
    if args.quick:
        sizes, args.seconds, args.rounds = [20_000], 1, 2
        PROFILE_SECONDS = 2
    for tool in ("wrk", str(DATASETTE)):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run `make bench-tools`")
    print(heading(args, sizes), flush=True)  # each size's section follows as it is done
    sections = []
    for reports in sizes:
        processes = Processes()
        with (
            tempfile.TemporaryDirectory(prefix="ksopn-bench-") as folder,
            contextlib.ExitStack() as stack,
        ):
            stack.callback(processes.stop_all)
            sections.append(run(args, reports, processes, Path(folder), stack))
        print(sections[-1], flush=True)
    analysis = (PROJECT / "bench" / "analysis.md").read_text(encoding="utf-8")
    report = heading(args, sizes) + "".join(sections) + "\n" + analysis
    print(analysis)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")


def run(
    args: argparse.Namespace,
    reports: int,
    processes: Processes,
    folder: Path,
    stack: contextlib.ExitStack,
) -> str:
    sqlite_file = folder / "bench.sqlite3"
    databases = {"SQLite": f"sqlite:///{sqlite_file}"}
    if args.postgres:
        databases["PostgreSQL"] = stack.enter_context(scratch_postgres(args.postgres))
    imports = {name: demo_data(url, reports) for name, url in databases.items()}
    for url in databases.values():
        settle(url)
    # Chosen before the posts below add stages of their own (one of a thousand reports).
    reads = {name: hot_reads(url) for name, url in databases.items()}
    registries = {
        name: uvicorn(processes, "app.main:create_app", free_port(), {"KSOPN_DATABASE_URL": url})
        for name, url in databases.items()
    }
    # The "before": the same registry on the same file with its fast paths off.
    before_env = {"KSOPN_DATABASE_URL": databases["SQLite"], "KSOPN_FAST_PATHS": "0"}
    before = uvicorn(processes, "app.main:create_app", free_port(), before_env)
    hello = uvicorn(processes, "bench.hello:app", free_port(), {})
    best, default = (datasette(processes, sqlite_file, s) for s in (DATASETTE_BEST, []))
    registry_mix, datasette_mix, mix_size = url_mixes(sqlite_file, folder)
    for url in registries.values():
        check_mix(url, registry_mix)
    check_mix(best, datasette_mix)

    one = [Target(f"registry on {name}", url + YEAR_QUERY) for name, url in registries.items()]
    one += [
        Target("registry on SQLite, fast paths off (KSOPN_FAST_PATHS=0)", before + YEAR_QUERY),
        Target("Datasette at its best: one SQL thread, canned query",
               best + datasette_page(YEAR, 0, LIMIT)),
        Target("Datasette, one SQL thread, the SQL in the URL", best + DATASETTE_SQL_QUERY),
        Target("Datasette, default settings, canned query",
               default + datasette_page(YEAR, 0, LIMIT)),
        Target("registry on SQLite, /healthz (one query, no dependencies)",
               registries["SQLite"] + "/healthz"),
        Target("hello-world ASGI (the stack's ceiling)", hello + "/"),
    ]  # fmt: skip
    mixed = [
        Target(f"registry on {name}", url + "/api/v1/seizures", extra=mix(registry_mix))
        for name, url in registries.items()
    ]
    mixed.append(Target("Datasette at its best", best + "/bench", extra=mix(datasette_mix)))
    gzipped = [
        Target(f"registry on {name}", url + YEAR_QUERY, extra=GZIP)
        for name, url in registries.items()
    ]
    best_page = best + datasette_page(YEAR, 0, LIMIT)
    gzipped.append(Target("Datasette at its best", best_page, extra=GZIP))
    for target in gzipped:
        target.name += " (gzips)" if compressed(target.url) else " (answers uncompressed)"
    # Totals also at one connection: the latency of a lone request, without the queueing
    # that four connections on one worker add.
    totals = [
        Target(f"totals on {name}", url + TOTALS_QUERY, connections)
        for name, url in registries.items()
        for connections in (args.connections, 1)
    ]
    every = one + mixed + gzipped + totals
    for target in every:  # the run's connections where none are set (the tables show them)
        target.connections = target.connections or args.connections
    for target in every:  # warm-up: caches, connection pools, imports
        wrk(target.url, 1, target.connections or args.connections, target.extra)
    for _ in range(args.rounds):
        for target in every:
            connections = target.connections or args.connections
            target.results.append(wrk(target.url, args.seconds, connections, target.extra))

    pids = {name: server_pid(int(url.rsplit(":", 1)[1])) for name, url in registries.items()}
    exports: dict[str, list[dict[str, float]]] = {name: [] for name in registries}
    posts: dict[str, list[dict[str, float]]] = {name: [] for name in registries}
    keys = {name: editor_key(databases[name]) for name in registries}
    for _ in range(args.rounds):  # the databases take turns, round after round
        for name, url in registries.items():
            exports[name].append(csv_export(url, pids[name]))
            posts[name].append(
                wrk(f"{url}/api/v1/operations/grom/stages", args.seconds, 2, posting(keys[name]))
            )
    for name, runs in exports.items():
        if any(export["rows"] < reports for export in runs):
            raise RuntimeError(f"the CSV export on {name} gave {runs[0]['rows']} rows")
    crowds, costs = {}, {}
    for name, url in registries.items():
        crowds[name] = crowd(url, args.seconds, pids[name])
        costs[name] = post_costs(url, editor_key(databases[name]), pids[name])

    seconds = 0.25 if args.quick else 1.0
    costs_in_process = {}
    for name, url in databases.items():
        costs_in_process[name] = in_process(url, reads[name], seconds, args.rounds + 2, {})
        costs_in_process[f"{name}, first reads"] = in_process(
            url, reads[name], seconds, args.rounds + 2, {}, first_reads=True
        )
        if name == "SQLite":
            off = {"KSOPN_FAST_PATHS": "0"}
            costs_in_process["SQLite, fast paths off"] = in_process(
                url, reads[name], seconds, args.rounds + 2, off
            )
    floors = {
        name: floors_of(url, reads[name], seconds, args.rounds, args.quick)
        for name, url in databases.items()
    }
    before_pid = server_pid(int(before.rsplit(":", 1)[1]))
    profiled = profiles(registries["SQLite"], pids["SQLite"], before, before_pid, keys["SQLite"])
    measured = Measured(
        args, reports, mix_size, one, mixed, gzipped, totals, exports, posts, imports, crowds,
        costs, costs_in_process, floors,
    )  # fmt: skip
    return markdown(measured) + profiled


@dataclass(frozen=True)
class Measured:
    """What one run measured, for its tables."""

    args: argparse.Namespace
    reports: int
    mix_size: int
    one: list[Target]  # the year list on one URL, beside the anchors
    mixed: list[Target]  # the year list on the long-tail mix
    gzipped: list[Target]
    totals: list[Target]
    exports: dict[str, list[dict[str, float]]]
    posts: dict[str, list[dict[str, float]]]
    imports: dict[str, float]
    crowds: dict[str, dict[str, float]]
    post_costs: dict[str, dict[int, dict[str, float]]]
    in_process: dict[str, dict[str, list[float]]]
    floors: dict[str, dict[str, Any]]  # bench/floors.py's, per database

    def target(self, group: list[Target], name: str) -> Target | None:
        return next((t for t in group if t.name.startswith(name)), None)

    @property
    def best(self) -> Target:
        """Datasette's best on one URL: the faster of its one-thread targets, by median."""
        one_thread = [t for t in self.one if t.name.startswith("Datasette") and "one SQL" in t.name]
        return max(one_thread, key=lambda t: t.median("rps"))


def heading(args: argparse.Namespace, sizes: list[int]) -> str:
    command = "bench/run.py " + " ".join(sys.argv[1:])
    return "\n".join([
        "# Benchmarks",
        "",
        f"- Machine: {machine()}",
        f"- Command: `.venv/bin/python {command.strip()}`",
        f"- Data: {', '.join(f'{n:,}' for n in sizes)} seizure reports from `ksopn demo-data`; "
        f"wrk, {args.connections} connections, {args.seconds:g} s per run, {args.rounds} "
        "interleaved round(s); each figure is the median of the rounds, their range in "
        "brackets; one uvicorn worker per server.",
        "",
    ]) + "\n"  # fmt: skip


def _wrk_table(targets: list[Target], anchor: Target | None) -> list[str]:
    """wrk's figures; with an anchor, each target's requests/s over the anchor's too
    (without: the totals, which Datasette has no page for)."""
    head = "| target | connections | requests/s | p50 ms | p99 ms |"
    rule = "| --- | ---: | ---: | ---: | ---: |"
    if anchor:
        head, rule = head + " × Datasette's best |", rule + " ---: |"
    lines = [head, rule]
    for target in targets:
        ratio = f" {spread(ratios(target, anchor), '.2f')} |" if anchor else ""
        lines.append(
            f"| {target.name} | {target.connections} | {spread(target.values('rps'))} | "
            f"{spread(target.values('p50_ms'), '.2f')} | "
            f"{spread(target.values('p99_ms'), '.2f')} |{ratio}"
        )
    return lines


def markdown(m: Measured) -> str:
    mix_anchor = m.mixed[-1]
    lines = [
        f"## {m.reports:,} reports",
        "",
        f"### `GET {YEAR_QUERY}` beside the anchors",
        "",
        *_wrk_table(m.one, m.best),
        "",
        f"Datasette serves the same SQLite file, immutable: `{DATASETTE_SQL}`, as the canned "
        "query `year_page` and as SQL in the URL, with `_shape=array`; at its best with "
        "`--setting num_sql_threads 1`. × Datasette's best: round by round, against the "
        f"faster of its one-thread targets ({m.best.name}).",
        "",
        f"### The year list on a long-tail mix of {m.mix_size:,} URLs",
        "",
        *_wrk_table(m.mixed, mix_anchor),
        "",
        f"Every year in the data, `limit` of {', '.join(map(str, MIX_LIMITS))}, and the first "
        f"page or one after each of {MIX_CURSORS} reports spread over the year (the registry's "
        "`cursor`, Datasette's `after`), shuffled; wrk cycles through them (bench/url_mix.lua), "
        "each thread from its own place, every request with a header of its own "
        "(`x-bench-request`), so that the registry gives no answer it kept for an earlier "
        "request of the same URL: first reads only.",
        "",
        "### The year list with `Accept-Encoding: gzip`",
        "",
        *_wrk_table(m.gzipped, m.gzipped[-1]),
        "",
        f"### Totals: `GET {TOTALS_QUERY}`",
        "",
        *_wrk_table(m.totals, None),
        "",
        "### Each hot read in process, µs per request",
        "",
        "bench/fixed_cost.py: the app as `ksopn serve` builds it, called directly "
        "(`await app(scope, receive, send)`, one request after another on uvloop): everything "
        "from the app's first middleware to its last byte, nothing subtracted; no HTTP "
        "parsing, no socket. A read asked again at the same data version is given the answer "
        'kept for it (app/http/kept_answers.py); in the "first reads" columns each request '
        "carries a header of its own, so that none is.",
        "",
        "| read | " + " | ".join(m.in_process) + " |",
        "| --- |" + " ---: |" * len(m.in_process),
    ]
    reads = next(iter(m.in_process.values()))
    for read in reads:
        cells = [spread(micros[read]) for micros in m.in_process.values()]
        lines.append(f"| {read} | " + " | ".join(cells) + " |")
    lines += floors_table(m)
    lines += ["", "### CSV export of every report, stage posts, bulk import", "",
              "| database | CSV rows | CSV rows/s | server peak RSS MB "
              "| stage posts/s (10 reports each) | `ksopn demo-data` s |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for name, exports in m.exports.items():
        posts = m.posts[name]
        errors = sum(post["errors"] for post in posts)
        lines.append(
            f"| {name} | {exports[-1]['rows']:,.0f} | "
            f"{spread([e['rows_per_s'] for e in exports])} | "
            f"{max(e['peak_rss_mb'] for e in exports):.0f} | "
            f"{spread([p['rps'] for p in posts], ',.1f')} ({errors:.0f} errors) | "
            f"{m.imports[name]:.1f} |"
        )
    lines += ["", f"### A crowd: {CROWD} readers at once on `{CROWD_QUERY}`", "",
              "| database | requests/s | p50 ms | p99 ms | errors | server peak RSS MB |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for name, result in m.crowds.items():
        lines.append(
            f"| {name} | {result['rps']:,.0f} | {result['p50_ms']:.1f} | {result['p99_ms']:.1f} "
            f"| {result['errors']:.0f} | {result['peak_rss_mb']:.0f} |"
        )
    lines += ["", "### One stage post of N reports alike (one substance and period)", "",
              "| database | " + " | ".join(f"{n:,} reports: s, peak RSS MB" for n in POST_SIZES)
              + " |", "| --- |" + " ---: |" * len(POST_SIZES)]  # fmt: skip
    for name, costs in m.post_costs.items():
        cells = [f"{c['seconds']:.2f} s, {c['peak_rss_mb']:.0f} MB" for c in costs.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += goals(m)
    return "\n".join(lines) + "\n"


def floors_table(m: Measured) -> list[str]:
    """The floors (bench/floors.py) beside the registry's own figures of the same run."""
    names = list(m.floors)
    lines = [
        "",
        "### The floors: the same stack and database with none of the registry's work",
        "",
        "bench/floors.py, after the reads above, on each database. Reads: a FastAPI route "
        "timed as bench/fixed_cost.py times the registry. The stage `make bench` reads: "
        "statements on one driver connection. Posts: the bench's stage post validated by a "
        "Pydantic model and written as eleven rows in a worker thread, committed; no key, "
        "audit, history, derived tables or answer (httpx's ASGI transport, two at a time; "
        "the registry's stage posts above went through uvicorn).",
        "",
        "| floor | " + " | ".join(names) + " |",
        "| --- |" + " ---: |" * len(names),
    ]
    first = m.floors[names[0]]
    for read in first["reads"]:
        cells = [spread(m.floors[name]["reads"][read]) for name in names]
        lines.append(f"| a read, µs: {read} | " + " | ".join(cells) + " |")
    stage = first["stage"]
    of = f"{stage['reports']:,} reports, an answer of {stage['answer_bytes']:,} bytes"
    for part in [key for key in stage if key not in ("stage", "reports", "answer_bytes")]:
        cells = [spread(m.floors[name]["stage"][part]) for name in names]
        lines.append(f"| a stage ({of}), µs: {part} | " + " | ".join(cells) + " |")
    for what, spec in (("posts/s", ",.0f"), ("CPU ms a post", ".2f")):
        cells = [spread(m.floors[name]["posts"][what], spec) for name in names]
        lines.append(f"| a stage post of 10 reports: {what} | " + " | ".join(cells) + " |")
    return lines


Goal = tuple[str, list[float] | None, str, bool | None]  # what, measured, how shown, met


def goals(m: Measured) -> list[str]:
    """Each goal of issue 25 beside what this run measured: met, missed, or not measured
    (PostgreSQL without `--postgres`)."""
    rows: list[Goal] = []

    def ratio_goal(what: str, target: Target | None, anchor: Target, least: float) -> None:
        if target is None:
            rows.append((what, None, "", None))
            return
        per_round = ratios(target, anchor)
        rows.append((what, per_round, ".2f", statistics.median(per_round) >= least))

    def below(what: str, values: list[float] | None, most: float, spec: str) -> None:
        met = None if values is None else statistics.median(values) < most
        rows.append((what, values, spec, met))

    def at_least(what: str, values: list[float] | None, least: float, spec: str) -> None:
        met = None if values is None else statistics.median(values) >= least
        rows.append((what, values, spec, met))

    mix_anchor, gzip_anchor = m.mixed[-1], m.gzipped[-1]
    for name in ("SQLite", "PostgreSQL"):
        registry = f"registry on {name}"
        single, mixed = m.target(m.one, registry), m.target(m.mixed, registry)
        gzipped = m.target(m.gzipped, registry)
        least = 3.0 if name == "SQLite" else 1.5
        ratio_goal(
            f"year list ≥ {least:g}× Datasette's best on SQLite, one URL ({name})",
            single,
            m.best,
            least,
        )
        ratio_goal(
            f"year list ≥ {least:g}× Datasette's best on SQLite, URL mix ({name})",
            mixed,
            mix_anchor,
            least,
        )
        if name == "SQLite":
            ratio_goal(
                "year list ≥ 2× Datasette's best, both asked for gzip (SQLite)",
                gzipped,
                gzip_anchor,
                2.0,
            )
        for label, target in (("one URL", single), ("URL mix", mixed), ("gzip", gzipped)):
            below(
                f"year list p99 < 10 ms at {m.args.connections} connections, {label} ({name})",
                target.values("p99_ms") if target else None,
                10,
                ".1f",
            )
    for name in ("SQLite", "SQLite, first reads", "PostgreSQL", "PostgreSQL, first reads"):
        costs = m.in_process.get(name)
        for read in hot_reads_names(m):
            below(
                f"{read} in process < 500 µs ({name})", costs[read] if costs else None, 500, ",.0f"
            )
    for name in ("SQLite", "PostgreSQL"):
        exports = m.exports.get(name)
        at_least(
            f"CSV export ≥ 200,000 rows/s ({name})",
            [e["rows_per_s"] for e in exports] if exports else None,
            200_000,
            ",.0f",
        )
    for name, least in (("SQLite", 150), ("PostgreSQL", 100)):
        posts = m.posts.get(name)
        at_least(f"stage posts of 10 reports ≥ {least}/s ({name})",
                 [p["rps"] for p in posts] if posts else None, least, ".1f")  # fmt: skip
    lines = ["", f"### The goals of issue 25, {m.reports:,} reports", "",
             "| goal | measured: median (range) | |", "| --- | ---: | --- |"]  # fmt: skip
    for what, values, spec, met in rows:
        shown = "not measured (no `--postgres`)" if values is None else spread(values, spec)
        verdict = {True: "met", False: "**missed**", None: "not measured"}[met]
        lines.append(f"| {what} | {shown} | {verdict} |")
    return lines


def hot_reads_names(m: Measured) -> list[str]:
    return list(next(iter(m.in_process.values())))


def profile(title: str, load: list[str], pid: int) -> str:
    """Where a workload's time goes: py-spy samples the server while `load` (a command)
    runs, and the samples are summed twice: by the function they were in (its own time),
    and by each of the project's functions on the stack (its time with its callees')."""
    if not PY_SPY.exists():
        return "\n(no profile: py-spy is missing; `make bench-tools` installs it)\n"
    samples = Path(tempfile.mkdtemp()) / "profile.txt"
    # In a process group of its own, so that a shell loop's children stop with it.
    running = subprocess.Popen(load, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        subprocess.run(
            [str(PY_SPY), "record", "--pid", str(pid), "--duration", str(PROFILE_SECONDS),
             "--rate", "250", "--format", "raw", "--output", str(samples), "--nonblocking"],
            check=True, capture_output=True,
        )  # fmt: skip
    finally:
        os.killpg(running.pid, signal.SIGKILL)
        running.wait()
    own: dict[str, int] = {}
    within: dict[str, int] = {}
    total = 0
    for line in samples.read_text().splitlines():
        stack, _, samples_here = line.rpartition(" ")
        # A name with a line break in it splits its sample over two lines: the first part
        # has no count (a run of round nine stopped on one). Its samples are left out.
        if not samples_here.isdigit():
            continue
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        count = int(samples_here)
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            if "(app/" in frame:
                within[frame] = within.get(frame, 0) + count
        total += count
    lines = ["", f"#### {title}", "",
             "| own time | function | | with its callees | the project's function |",
             "| ---: | --- | --- | ---: | --- |"]  # fmt: skip
    busiest = sorted(own.items(), key=lambda item: -item[1])[:15]
    outer = sorted(within.items(), key=lambda item: -item[1])[:15]
    for (frame, share), (app_frame, app_share) in zip(busiest, outer, strict=False):
        lines.append(
            f"| {share / total:.1%} | `{frame}` | | {app_share / total:.1%} | `{app_frame}` |"
        )
    return "\n".join(lines) + "\n"


def profiles(url: str, pid: int, before: str, before_pid: int, key: str) -> str:
    """On SQLite: the year list with the fast paths off (the registry before them) and on,
    the CSV export and stage posts, each under its own load."""
    seconds = f"-d{PROFILE_SECONDS + 2}s"
    download = ["curl", "-s", "-o", "/dev/null", "-H", "Accept-Encoding: identity"]
    workloads = [
        ("Before: the year list under wrk -c4, fast paths off (`KSOPN_FAST_PATHS=0`)",
         ["wrk", "-t2", "-c4", seconds, before + YEAR_QUERY], before_pid),
        ("After: the year list under wrk -c4, as served",
         ["wrk", "-t2", "-c4", seconds, url + YEAR_QUERY], pid),
        ("The CSV export, downloaded again and again",
         ["sh", "-c", f"while :; do {' '.join(download)} '{url}/api/v1/seizures.csv'; done"], pid),
        ("Stage posts under wrk -c2",
         ["wrk", "-t1", "-c2", seconds, *posting(key), f"{url}/api/v1/operations/grom/stages"],
         pid),
    ]  # fmt: skip
    lines = ["", f"### Where the time goes (py-spy, {PROFILE_SECONDS} s each, SQLite)", "",
             "Shares of the samples in which a thread of the server was busy (idle threads and "
             "the event loop's waits left out): on the left the 15 functions the samples were "
             "in, on the right the 15 functions of the project found most often on the stack. "
             "The \"before\" is a second server on the same file with `KSOPN_FAST_PATHS=0`.",
             ""]  # fmt: skip
    return "\n".join(lines) + "".join(
        profile(title, load, server) for title, load, server in workloads
    )


if __name__ == "__main__":
    main()
