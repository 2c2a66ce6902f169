"""FHIR bundles for the benchmarks, written from records by the test generator
(tests/fhir_import/bundles.py)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from fhir_import.bundles import to_bundle  # noqa: E402

FIXTURE = ROOT / "bench" / "record_6_courses_20_labs.json"


def six_courses_fifty_observations() -> dict[str, Any]:
    """The bench fixture patient (6 courses, 20 labs) with 30 more dated lab results:
    a bundle with 6 courses of medications and 50 observations of mmpath's codes."""
    record = json.loads(FIXTURE.read_text("utf-8"))
    labs = record["labs"]
    start = dt.date.fromisoformat(record["as_of"]) - dt.timedelta(days=900)
    extra = []
    for i in range(30):
        day = (start + dt.timedelta(days=30 * i)).isoformat()
        test, unit, value = [
            ("hemoglobin", "g/dL", 11.5),
            ("creatinine", "mg/dL", 1.0),
            ("calcium", "mg/dL", 9.4),
        ][i % 3]
        extra.append({"date": day, "test": test, "value": value, "unit": unit})
    record["labs"] = labs + extra
    bundle = to_bundle(record).bundle
    observations = sum(e["resource"]["resourceType"] == "Observation" for e in bundle["entry"])
    assert observations >= 50, observations
    return bundle


def vignette_records() -> list[dict[str, Any]]:
    out = []
    for path in sorted((ROOT / "tests" / "vignettes").glob("*/*.json")):
        out.append(json.loads(path.read_text("utf-8"))["record"])
    return out


def ndjson_patients(count: int) -> str:
    """``count`` patients as FHIR NDJSON (one resource per line), cycling over the
    vignette records with a distinct patient id each."""
    records = vignette_records()
    lines = []
    for i in range(count):
        record = copy.deepcopy(records[i % len(records)])
        record["id"] = f"bench-{i}"
        for entry in to_bundle(record).bundle["entry"]:
            resource = entry["resource"]
            if resource["resourceType"] != "Patient":
                resource["id"] = f"{resource['id']}-{i}"
            lines.append(json.dumps(resource, separators=(",", ":")))
    return "\n".join(lines) + "\n"
