"""Shared helpers for the bench scripts: machine info, timing loops, percentiles.

Timing uses ``time.perf_counter_ns`` around each single call (so p99 is per call, not per
batch), after a warm-up. Percentiles are nearest-rank on the sorted samples.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# MMPATH_BENCH_SRC measures another source tree (e.g. an older commit exported with
# `git archive`) with the same scripts, for before/after comparisons.
SRC = Path(os.environ.get("MMPATH_BENCH_SRC", ROOT / "src")).resolve()
FIXTURE = Path(__file__).resolve().parent / "record_6_courses_20_labs.json"


def use_checkout_source() -> None:
    """Import mmpath from this checkout's src/ (what we mean to measure), not an install."""
    if str(SRC) not in sys.path:
        sys.path.insert(0, str(SRC))


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info(packages: Sequence[str] = ("pydantic", "pydantic-core", "PyYAML")) -> str:
    cpus = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = cpus
    versions = ", ".join(f"{p} {_version(p)}" for p in packages)
    return "\n".join(
        [
            f"date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
            f"machine: {platform.machine()} {platform.system()} {platform.release()}, "
            f"CPUs: {cpus} (usable: {usable}), processor: {platform.processor() or 'n/a'}",
            f"python: {sys.version.split()[0]} ({platform.python_implementation()})",
            f"packages: {versions}",
        ]
    )


@dataclass(frozen=True)
class Stats:
    label: str
    n: int
    median_us: float
    p99_us: float
    mean_us: float
    min_us: float

    def row(self) -> str:
        return (
            f"| {self.label} | {self.median_us:,.1f} | {self.p99_us:,.1f} | "
            f"{self.mean_us:,.1f} | {self.min_us:,.1f} | {self.n:,} |"
        )


HEADER = (
    "| what | median µs | p99 µs | mean µs | min µs | calls timed |\n|---|---:|---:|---:|---:|---:|"
)


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def measure(
    label: str,
    fn: Callable[[Any], object],
    inputs: Sequence[Any],
    *,
    iterations: int,
    warmup: int,
) -> Stats:
    """Time ``fn(inputs[i % len(inputs)])`` one call at a time."""
    n_inputs = len(inputs)
    for i in range(warmup):
        fn(inputs[i % n_inputs])
    clock = time.perf_counter_ns
    samples = [0] * iterations
    for i in range(iterations):
        arg = inputs[i % n_inputs]
        start = clock()
        fn(arg)
        samples[i] = clock() - start
    samples.sort()
    us = [s / 1000 for s in samples]
    return Stats(
        label,
        iterations,
        statistics.median(us),
        percentile(us, 99),
        statistics.fmean(us),
        us[0],
    )
