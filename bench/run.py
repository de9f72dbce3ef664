"""The benchmark: the registry beside Datasette and a bare ASGI app, on the same data.

    .venv/bin/python bench/run.py [--reports 1000000] [--postgres URL] [--out docs/benchmarks.md]

One run builds a synthetic registry with `ksopn demo-data` (timed: the bulk import), serves
it with one uvicorn worker on SQLite (and on PostgreSQL when a server URL is given; a
scratch database is made there and dropped), starts the anchors (a hello-world ASGI app on
the same uvicorn, and Datasette on the same SQLite file in immutable mode), drives every
target with wrk in interleaved rounds, then times totals, the CSV export (throughput and
the server's peak RSS) and stage posts. Every process it starts is stopped at the end.
`make bench` runs it on a million reports; `--quick` is the small version CI runs.
"""

import argparse
import contextlib
import os
import platform
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
from urllib.parse import urlencode

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DATASETTE = PROJECT / ".venv-bench" / "bin" / "datasette"
YEAR_QUERY = "/api/v1/seizures?year=2018&limit=100"
# Datasette twice: its table view filtering the periods (what a Datasette user would click),
# and, its best, the same page as canned SQL through the registry's own year index.
DATASETTE_TABLE_QUERY = (
    "/bench/seizure_reports.json?_shape=array&_size=100&_sort=id&_nocount=1"
    "&period_start__lte=2018-12-31&period_end__gte=2018-01-01"
)
DATASETTE_INDEX_SQL = (
    "select r.* from seizure_report_years y join seizure_reports r on r.id = y.report_id "
    "where y.year = 2018 order by y.report_id limit 100"
)
DATASETTE_BEST_QUERY = "/bench.json?" + urlencode({"sql": DATASETTE_INDEX_SQL, "_shape": "array"})
PY_SPY = PROJECT / ".venv-bench" / "bin" / "py-spy"
PROFILE_SECONDS = 15
FLOOR_QUERY = "/api/v1/countries?limit=1"
TOTALS_QUERY = "/api/v1/seizures/totals?group_by=year,substance"
STRICT = True  # any error fails the run; a full run reports them in its tables instead


@dataclass
class Target:
    name: str
    url: str
    connections: int | None = None  # None: the run's --connections
    results: list[dict[str, float]] = field(default_factory=list)

    def median(self, metric: str) -> float:
        return statistics.median(result[metric] for result in self.results)


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
    output = subprocess.run(
        [*args, *(extra or []), url], capture_output=True, text=True, check=True
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a scratch database is made)")
    parser.add_argument("--seconds", type=float, default=10, help="per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--out", type=Path, help="write the results as Markdown here")
    parser.add_argument("--quick", action="store_true", help="20,000 reports, short runs (CI)")
    args = parser.parse_args()
    global STRICT, PROFILE_SECONDS
    STRICT = args.quick
    if args.quick:
        args.reports, args.seconds, args.rounds = 20_000, 1, 1
        PROFILE_SECONDS = 2
    for tool in ("wrk", str(DATASETTE)):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run `make bench-tools`")
    processes = Processes()
    with (
        tempfile.TemporaryDirectory(prefix="ksopn-bench-") as folder,
        contextlib.ExitStack() as stack,
    ):
        stack.callback(processes.stop_all)
        report = run(args, processes, Path(folder), stack)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")


