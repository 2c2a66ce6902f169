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

Run: python bench/bench_cold_start.py [--runs 10] [--importtime]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from _common import FIXTURE, ROOT, SRC, machine_info

TARGET_S = 0.5


def run_times(command: list[str], runs: int, env: dict[str, str]) -> list[float]:
    subprocess.run(command, env=env, cwd=ROOT, capture_output=True, check=True)  # not counted
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True)
        times.append((time.perf_counter_ns() - start) / 1e9)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr.decode()}")
    return times


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
    parser.add_argument("--importtime", action="store_true", help="also list the slowest imports")
    args = parser.parse_args()

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "mmpath", "recommend", str(FIXTURE)]
    command += ["--guideline", "nl-rrmm", "--json"]

    print(machine_info(("pydantic", "typer", "rich", "PyYAML")))
    print(f"command: {' '.join(command[1:])}  (PYTHONPATH={SRC})")
    print(f"{args.runs} runs each after 1 unmeasured run (bytecode cache written and used)\n")
    rows = [
        (
            "python -c pass (interpreter alone)",
            run_times([sys.executable, "-c", "pass"], args.runs, env),
        ),
        ("mmpath recommend --json", run_times(command, args.runs, env)),
    ]
    print("| what | median s | min s | max s |\n|---|---:|---:|---:|")
    for label, times in rows:
        print(f"| {label} | {statistics.median(times):.3f} | {min(times):.3f} | {max(times):.3f} |")
    median = statistics.median(rows[1][1])
    verdict = "meets" if median < TARGET_S else "MISSES"
    print(f"\nmmpath recommend --json: median {median:.3f} s -> {verdict} the 0.5 s target")
    if args.importtime:
        print()
        print(importtime_top(command, env, 25))


if __name__ == "__main__":
    main()
