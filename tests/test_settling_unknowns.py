"""Settling what a record leaves unknown never contradicts the answer (a metamorphic check
over every review case and vignette): each field left unknown is set to plausible values,
and in every such completion

- a guideline that applied (or did not) still does (or does not), and
- every option that was recommended (applies now, whatever the unknowns turn out to be) is
  still offered (at any tier or status; cautions may change), and
- every option offered was offered before too, or listed as excluded: an option that
  depends on the unknown must be shown as conditional on it, never left out.

The fields are those whose unknown value must be carried as unknown, never read as absent:
comorbidities, cytogenetics, extramedullary disease, donor, intolerances, contraindications,
progressions, procedures, MRD results, labs and (for the relapse guidelines, which define no
eligibility rule) transplant eligibility.
Not here, as readings documented in docs/packs/dk-ndmm-te.md ("Settling what the record
leaves unknown"): a course's stop reason or response (an unknown one is not read as a
progression), ECOG and frailty scores (the frailty score used depends on which are known),
and dk-ndmm-te's eligibility (absent means the DMSG rule decides; a value is the clinician's
judgement, not a refinement), and the stored stem cells after a collection (none recorded
reads as no shortfall, and the reason says so)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mmpath.record.errors import RecordError
from mmpath.record.load import parse_record
from mmpath.service import recommend

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "review").glob("*/*.json")) + sorted(
    (ROOT / "tests" / "vignettes").glob("*/*.json")
)
NEGATIVE_FISH = dict.fromkeys(
    ("del_17p", "t_4_14", "t_14_16", "t_14_20", "t_11_14", "gain_1q", "amp_1q", "del_1p"),
    False,
) | {"del_1p_biallelic": False, "tp53_mutation": False}
SETTLED: dict[str, list[Any]] = {
    "comorbidities": [
        [],
        ["heart_failure", "copd", "peripheral_neuropathy"],
        ["dialysis"],
        ["active_infection", "liver_impairment", "asthma"],
    ],
    "cytogenetics": [
        {"method": "FISH", **NEGATIVE_FISH},
        {"method": "FISH", **NEGATIVE_FISH, "del_17p": True, "del_17p_fraction": 0.6},
    ],
    "transplant_eligible": [True, False],
    "donor_available": [True, False],
    "extramedullary": ["none", "extraosseous"],
    "intolerances": [[], ["bortezomib"]],
    "contraindications": [[]],
    "progressions": [[]],
    "procedures": [[]],
    "mrd": [[]],
    "labs": [[]],
}


def _cases() -> Iterator[tuple[str, dict[str, Any], str]]:
    for path in FILES:
        data = json.loads(path.read_text("utf-8"))
        record, guideline = data.get("record"), data.get("guideline")
        if not isinstance(record, dict) or not guideline or "error" in data.get("expect", {}):
            continue
        yield f"{path.parent.name}/{path.stem}", record, guideline


CASES = list(_cases())


def _offered(result: Any) -> set[tuple[object, ...]]:
    return {(o.kind, tuple(sorted(o.drugs or [])), o.procedure, o.phase) for o in result.options}


def _completions(record: dict[str, Any], guideline: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for field, values in SETTLED.items():
        if record.get(field) is not None:
            continue
        if field == "transplant_eligible" and guideline == "dk-ndmm-te":
            continue
        for value in values:
            settled = copy.deepcopy(record)
            settled[field] = copy.deepcopy(value)
            yield f"{field}={json.dumps(value)}", settled


def test_the_corpus_is_there() -> None:
    assert len(CASES) > 900


@pytest.mark.parametrize(("name", "record", "guideline"), CASES, ids=[name for name, _, _ in CASES])
def test_settling_an_unknown_keeps_what_was_recommended(
    name: str, record: dict[str, Any], guideline: str
) -> None:
    base = recommend(parse_record(record), guideline).results[0]
    shown = _offered(base) | {(e.kind, tuple(sorted(e.drugs or []))) for e in base.excluded}
    recommended = {
        (o.kind, tuple(sorted(o.drugs or [])), o.procedure, o.phase)
        for o in base.options
        if o.status == "recommended"
    }
    problems = []
    for label, settled in _completions(record, guideline):
        try:
            result = recommend(parse_record(settled), guideline).results[0]
        except RecordError:
            continue  # the value contradicts something else in the record
        if base.applicable is not None and result.applicable != base.applicable:
            problems.append(f"{label}: applicable {base.applicable} -> {result.applicable}")
        if base.applicable and result.applicable:
            lost = recommended - _offered(result)
            problems += [f"{label}: recommended {option} no longer offered" for option in lost]
            hidden = {o for o in _offered(result) - shown if o[:2] not in shown}
            problems += [f"{label}: {option} offered but absent before" for option in hidden]
    assert not problems, "\n".join(problems)
