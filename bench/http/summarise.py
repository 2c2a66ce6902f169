"""Medians over rounds of bench/http/before_after.sh output (stdin): one line per
(case, tree, backend) with the median req/s, p50, p99, the range of p99 and the median
server CPU time per request."""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict


def ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    raise ValueError(text)


def main() -> None:
    runs: dict[tuple[str, str, str], list[tuple[float, float, float, float]]] = defaultdict(list)
    for line in sys.stdin:
        parts = line.split()
        if len(parts) < 10 or not parts[0].isdigit():
            continue
        _, case, tree, backend, _, rps, p50, p99, _, cpu = parts[:10]
        runs[(case, tree, backend)].append((float(rps), ms(p50), ms(p99), ms(cpu)))
    print(
        "| backend | case | tree | runs | req/s (median) | p50 (median) | p99 (median) "
        "| p99 range | server CPU / request (median) |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (case, tree, backend), values in sorted(runs.items()):
        rps, p50, p99, cpu = (statistics.median(v[i] for v in values) for i in range(4))
        low, high = min(v[2] for v in values), max(v[2] for v in values)
        print(
            f"| {backend} | {case} | {tree} | {len(values)} | {rps:.0f} | {p50:.1f} ms "
            f"| {p99:.1f} ms | {low:.1f}–{high:.1f} ms | {cpu:.2f} ms |"
        )


if __name__ == "__main__":
    main()
