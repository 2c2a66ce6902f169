"""The independent review of dk-ndmm-te (review/dk-ndmm-te, written from the source alone
before anything was run) keeps agreeing: every case passes as written or as adjudicated, and
every changed expectation keeps the reviewer's original with the verdict and reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmpath.engine.vignettes import run_vignette

CASES = sorted((Path(__file__).parent.parent / "review" / "dk-ndmm-te").glob("*.json"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_review_case_agrees(path: Path) -> None:
    outcome = run_vignette(path)
    assert outcome.review
    assert not outcome.failures, outcome.failures


def test_every_corrected_expectation_keeps_the_original() -> None:
    assert len(CASES) >= 66
    for path in CASES:
        for entry in json.loads(path.read_text("utf-8")).get("adjudication", []):
            assert entry["verdict"] in {"mmpath_wrong", "reviewer_misread", "source_ambiguous"}
            assert entry["reason"]
            if entry["verdict"] == "reviewer_misread":
                assert entry.get("original"), path.name
