"""Before/after on a busy machine: two source trees measured in alternation.

On a shared machine the load changes from minute to minute, so timing one tree and then
the other can show a difference that is only the neighbours'. This script alternates:
in-process ``recommend`` (bench_recommend.py, several rounds, each tree in its own
process, order swapped every round) and cold start (single runs, alternating). It
prints the median over rounds of each tree's median (and the lowest p99 and min).

Typical use, with the tree before a change exported from git:

    git archive <commit> src | tar -x -C /tmp/before
    python bench/compare_before_after.py --before /tmp/before/src

Run: python bench/compare_before_after.py --before PATH [--after PATH] [--rounds 6]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import FIXTURE, ROOT, SRC, machine_info

HERE = Path(__file__).resolve().parent


def recommend_round(src: Path, iterations: int, guideline: str) -> dict[str, object]:
    env = dict(os.environ, MMPATH_BENCH_SRC=str(src))
    command = [sys.executable, str(HERE / "bench_recommend.py"), "--json"]
    command += ["--guideline", guideline]
    command += ["--iterations", str(iterations), "--warmup", str(max(1, iterations // 10))]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def cold_run(src: Path, guideline: str = "nl-rrmm") -> float:
    env = dict(os.environ, PYTHONPATH=str(src))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, "-m", "mmpath", "recommend", str(FIXTURE)]
    command += ["--guideline", guideline, "--json"]
    start = time.perf_counter_ns()
    subprocess.run(command, env=env, cwd=ROOT, capture_output=True, check=True)
    return (time.perf_counter_ns() - start) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="src/ folder before")
    parser.add_argument("--after", type=Path, default=SRC, help="src/ folder after")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--iterations", type=int, default=5_000)
    parser.add_argument("--cold-runs", type=int, default=20)
    parser.add_argument("--guideline", default="nl-rrmm", help="a pack id, or all")
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}

    print(machine_info(("pydantic", "typer", "rich", "PyYAML")))
    print(f"guideline: {args.guideline}; load average at start: {os.getloadavg()}")
    for name, path in trees.items():
        print(f"{name}: {path}")

    rounds: dict[str, list[dict[str, object]]] = {name: [] for name in trees}
    digests: dict[str, set[str]] = {name: set() for name in trees}
    for r in range(args.rounds):
        order = list(trees) if r % 2 == 0 else list(reversed(trees))
        for name in order:
            result = recommend_round(trees[name], args.iterations, args.guideline)
            digests[name].add(str(result["sha256"]))
            rounds[name].append(result)
    print(
        f"\nin-process, {args.rounds} alternating rounds of {args.iterations:,} timed calls "
        "(median over rounds of each round's median; lowest p99 and min over rounds), µs"
    )
    print("| what | tree | median µs | best-round p99 µs | min µs |\n|---|---|---:|---:|---:|")
    labels = [row["label"] for row in rounds["before"][0]["rows"]]  # type: ignore[index]
    for i, label in enumerate(labels):
        for name in trees:
            rows = [result["rows"][i] for result in rounds[name]]  # type: ignore[index]
            median = statistics.median(row["median_us"] for row in rows)
            p99 = min(row["p99_us"] for row in rows)
            low = min(row["min_us"] for row in rows)
            print(f"| {label} | {name} | {median:,.1f} | {p99:,.1f} | {low:,.1f} |")
    same = digests["before"] == digests["after"] and len(digests["before"]) == 1
    print(f"output identical before/after (sha256 of the JSON): {'yes' if same else 'NO'}")

    for name in trees:  # unmeasured: writes bytecode, warms the file cache
        cold_run(trees[name], args.guideline)
    cold: dict[str, list[float]] = {name: [] for name in trees}
    for r in range(args.cold_runs):
        order = list(trees) if r % 2 == 0 else list(reversed(trees))
        for name in order:
            cold[name].append(cold_run(trees[name], args.guideline))
    print(f"\ncold start, mmpath recommend --json, {args.cold_runs} alternating runs, s")
    print("| tree | median s | min s | max s |\n|---|---:|---:|---:|")
    for name, times in cold.items():
        print(f"| {name} | {statistics.median(times):.3f} | {min(times):.3f} | {max(times):.3f} |")
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
