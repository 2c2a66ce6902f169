"""Compiled cohort backend (issue 14, phase 2) vs the per-patient loop, in one run.

For one synthetic cohort of ``--patients`` patients:
- the compiled backend on DuckDB (``--repeat`` runs; median and range) and on Spark local
  mode (``local[2]``; ``--spark-repeat`` runs, 0 to skip): wall seconds per stage (decision
  points, SQL plan, routed pairs, assembly), decisions/s, pairs settled in SQL vs routed;
- the per-patient reference backend on a sample of about ``--sample-decisions`` decisions
  (whole patients from the start of the same cohort), same workers;
- CPU seconds of this process and its finished worker processes (Spark's JVM is not
  included), peak resident memory, load average before and after each run.

``--routed engine,lean,memo`` runs the DuckDB backend once per listed way of evaluating
routed pairs in every repeat, alternating them (fair on a busy machine): ``engine`` the
full recommendation per routed pair (the backend before the projection), ``lean`` the
projection computed every time, ``memo`` the memoised projection (the default); each
DuckDB line gives CPU seconds per 1,000 decisions and the memo's hit rate, and the summary
the median and range per way and its ratio to the per-patient loop per CPU second.

Usage: python bench/bench_compiled.py [--patients 2000] [--workers 2] [--repeat 3]
       [--spark-repeat 1] [--sample-decisions 10000] [--guideline all]
       [--routed engine,memo]
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
from mmpath.cohort.summary import decision_count  # noqa: E402
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
    parser.add_argument("--routed", default="memo", help="comma-separated: engine,lean,memo")
    args = parser.parse_args()
    modes = args.routed.split(",")
    print(machine_info(("polars", "duckdb", "pyspark", "pydantic")))
    started = time.perf_counter()
    tables = synthesise(args.patients, args.seed)
    extract = check(tables)
    print(f"\nsynth + check: {args.patients:,} patients in {time.perf_counter() - started:.1f} s")

    runs: list[tuple[str, float, float, int, int]] = []
    first = None
    print(
        "\n| engine | routed | run | wall s | CPU s | decisions | CPU s / 1,000 decisions "
        "| points s | plan s | routed s | pairs in SQL | pairs routed | memo hits | "
        "load before→after |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    plan = [("duckdb", m) for _ in range(args.repeat) for m in modes]
    plan += [("spark", modes[-1])] * args.spark_repeat
    counts: dict[str, int] = {}
    for engine, mode in plan:
        sql = DuckDB() if engine == "duckdb" else Spark()
        backend = CompiledBackend(workers=args.workers, routed=mode)  # type: ignore[arg-type]
        run = counts[f"{engine}/{mode}"] = counts.get(f"{engine}/{mode}", 0) + 1
        before, c0, t0 = load(), cpu(), time.perf_counter()
        result = backend.evaluate_on(sql, extract, args.guideline)
        wall, used = time.perf_counter() - t0, cpu() - c0
        n = decision_count(result.scan())  # from the row files, not the rows in memory
        s = result.seconds
        asked = result.memo_hits + result.memo_misses
        hits = f"{result.memo_hits / asked:.1%}" if asked else "—"
        print(
            f"| {engine} | {mode} | {run} | {wall:.1f} | {used:.1f} | {n:,} "
            f"| {used / n * 1000:.2f} | {s['points']:.1f} | {s['plan']:.1f} "
            f"| {s['routed']:.1f} | {result.compiled_pairs:,} | {result.routed_pairs:,} "
            f"| {hits} | {before}→{load()} |"
        )
        runs.append((f"{engine}/{mode}", wall, used, n, result.files.height))
        if first is None:
            first = result.rows
        else:
            assert differences(first, result.rows).height == 0, f"{engine}/{mode} differs"
    for key in dict.fromkeys(r[0] for r in runs):
        walls = [w for e, w, _, _, _ in runs if e == key]
        cpus = [c / n * 1000 for e, _, c, n, _ in runs if e == key]
        print(
            f"{key}: median wall {statistics.median(walls):.1f} s "
            f"(range {min(walls):.1f}–{max(walls):.1f}); median CPU "
            f"{statistics.median(cpus):.2f} s per 1,000 decisions "
            f"(range {min(cpus):.2f}–{max(cpus):.2f}) over {len(walls)} runs"
        )

    # the per-patient loop on a sample of about --sample-decisions decisions
    per_patient = max(1.0, runs[0][3] / args.patients)  # decisions per patient
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
    reference_cpu = used / n * 1000
    for key in dict.fromkeys(r[0] for r in runs):
        cpus = [c / d * 1000 for e, _, c, d, _ in runs if e == key]
        walls = [d / w for e, w, _, d, _ in runs if e == key]
        print(
            f"{key} vs reference, per CPU second: median "
            f"{reference_cpu / statistics.median(cpus):.2f}× (range "
            f"{reference_cpu / max(cpus):.2f}–{reference_cpu / min(cpus):.2f}); per wall "
            f"second: median {statistics.median(walls) / (n / wall):.2f}×; CPU s per million "
            f"decisions: median {statistics.median(cpus) * 1000:,.0f}"
        )
    print(f"reference: {reference_cpu:.2f} CPU s per 1,000 decisions")
    print(f"peak RSS: {peak_mb()}")


if __name__ == "__main__":
    main()
