"""Cold start of ``mmpath recommend RECORD --guideline nl-rrmm --json`` as a subprocess.

Each run is a fresh interpreter: start-up, imports, loading the packs and catalogue,
validating the record, deriving facts, evaluating, writing JSON. Wall time is taken
with ``time.perf_counter_ns`` around ``subprocess.run`` (stdout captured, as a caller
would). The checkout's src/ is put first on PYTHONPATH so the checkout is measured.
An empty interpreter (``python -c pass``) is timed the same way for comparison.
The first run is not counted: it warms the file cache and writes the checkout's bytecode
(``__pycache__``), as an installed package has it. PYTHONDONTWRITEBYTECODE is removed from
the child environment for that reason: with it set and no ``__pycache__`` in src/, every
run would recompile mmpath's own modules, which no installed copy does.

Wall time and the child's CPU time (user + system, which the machine's load inflates much
less) are both reported; the two commands are alternated run by run.

Run: python bench/bench_cold_start.py [--runs 10] [--guideline nl-rrmm|all] [--importtime]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

from _common import FIXTURE, ROOT, SRC, machine_info

TARGET_S = 0.3
"""issue 12: cold start under 0.3 s ..."""
TARGET_RATIO = 8.0
"""... and at most 8x an empty interpreter (``python -c pass``) measured in the same run"""


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, CPU s of the child: user + system) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter_ns()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True)
    wall = (time.perf_counter_ns() - start) / 1e9
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run_alternating(
    commands: list[list[str]], runs: int, env: dict[str, str]
) -> list[tuple[list[float], list[float]]]:
    """Each command ``runs`` times, alternated (fair when the machine's load changes); one
    unmeasured run of each first."""
    for command in commands:
        run_once(command, env)  # not counted
    results: list[tuple[list[float], list[float]]] = [([], []) for _ in commands]
    for _ in range(runs):
        for command, (walls, cpus) in zip(commands, results, strict=True):
            wall, cpu = run_once(command, env)
            walls.append(wall)
            cpus.append(cpu)
    return results


def importtime_top(command: list[str], env: dict[str, str], top: int) -> str:
    done = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]], env=env, cwd=ROOT, capture_output=True
    )
    rows = []
    for line in done.stderr.decode().splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_part, cumulative, name = line.split("|")
        rows.append((int(cumulative), int(self_part.split(":")[1]), name.strip()))
    rows.sort(reverse=True)
    out = [f"{'cumulative ms':>14} {'self ms':>8}  module (-X importtime, one run)"]
    out += [f"{c / 1000:14.1f} {s / 1000:8.1f}  {n}" for c, s, n in rows[:top]]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--guideline", default="nl-rrmm")
    parser.add_argument("--importtime", action="store_true", help="also list the slowest imports")
    args = parser.parse_args()

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "mmpath", "recommend", str(FIXTURE)]
    command += ["--guideline", args.guideline, "--json"]
    empty = [sys.executable, "-c", "pass"]

    print(machine_info(("pydantic", "typer", "rich", "PyYAML")))
    print(f"command: {' '.join(command[1:])}  (PYTHONPATH={SRC})")
    print(
        f"{args.runs} runs each, the two commands alternated, after 1 unmeasured run each "
        f"(bytecode and pack caches written and used); load average before: "
        f"{os.getloadavg()[0]:.2f}\n"
    )
    (empty_wall, empty_cpu), (wall, cpu) = run_alternating([empty, command], args.runs, env)
    print("| what | median wall s | min | max | median CPU s (user+sys) |")
    print("|---|---:|---:|---:|---:|")
    for label, walls, cpus in (
        ("python -c pass (interpreter alone)", empty_wall, empty_cpu),
        (f"mmpath recommend --guideline {args.guideline} --json", wall, cpu),
    ):
        print(
            f"| {label} | {statistics.median(walls):.3f} | {min(walls):.3f} | {max(walls):.3f} "
            f"| {statistics.median(cpus):.3f} |"
        )
    median = statistics.median(wall)
    ratio = median / statistics.median(empty_wall)
    print(
        f"\nload average after: {os.getloadavg()[0]:.2f}\n"
        f"mmpath recommend --json: median {median:.3f} s "
        f"({'meets' if median < TARGET_S else 'MISSES'} < {TARGET_S} s); "
        f"{ratio:.1f}x python -c pass ({'meets' if ratio <= TARGET_RATIO else 'MISSES'} "
        f"<= {TARGET_RATIO:.0f}x)"
    )
    if args.importtime:
        print()
        print(importtime_top(command, env, 25))


if __name__ == "__main__":
    main()
