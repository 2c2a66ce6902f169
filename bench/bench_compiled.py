"""Compiled cohort backend (issue 14, phase 2) vs the per-patient loop, in one run.

For one synthetic cohort of ``--patients`` patients:
- the compiled backend on DuckDB (``--repeat`` runs; median and range) and on Spark local
  mode (``local[2]``; ``--spark-repeat`` runs, 0 to skip): wall seconds per stage (decision
  points, SQL plan, routed pairs, assembly), decisions/s, pairs settled in SQL vs routed;
- the per-patient reference backend on a sample of about ``--sample-decisions`` decisions
  (whole patients from the start of the same cohort), same workers;
- CPU seconds of this process and its finished worker processes (Spark's JVM is not
  included), peak resident memory, load average before and after each run.

Usage: python bench/bench_compiled.py [--patients 2000] [--workers 2] [--repeat 3]
       [--spark-repeat 1] [--sample-decisions 10000] [--guideline all]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

from _common import machine_info, use_checkout_source

use_checkout_source()

import polars as pl  # noqa: E402

from mmpath.cohort.backend import ReferenceBackend, differences  # noqa: E402
from mmpath.cohort.compiled.backend import CompiledBackend  # noqa: E402
from mmpath.cohort.compiled.engines import DuckDB, Spark  # noqa: E402
from mmpath.cohort.extract import check  # noqa: E402
from mmpath.cohort.synth.generate import synthesise  # noqa: E402


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def peak_mb() -> str:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return f"this process {own:,.0f} MB, largest worker {kids:,.0f} MB"


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spark-repeat", type=int, default=1)
    parser.add_argument("--sample-decisions", type=int, default=10_000)
    parser.add_argument("--guideline", default="all")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(machine_info(("polars", "duckdb", "pyspark", "pydantic")))
    started = time.perf_counter()
    tables = synthesise(args.patients, args.seed)
    extract = check(tables)
    print(f"\nsynth + check: {args.patients:,} patients in {time.perf_counter() - started:.1f} s")

    backend = CompiledBackend(workers=args.workers)
    runs: list[tuple[str, float, float, int, int]] = []
    first = None
    print(
        "\n| engine | run | wall s | CPU s | decisions | decisions/s | points s | plan s "
        "| routed s | pairs in SQL | pairs routed | load before→after |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for engine, repeat in (("duckdb", args.repeat), ("spark", args.spark_repeat)):
        sql = DuckDB() if engine == "duckdb" else Spark()
        for run in range(repeat):
            before, c0, t0 = load(), cpu(), time.perf_counter()
            result = backend.evaluate_on(sql, extract, args.guideline)
            wall, used = time.perf_counter() - t0, cpu() - c0
            decisions = result.rows.select("patient_id", "decision_date", "event", "phase")
            n = decisions.unique().height
            s = result.seconds
            print(
                f"| {engine} | {run + 1} | {wall:.1f} | {used:.1f} | {n:,} | {n / wall:,.0f} "
                f"| {s['points']:.1f} | {s['plan']:.1f} | {s['routed']:.1f} "
                f"| {result.compiled_pairs:,} | {result.routed_pairs:,} | {before}→{load()} |"
            )
            runs.append((engine, wall, used, n, result.rows.height))
            if first is None:
                first = result.rows
            else:
                assert differences(first, result.rows).height == 0, f"{engine} differs"
    for engine in ("duckdb", "spark"):
        walls = [w for e, w, _, _, _ in runs if e == engine]
        if walls:
            print(
                f"{engine}: median wall {statistics.median(walls):.1f} s "
                f"(range {min(walls):.1f}–{max(walls):.1f}) over {len(walls)} runs"
            )

    # the per-patient loop on a sample of about --sample-decisions decisions
    per_patient = max(1.0, runs[0][3] / args.patients)
    count = min(args.patients, int(args.sample_decisions / per_patient) + 1)
    ids = tables["patients"]["patient_id"].head(count).to_list()
    sample = check({k: v.filter(pl.col("patient_id").is_in(ids)) for k, v in tables.items()})
    before, c0, t0 = load(), cpu(), time.perf_counter()
    reference = ReferenceBackend(workers=args.workers).evaluate(sample, args.guideline)
    wall, used = time.perf_counter() - t0, cpu() - c0
    n = reference.rows.select("patient_id", "decision_date", "event", "phase").unique().height
    print(
        f"\nreference (per-patient loop), {count:,} patients, {n:,} decisions: wall {wall:.1f} s, "
        f"CPU {used:.1f} s, {n / wall:,.1f} decisions/s, load {before}→{load()}"
    )
    engine, cwall, cused, cn, _ = min((r for r in runs if r[0] == "duckdb"), key=lambda r: r[1])
    print(
        f"ratio (best duckdb run vs reference, decisions per wall second): "
        f"{(cn / cwall) / (n / wall):.2f}×; per CPU second: {(cn / cused) / (n / used):.2f}×"
    )
    print(f"CPU s per million decisions (duckdb, all cores): {cused / cn * 1e6:,.0f}")
    print(f"peak RSS: {peak_mb()}")


if __name__ == "__main__":
    main()
