"""bench/fixed_cost.py for two checkouts side by side: runs of each, taking turns, so that a
busy moment of a shared machine falls on both alike.

    git archive main | tar -x -C /tmp/before
    .venv/bin/python bench/fixed_cost_versus.py /tmp/before DATABASE_URL PATH [PATH ...] \
        [--runs 3] [--first-reads]

Each run is a process of its own (`fixed_cost.py --rounds 2`) with that checkout's `app`
first on the path; this checkout is "after". Prints, per path, the median and the range of
the microseconds per request of every round of each.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

AFTER = Path(__file__).resolve().parent.parent


def _run(tree: Path, url: str, paths: list[str], first_reads: bool) -> dict[str, list[float]]:
    command = [sys.executable, str(tree / "bench" / "fixed_cost.py"), url, *paths, "--rounds", "2"]
    command += ["--first-reads"] if first_reads else []
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=True)
    micros: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return micros


def _summary(micros: list[float]) -> str:
    return f"{statistics.median(micros):,.0f} [{min(micros):,.0f}-{max(micros):,.0f}] µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="the other checkout")
    parser.add_argument("url")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--first-reads", action="store_true")
    args = parser.parse_args()
    trees = {"before": args.before, "after": AFTER}
    got: dict[str, dict[str, list[float]]] = {name: {p: [] for p in args.paths} for name in trees}
    for _ in range(args.runs):
        for name, tree in trees.items():
            for path, micros in _run(tree, args.url, args.paths, args.first_reads).items():
                got[name][path] += micros
    for path in args.paths:
        before, after = _summary(got["before"][path]), _summary(got["after"][path])
        print(f"{path} | before {before} | after {after}")


if __name__ == "__main__":
    main()