def run(
    args: argparse.Namespace, processes: Processes, folder: Path, stack: contextlib.ExitStack
) -> str:
    sqlite_file = folder / "bench.sqlite3"
    databases = {"SQLite": f"sqlite:///{sqlite_file}"}
    if args.postgres:
        databases["PostgreSQL"] = stack.enter_context(scratch_postgres(args.postgres))
    imports = {name: demo_data(url, args.reports) for name, url in databases.items()}
    for url in databases.values():
        settle(url)
    registries = {
        name: uvicorn(processes, "app.main:create_app", free_port(), {"KSOPN_DATABASE_URL": url})
        for name, url in databases.items()
    }
    hello = uvicorn(processes, "bench.hello:app", free_port(), {})
    datasette_port = free_port()
    datasette = processes.start(
        [str(DATASETTE), "serve", "-i", str(sqlite_file), "--port", str(datasette_port)]
    )
    datasette_url = f"http://127.0.0.1:{datasette_port}"
    wait_until_up(datasette_url + "/-/versions.json", datasette)

    targets = [Target(f"registry on {name}", url + YEAR_QUERY) for name, url in registries.items()]
    # The registry's floor: the smallest list it serves, through the same middleware,
    # dependencies and threads as the year list; no page of the year list can be faster.
    targets += [
        Target("registry on SQLite, /healthz (one query, no dependencies)",
               registries["SQLite"] + "/healthz"),
        Target("registry on SQLite, a one-row list (its floor)",
               registries["SQLite"] + FLOOR_QUERY),
    ]  # fmt: skip
    targets += [
        Target("Datasette, table filter on the periods", datasette_url + DATASETTE_TABLE_QUERY),
        Target(
            "Datasette at its best: SQL through the year index",
            datasette_url + DATASETTE_BEST_QUERY,
        ),
        Target("hello-world ASGI (ceiling)", hello + "/"),
    ]
    # Totals also at one connection: the latency of a lone request, without the queueing
    # that four connections on one worker add.
    totals = [
        Target(f"totals on {name}", url + TOTALS_QUERY, connections)
        for name, url in registries.items()
        for connections in (args.connections, 1)
    ]
    for target in targets + totals:  # warm-up: caches, connection pools, imports
        wrk(target.url, 1, target.connections or args.connections)
    for _ in range(args.rounds):
        for target in targets + totals:
            connections = target.connections or args.connections
            target.results.append(wrk(target.url, args.seconds, connections))

    exports = {
        name: csv_export(url, server_pid(int(url.rsplit(":", 1)[1])))
        for name, url in registries.items()
    }
    for name, export in exports.items():
        if export["rows"] != args.reports:
            raise RuntimeError(f"the CSV export on {name} gave {export['rows']} rows")
    posts = {}
    for name, url in registries.items():
        script = posting(editor_key(databases[name]))
        posts[name] = wrk(f"{url}/api/v1/operations/grom/stages", args.seconds, 2, script)
    crowds, costs = {}, {}
    for name, url in registries.items():
        pid = server_pid(int(url.rsplit(":", 1)[1]))
        crowds[name] = crowd(url, args.seconds, pid)
        costs[name] = post_costs(url, editor_key(databases[name]), pid)
    sqlite_url = registries["SQLite"]
    sqlite_pid = server_pid(int(sqlite_url.rsplit(":", 1)[1]))
    profiled = profiles(sqlite_url, sqlite_pid, editor_key(databases["SQLite"]))
    analysis = (PROJECT / "bench" / "analysis.md").read_text(encoding="utf-8")
    measured = Measured(args, targets, totals, exports, posts, imports, crowds, costs)
    return markdown(measured) + profiled + "\n" + analysis


@dataclass(frozen=True)
class Measured:
    """What one run measured, for its tables."""

    args: argparse.Namespace
    targets: list[Target]
    totals: list[Target]
    exports: dict[str, dict[str, float]]
    posts: dict[str, dict[str, float]]
    imports: dict[str, float]
    crowds: dict[str, dict[str, float]]
    post_costs: dict[str, dict[int, dict[str, float]]]


