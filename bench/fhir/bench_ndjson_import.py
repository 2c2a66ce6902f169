"""FHIR import throughput: 10,000 patients from NDJSON (issue 13), patients per second.

    python bench/fhir/bench_ndjson_import.py [--patients 10000]

Times ``mmpath.fhir.import_fhir`` on one NDJSON text (reading, R4B validation of every
resource, mapping, grouping into courses, validation of every record), in-process, one
core. The NDJSON is generated first (not timed) from the vignette records.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

from _patients import ndjson_patients

from mmpath.fhir import import_fhir


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=10_000)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {platform.machine()} {platform.system()}")
    text = ndjson_patients(args.patients)
    lines = text.count("\n")
    print(f"{args.patients} patients, {lines} resources, {len(text) / 1e6:.1f} MB of NDJSON")
    started = time.perf_counter()
    results = import_fhir(text, ndjson=True)
    elapsed = time.perf_counter() - started
    valid = sum(r.record is not None for r in results)
    print(
        f"imported {len(results)} patients ({valid} valid records) in {elapsed:.1f} s: "
        f"{len(results) / elapsed:.0f} patients/s, {lines / elapsed:.0f} resources/s"
    )


if __name__ == "__main__":
    main()
