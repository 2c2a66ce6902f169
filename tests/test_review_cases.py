"""The independent reviews (review/<pack> and review/facts, written from the sources and the
definitions alone before anything was run) keep agreeing: every case passes as written or as
adjudicated, and every changed expectation keeps the reviewer's original with the verdict
and reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmpath.engine.review_case import VERDICTS
from mmpath.engine.vignettes import run_vignette

REVIEW = Path(__file__).parent.parent / "review"
CASES = sorted(REVIEW.glob("*/*.json"))
#: records each review holds at least (issue 9: >= 30 per pack, written before running)
AT_LEAST = {
    "nl-rrmm": 393,
    "be-rrmm": 275,
    "jp-rrmm": 173,
    "es-len-refractory": 224,
    "dk-ndmm-te": 374,
    "facts": 194,
}


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_review_case_agrees(path: Path) -> None:
    outcome = run_vignette(path)
    assert outcome.review
    assert not outcome.failures, outcome.failures


def test_every_corrected_expectation_keeps_the_original() -> None:
    counts = {name: len(list((REVIEW / name).glob("*.json"))) for name in AT_LEAST}
    assert all(counts[name] >= n for name, n in AT_LEAST.items()), counts
    for path in CASES:
        for entry in json.loads(path.read_text("utf-8")).get("adjudication", []):
            assert entry["verdict"] in VERDICTS
            assert entry.get("reason"), path.name
            if entry["verdict"] == "reviewer_misread":
                assert entry.get("original"), path.name


def test_the_shipped_definitions_are_the_shared_ones() -> None:
    """Review cases may quote clinical-definitions.md (``"document"``); mmpath checks them
    against its shipped copy, which must be the shared file word for word."""
    from mmpath.engine.review_case import definitions_text

    shared = REVIEW.parent.parent / "shared" / "reference" / "clinical-definitions.md"
    assert definitions_text() == shared.read_text("utf-8")


def test_a_definitions_quote_is_checked_against_the_definitions(tmp_path: Path) -> None:
    case = json.loads((REVIEW / "facts" / "95-r8-drug-holiday-same-line.json").read_text("utf-8"))
    assert {c.get("document") for c in case["cites"]} == {"clinical-definitions.md"}
    case["cites"][0]["quote"] += " (not in the definitions)"
    broken = tmp_path / "95-broken.json"
    broken.write_text(json.dumps(case), "utf-8")
    failures = run_vignette(broken).failures
    assert any("not verbatim in clinical-definitions.md" in f for f in failures)


def test_an_excluded_option_named_with_a_phase_is_found() -> None:
    # exclusions carry no phase (recommendation-v1); a reviewer naming the induction
    # regimen with its phase means that regimen (review round 32, r32-01)
    from mmpath.engine.review_case import find
    from mmpath.recommendation import ExcludedOut, OptionOut

    drugs = ["daratumumab", "bortezomib", "lenalidomide", "dexamethasone"]
    excluded = ExcludedOut(id="D-VRd", drugs=drugs, reason="anti-CD38 contraindicated")
    assert find([excluded], {"drugs": drugs, "phase": "induction"}) == [excluded]
    # options keep being told apart by phase
    option = OptionOut.model_construct(
        id="D-VRd", kind="regimen", drugs=drugs, phase="consolidation"
    )
    assert find([option], {"drugs": drugs, "phase": "induction"}) == []
