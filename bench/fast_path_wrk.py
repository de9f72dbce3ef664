"""The year list under wrk -c4, fast path on and off, beside Datasette at its best (issue 25).

    .venv/bin/python bench/fast_path_wrk.py /path/to/demo.sqlite3 [--rounds 3] [--seconds 8]

Serves the demo database (from `ksopn demo-data`) three ways: the registry with its fast
paths, the registry with KSOPN_FAST_PATHS=0, and Datasette with one SQL thread (its best
setting) answering the same page as canned SQL through the registry's year index. Each is
driven on one URL and on a long tail of thousands of URLs (every year x limits x cursors,
cycled by a wrk Lua script; Datasette gets the same years, limits and cursors as SQL
parameters), with and without `Accept-Encoding: gzip`, in interleaved rounds. Prints the
median requests/s and p99 with their spread. Every process it starts is stopped.
"""

import argparse
import random
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.http.pagination import encode_cursor
from bench.run import (
    DATASETTE,
    DATASETTE_SQL_QUERY,
    Processes,
    free_port,
    uvicorn,
    wait_until_up,
    wrk,
)

Results = dict[tuple[str, ...], list[dict[str, float]]]
ONE_URL = "/api/v1/seizures?year=2018&limit=100"
PAGE_SQL = (
    "select r.* from seizure_report_years y join seizure_reports r on r.id = y.report_id "
    "where y.year = :year and y.report_id > :after order by y.report_id limit :size"
)
LIMITS = (10, 20, 50, 100)


def long_tail(count: int, last_id: int, seed: int = 25) -> list[tuple[int, int, int]]:
    """(year, limit, after) triples: every year of the demo data, limits, cursors."""
    rng = random.Random(seed)
    return [
        (rng.randrange(1996, 2025), rng.choice(LIMITS), rng.choice([0, rng.randrange(last_id)]))
        for _ in range(count)
    ]


def registry_path(year: int, limit: int, after: int) -> str:
    query = f"year={year}&limit={limit}"
    return f"/api/v1/seizures?{query}" + (f"&cursor={encode_cursor([after])}" if after else "")


def datasette_path(database: str, year: int, limit: int, after: int) -> str:
    params = {"sql": PAGE_SQL, "_shape": "array", "year": year, "after": after, "size": limit}
    return f"/{database}.json?" + urlencode(params)


def cycling_script(folder: Path, name: str, paths: list[str], gzip: bool) -> Path:
    lines = ",\n".join(f'  "{path}"' for path in paths)
    header = 'wrk.headers["Accept-Encoding"] = "gzip"\n' if gzip else ""
    script = folder / f"{name}-{'gzip' if gzip else 'plain'}.lua"
    script.write_text(
        f"{header}local paths = {{\n{lines}\n}}\nlocal i = math.random(#paths)\n"
        "request = function()\n  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i])\nend\n'
    )
    return script


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--urls", type=int, default=5000)
    args = parser.parse_args()
    url = f"sqlite:///{args.database.resolve()}"
    processes = Processes()
    try:
        servers = {
            "registry, fast path": uvicorn(
                processes, "app.main:create_app", free_port(), {"KSOPN_DATABASE_URL": url}
            ),
            "registry, FastAPI path": uvicorn(
                processes,
                "app.main:create_app",
                free_port(),
                {"KSOPN_DATABASE_URL": url, "KSOPN_FAST_PATHS": "0"},
            ),
        }
        port = free_port()
        datasette = processes.start(
            [
                str(DATASETTE),
                "serve",
                "-i",
                str(args.database),
                "--port",
                str(port),
                "--setting",
                "num_sql_threads",
                "1",
            ]
        )
        servers["Datasette at its best"] = f"http://127.0.0.1:{port}"
        wait_until_up(servers["Datasette at its best"] + "/-/versions.json", datasette)
        results = measure(args, servers)
    finally:
        processes.stop_all()
    report(results)


def measure(args: argparse.Namespace, servers: dict[str, str]) -> Results:
    tail = long_tail(args.urls, last_id=200_000)
    folder = Path(tempfile.mkdtemp(prefix="ksopn-fast-bench-"))
    targets: list[tuple[tuple[str, ...], str, list[str]]] = []
    for number, (name, base) in enumerate(servers.items()):
        is_datasette = name.startswith("Datasette")
        # Datasette names the database after its file (bench/run.py's is `bench`).
        database = args.database.stem
        one = DATASETTE_SQL_QUERY.replace("/bench.json", f"/{database}.json")
        if not is_datasette:
            one = ONE_URL
        paths = [datasette_path(database, *t) if is_datasette else registry_path(*t) for t in tail]
        for gzip in (False, True):
            coding = "gzip" if gzip else "identity"
            extra = ["-H", f"Accept-Encoding: {coding}"]
            targets.append(((name, "one URL", coding), base + one, extra))
            script = cycling_script(folder, f"server{number}", paths, gzip)
            targets.append(((name, "long tail", coding), base + "/", ["-s", str(script)]))
    for _key, target_url, extra in targets:  # warm-up
        wrk(target_url, 1, args.connections, extra)
    results: Results = {}
    for _ in range(args.rounds):
        for key, target_url, extra in targets:
            results.setdefault(key, []).append(
                wrk(target_url, args.seconds, args.connections, extra)
            )
    return results


def report(results: Results) -> None:
    print("| server | URLs | coding | req/s (median, spread) | p99 ms (median, spread) | × best |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    for (name, mix, coding), runs in results.items():
        rps = [run["rps"] for run in runs]
        p99 = [run["p99_ms"] for run in runs]
        best = statistics.median(r["rps"] for r in results[("Datasette at its best", mix, coding)])
        print(
            f"| {name} | {mix} | {coding} | {statistics.median(rps):,.0f} "
            f"({min(rps):,.0f}-{max(rps):,.0f}) | {statistics.median(p99):.1f} "
            f"({min(p99):.1f}-{max(p99):.1f}) | {statistics.median(rps) / best:.2f} |"
        )


if __name__ == "__main__":
    main()