def markdown(m: Measured) -> str:
    datasette = max(t.median("rps") for t in m.targets if t.name.startswith("Datasette"))
    ceiling = next(t for t in m.targets if t.name.startswith("hello")).median("rps")
    command = "bench/run.py " + " ".join(sys.argv[1:])
    lines = [
        "# Benchmarks",
        "",
        f"- Machine: {machine()}",
        f"- Command: `.venv/bin/python {command.strip()}`",
        f"- Data: {m.args.reports:,} seizure reports from `ksopn demo-data`; wrk, "
        f"{m.args.connections} connections, {m.args.seconds:g} s per run, {m.args.rounds} "
        "interleaved round(s), medians shown; one uvicorn worker per server.",
        "",
        "## `GET /api/v1/seizures?year=2018&limit=100` beside the anchors",
        "",
        "| target | requests/s | p50 ms | p99 ms | × Datasette's best | share of the ceiling |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for target in m.targets:
        rps = target.median("rps")
        lines.append(
            f"| {target.name} | {rps:,.0f} | {target.median('p50_ms'):.2f} | "
            f"{target.median('p99_ms'):.2f} | {rps / datasette:.1f} | {rps / ceiling:.0%} |"
        )
    lines += ["", f"Datasette's table view: `{DATASETTE_TABLE_QUERY}`; at its best, the SQL "
              f"`{DATASETTE_INDEX_SQL}` with `_shape=array`.", "",
              "## Totals: `GET /api/v1/seizures/totals?group_by=year,substance`", "",
              "| target | connections | requests/s | p50 ms | p99 ms |",
              "| --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for target in m.totals:
        lines.append(
            f"| {target.name} | {target.connections} | {target.median('rps'):,.0f} | "
            f"{target.median('p50_ms'):.2f} | {target.median('p99_ms'):.2f} |"
        )
    lines += ["", "## CSV export of every report, stage posts, bulk import", "",
              "| database | CSV rows | CSV rows/s | server peak RSS MB "
              "| stage posts/s (10 reports each) | `ksopn demo-data` s |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for name, export in m.exports.items():
        lines.append(
            f"| {name} | {export['rows']:,.0f} | {export['rows_per_s']:,.0f} | "
            f"{export['peak_rss_mb']:.0f} | {m.posts[name]['rps']:,.0f} "
            f"({m.posts[name]['errors']:.0f} errors) | {m.imports[name]:.1f} |"
        )
    lines += ["", f"## A crowd: {CROWD} readers at once on `{CROWD_QUERY}`", "",
              "| database | requests/s | p50 ms | p99 ms | errors | server peak RSS MB |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for name, result in m.crowds.items():
        lines.append(
            f"| {name} | {result['rps']:,.0f} | {result['p50_ms']:.1f} | {result['p99_ms']:.1f} "
            f"| {result['errors']:.0f} | {result['peak_rss_mb']:.0f} |"
        )
    lines += ["", "## One stage post of N reports alike (one substance and period)", "",
              "| database | " + " | ".join(f"{n:,} reports: s, peak RSS MB" for n in POST_SIZES)
              + " |", "| --- |" + " ---: |" * len(POST_SIZES)]  # fmt: skip
    for name, costs in m.post_costs.items():
        cells = [f"{c['seconds']:.2f} s, {c['peak_rss_mb']:.0f} MB" for c in costs.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += goals(m, datasette)
    return "\n".join(lines) + "\n"


def goals(m: Measured, datasette: float) -> list[str]:
    """Each goal of the performance issue beside what this run measured."""
    year = next(t for t in m.targets if t.name == "registry on SQLite")
    busy_totals = next(t for t in m.totals if t.name == "totals on SQLite" and t.connections != 1)
    rows: list[tuple[str, str, bool]] = [
        ("year list ≥ 3× Datasette's best (SQLite)", f"{year.median('rps') / datasette:.2f}×",
         year.median("rps") >= 3 * datasette),
        ("year list p99 < 20 ms at 4 connections (SQLite)", f"{year.median('p99_ms'):.1f} ms",
         year.median("p99_ms") < 20),
        ("totals p50 < 25 ms at 4 connections (SQLite)", f"{busy_totals.median('p50_ms'):.1f} ms",
         busy_totals.median("p50_ms") < 25),
        ("CSV export ≥ 200,000 rows/s (SQLite)", f"{m.exports['SQLite']['rows_per_s']:,.0f}",
         m.exports["SQLite"]["rows_per_s"] >= 200_000),
        ("CSV export peak RSS < 200 MB (SQLite)", f"{m.exports['SQLite']['peak_rss_mb']:.0f} MB",
         m.exports["SQLite"]["peak_rss_mb"] < 200),
        ("stage posts ≥ 100/s (SQLite)", f"{m.posts['SQLite']['rps']:.0f}/s",
         m.posts["SQLite"]["rps"] >= 100),
    ]  # fmt: skip
    if "PostgreSQL" in m.posts:
        rows += [
            ("stage posts ≥ 60/s (PostgreSQL)", f"{m.posts['PostgreSQL']['rps']:.0f}/s",
             m.posts["PostgreSQL"]["rps"] >= 60),
            (f"`ksopn demo-data` {m.args.reports:,} < 60 s (PostgreSQL)",
             f"{m.imports['PostgreSQL']:.1f} s", m.imports["PostgreSQL"] < 60),
        ]  # fmt: skip
    for name in m.crowds:
        crowded, biggest = m.crowds[name], m.post_costs[name][POST_SIZES[-1]]
        rows += [
            (f"{CROWD} concurrent readers: no errors ({name})", f"{crowded['errors']:.0f}",
             crowded["errors"] == 0),
            (f"a post of {POST_SIZES[-1]:,} reports < 1 s ({name})", f"{biggest['seconds']:.2f} s",
             biggest["seconds"] < 1),
        ]  # fmt: skip
    lines = ["", "## The goals", "", "| goal | measured | |", "| --- | ---: | --- |"]
    lines += [f"| {goal} | {value} | {'met' if met else 'missed'} |" for goal, value, met in rows]
    return lines


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
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        count = int(samples_here)
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            if "(app/" in frame:
                within[frame] = within.get(frame, 0) + count
        total += count
    lines = ["", f"### {title}", "",
             "| own time | function | | with its callees | the project's function |",
             "| ---: | --- | --- | ---: | --- |"]  # fmt: skip
    busiest = sorted(own.items(), key=lambda item: -item[1])[:15]
    outer = sorted(within.items(), key=lambda item: -item[1])[:15]
    for (frame, share), (app_frame, app_share) in zip(busiest, outer, strict=False):
        lines.append(
            f"| {share / total:.1%} | `{frame}` | | {app_share / total:.1%} | `{app_frame}` |"
        )
    return "\n".join(lines) + "\n"


def profiles(url: str, pid: int, key: str) -> str:
    """The year list, the CSV export and stage posts on SQLite, each under its own load."""
    seconds = f"-d{PROFILE_SECONDS + 2}s"
    download = ["curl", "-s", "-o", "/dev/null", "-H", "Accept-Encoding: identity"]
    workloads = [
        ("The year list under wrk -c4", ["wrk", "-t2", "-c4", seconds, url + YEAR_QUERY]),
        ("The CSV export, downloaded again and again",
         ["sh", "-c", f"while :; do {' '.join(download)} '{url}/api/v1/seizures.csv'; done"]),
        ("Stage posts under wrk -c2",
         ["wrk", "-t1", "-c2", seconds, *posting(key), f"{url}/api/v1/operations/grom/stages"]),
    ]  # fmt: skip
    lines = ["", f"## Where the time goes (py-spy, {PROFILE_SECONDS} s each, SQLite)", "",
             "Shares of the samples in which a thread of the server was busy (idle threads and "
             "the event loop's waits left out): on the left the 15 functions the samples were "
             "in, on the right the 15 functions of the project found most often on the stack.",
             ""]  # fmt: skip
    return "\n".join(lines) + "".join(profile(title, load, pid) for title, load in workloads)


if __name__ == "__main__":
    main()
