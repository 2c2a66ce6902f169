"""Cohort throughput (issue 14, phase 1): synthetic cohorts and the reference backend.

Measures, in one run:
- ``mmpath synth``: seconds for N patients (default 10,000) and the table sizes;
- the per-patient reference backend on a sample of that cohort: patients/s, decisions/s
  and as-of records/s (one as-of record per decision, evaluated against every selected
  pack), with 1 worker and with ``--workers`` processes, with the CPU seconds spent
  (independent of how busy the shared machine is) and the load average;
- peak resident memory of this process and of its children.

Usage: python bench/bench_cohort.py [--patients 10000] [--sample 400] [--workers 2]
       [--guideline all] [--synth-only]
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from _common import machine_info, use_checkout_source

use_checkout_source()

import polars as pl  # noqa: E402

from mmpath.cohort.backend import ReferenceBackend  # noqa: E402
from mmpath.cohort.extract import check  # noqa: E402
from mmpath.cohort.synth.generate import synthesise  # noqa: E402


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--guideline", default="all")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--synth-only", action="store_true")
    args = parser.parse_args()
    print(machine_info(("polars", "plotly", "pydantic", "pydantic-core")))

    started = time.perf_counter()
    tables = synthesise(args.patients, args.seed)
    synth_s = time.perf_counter() - started
    sizes = ", ".join(f"{name} {frame.height:,}" for name, frame in tables.items())
    print(f"\nsynth: {args.patients:,} patients in {synth_s:.1f} s ({sizes})")
    if args.synth_only:
        own, _ = _peak_mb()
        print(f"peak RSS: {own:,.0f} MB")
        return

    sample_ids = tables["patients"]["patient_id"].head(args.sample).to_list()
    sample = {
        name: frame.filter(pl.col("patient_id").is_in(sample_ids)) for name, frame in tables.items()
    }
    extract = check(sample)
    assert extract.errors == [], extract.errors[:3]
    print(
        f"\nreference backend, guideline {args.guideline}, sample of {len(sample_ids):,} patients"
    )
    print(
        "| workers | wall s | patients/s | decisions/s | rows (decision × guideline)/s "
        "| CPU s per 1,000 decisions | load average |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for workers in sorted({1, args.workers}):
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        evaluation = ReferenceBackend(workers=workers).evaluate(extract, args.guideline)
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
        rows = evaluation.rows
        decisions = rows.select("patient_id", "decision_date", "event", "phase").unique().height
        print(
            f"| {workers} | {seconds:.1f} | {evaluation.patients / seconds:,.1f} | "
            f"{decisions / seconds:,.1f} | {rows.height / seconds:,.1f} | "
            f"{1000 * cpu / decisions:.1f} | {os.getloadavg()[0]:.1f} |"
        )
    own, children = _peak_mb()
    print(f"\npeak RSS: this process {own:,.0f} MB, largest worker {children:,.0f} MB")


if __name__ == "__main__":
    main()
