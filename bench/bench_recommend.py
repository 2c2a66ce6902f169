"""In-process latency of one ``recommend`` call (issue 12: one guideline < 0.5 ms, all < 2 ms).

The record is bench/record_6_courses_20_labs.json (6 treatment courses, 20 lab values,
4 progressions, 2 procedures). Timed, one call at a time:

- ``recommend(record, guideline)`` from an already validated ``PatientRecord``
  (facts derived afresh on every call: a new ``Assessment`` each time);
- ``recommend(parse_record(raw), guideline)`` from the raw dict (validation + the above);
- ``parse_record(raw)`` alone, for context.

Packs and catalogue are loaded once (cached per process) during warm-up, as in a
long-running service; process start-up is measured by bench_cold_start.py.
The SHA-256 of the JSON output is printed so runs before/after a change can be compared.

With ``--settle`` the process first does what a server process does after start-up
(``mmpath.api.heap.settle``: warm, then freeze the heap for the garbage collector), so the
figures are those of a request's evaluation in ``mmpath serve``.

Run: python bench/bench_recommend.py [--iterations 20000] [--warmup 2000] [--guideline all] [--settle]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import asdict

from _common import FIXTURE, HEADER, machine_info, measure, use_checkout_source

TARGET_US = {"all": 2000.0}
"""Issue 12's median targets (µs) by guideline; any single guideline: 500."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--guideline", default="nl-rrmm")
    parser.add_argument("--json", action="store_true", help="print only the rows as JSON")
    parser.add_argument(
        "--settle", action="store_true", help="warm and freeze the heap first, as mmpath serve"
    )
    args = parser.parse_args()

    use_checkout_source()
    import mmpath
    from mmpath.record.load import parse_record
    from mmpath.service import recommend

    if args.settle:
        from mmpath.api.heap import settle

        settle()
    raw = json.loads(FIXTURE.read_text("utf-8"))
    record = parse_record(raw)
    output = recommend(record, args.guideline).model_dump_json(indent=2)
    digest = hashlib.sha256(output.encode()).hexdigest()
    result = json.loads(output)["results"][0]

    if not args.json:
        print(machine_info())
        print(f"mmpath: {mmpath.__version__} from {mmpath.__file__}")
        print(
            f"record: {FIXTURE.name}: {len(raw['treatments'])} treatment courses, "
            f"{len(raw['labs'])} lab values; guideline {args.guideline}: "
            f"{len(result['options'])} options, {len(result['excluded'])} excluded, "
            f"{len(result['facts'])} facts shown; output sha256 {digest[:16]}"
        )
        print(
            f"{args.iterations:,} timed calls after {args.warmup:,} warm-up calls each"
            f"{'; heap settled as in mmpath serve' if args.settle else ''}\n"
        )

    rows = [
        measure(
            "recommend(PatientRecord)",
            lambda r: recommend(r, args.guideline),
            [record],
            iterations=args.iterations,
            warmup=args.warmup,
        ),
        measure(
            "recommend(parse_record(raw dict))",
            lambda d: recommend(parse_record(d), args.guideline),
            [raw],
            iterations=args.iterations,
            warmup=args.warmup,
        ),
        measure(
            "parse_record(raw dict) alone",
            parse_record,
            [raw],
            iterations=args.iterations,
            warmup=args.warmup,
        ),
    ]
    if args.json:
        print(json.dumps({"sha256": digest, "rows": [asdict(row) for row in rows]}))
        return
    print(HEADER)
    for row in rows:
        print(row.row())
    print()
    target = TARGET_US.get(args.guideline, 500.0)
    for row in rows[:2]:
        verdict = "meets" if row.median_us < target else "MISSES"
        print(
            f"{row.label}: median {row.median_us:,.0f} µs, p99 {row.p99_us:,.0f} µs -> "
            f"{verdict} the median target of {target:,.0f} µs"
        )


if __name__ == "__main__":
    main()
