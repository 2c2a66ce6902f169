"""Product-label cautions by comorbidity apply in every pack (engine.label_cautions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmpath.recommendation import OptionOut
from mmpath.record.load import parse_record
from mmpath.service import recommend

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "first-relapse-on-lenalidomide.json"


def options(comorbidities: list[str] | None, guideline: str) -> dict[str, OptionOut]:
    record: dict[str, Any] = json.loads(EXAMPLE.read_text("utf-8"))
    if comorbidities is None:
        del record["comorbidities"]
    else:
        record["comorbidities"] = comorbidities
    result = recommend(parse_record(record), guideline).results[0]
    return {o.id: o for o in result.options}


def test_copd_flags_daratumumab_in_a_guideline_that_does_not_mention_the_lungs() -> None:
    dvd = options(["copd"], "be-rrmm")["DVd"]
    caution = next(c for c in dvd.cautions if c.id == "label-daratumumab-copd")
    assert caution.applies is True and caution.provenance == "label"
    assert caution.source is not None and caution.source.startswith("Darzalex labels")
    assert "not verified by mmpath" in caution.source
    assert "bronchodilators" in caution.text


def test_heart_failure_flags_carfilzomib_and_says_it_argues_against() -> None:
    kd = options(["heart_failure"], "es-len-refractory")["Kd"]
    caution = next(c for c in kd.cautions if c.id == "label-carfilzomib-heart-failure")
    assert caution.severity == "contraindicating"
    assert kd.cautions[0].severity == "contraindicating"  # most severe first


def test_the_guidelines_own_caution_on_the_same_comorbidity_stands_alone() -> None:
    kd = options(["heart_failure", "hypertension"], "nl-rrmm")["Kd"]
    ids = {c.id for c in kd.cautions}
    assert {"carfilzomib-heart-failure", "carfilzomib-blood-pressure"} <= ids  # seed 000
    assert not any(i.startswith("label-carfilzomib") for i in ids)


def test_no_comorbidity_no_label_caution_and_unknown_is_a_check() -> None:
    assert not any(c.id.startswith("label-") for c in options([], "be-rrmm")["DVd"].cautions)
    dvd = options(None, "be-rrmm")["DVd"]
    unknown = [c for c in dvd.cautions if c.id == "label-daratumumab-copd"]
    assert unknown and unknown[0].applies is None and unknown[0].requires == ["copd"]
