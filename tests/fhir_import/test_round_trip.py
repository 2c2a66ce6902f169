"""Record -> FHIR Bundle -> record gives the same recommendation (issue 13).

Every vignette record and every shipped example is written as a FHIR R4 / mCODE-style
Bundle (tests/fhir/bundles.py), imported, completed with the parts FHIR does not carry
(the clinician's additions: ``residue``), and evaluated. The recommendation must be the
same as for the original record.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from fhir_import.bundles import overlay, to_bundle
from mmpath.fhir import import_bundle
from mmpath.record.load import parse_record
from mmpath.service import recommend

ROOT = Path(__file__).resolve().parents[2]
VIGNETTES = sorted((ROOT / "tests" / "vignettes").glob("*/*.json"))
EXAMPLES = sorted((ROOT / "src" / "mmpath" / "examples").glob("*.*"))


def _load(path: Path) -> dict[str, Any]:
    if path.suffix == ".json":
        data = json.loads(path.read_text("utf-8"))
    else:
        data = json.loads(json.dumps(yaml.safe_load(path.read_text("utf-8")), default=str))
    record: dict[str, Any] = data.get("record", data)
    return record


def decision(record: dict[str, Any]) -> list[dict[str, Any]]:
    """What a clinician reads: per guideline, applicability, options by tier and status,
    exclusions, what is missing, and the value of every fact read."""
    out = recommend(parse_record(record), "all", today=dt.date(2026, 11, 1))
    return [
        {
            "guideline": r.guideline.id,
            "applicable": r.applicable,
            "options": sorted((o.id, o.tier, o.status) for o in r.options),
            "excluded": sorted(e.id for e in r.excluded),
            "missing": sorted(m.fact for m in r.missing),
            "facts": {name: fact.value for name, fact in sorted(r.facts.items())},
        }
        for r in out.results
    ]


def round_trip(record: dict[str, Any]) -> dict[str, Any]:
    built = to_bundle(record)
    as_of = dt.date.fromisoformat(record["as_of"]) if "as_of" in record else None
    result = import_bundle(
        json.dumps(built.bundle), as_of=as_of, region=record.get("region"), complete=built.complete
    )
    assert result.record is not None, result.problems
    return overlay(result.record, record, built.residue)


@pytest.mark.parametrize("path", VIGNETTES + EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_round_trip_gives_the_same_recommendation(path: Path) -> None:
    record = _load(path)
    assert decision(round_trip(record)) == decision(record)


def test_every_pack_has_round_tripped_vignettes() -> None:
    packs = {p.parent.name for p in VIGNETTES}
    assert packs >= {"nl-rrmm", "be-rrmm", "jp-rrmm", "dk-ndmm-te", "es-len-refractory"}
