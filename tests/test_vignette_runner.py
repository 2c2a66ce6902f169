"""The vignette runner: strict expectations, review cases, and what counts as asserted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mmpath.engine.vignettes import run_vignette

ROOT = Path(__file__).resolve().parents[1]
RECORD: dict[str, Any] = json.loads(
    (ROOT / "examples" / "first-relapse-on-lenalidomide.json").read_text("utf-8")
)
QUOTE = "Daratumumab - bortezomib - dexamethason"


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    folder = tmp_path / "nl-rrmm"
    folder.mkdir(exist_ok=True)
    path = folder / "case.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


def _review(expect: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": "t1",
        "title": "test case",
        "guideline": "nl-rrmm",
        "cites": [{"quote": QUOTE, "english": "Daratumumab - bortezomib - dexamethasone"}],
        "record": RECORD,
        "expect": expect,
        **extra,
    }


def _pack_vignette(expect: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "test",
        "guideline": "nl-rrmm",
        "exercises": ["s1"],
        "record": RECORD,
        "expect": expect,
    }


def test_pack_vignette_unknown_expectation_key_fails(tmp_path: Path) -> None:
    outcome = run_vignette(_write(tmp_path, _pack_vignette({"optoins": []})))
    assert any("unknown key 'optoins'" in f for f in outcome.failures)


def test_pack_vignette_without_expectation_fails(tmp_path: Path) -> None:
    outcome = run_vignette(_write(tmp_path, _pack_vignette({"options_complete": False})))
    assert outcome.failures == ["has no expectation (expect: {...})"]


def test_pack_vignette_asserts_only_what_it_checks(tmp_path: Path) -> None:
    expect = {"options": [{"id": "DVd", "tier": "preferred"}], "options_complete": False}
    outcome = run_vignette(_write(tmp_path, _pack_vignette(expect)))
    assert outcome.passed, outcome.failures
    assert "rule:len-refractory-dara-naive-or-sensitive" in outcome.asserted
    # the trial rule and notes fired (clinical_trial is offered) but were not checked
    assert "rule:trial" in outcome.fired
    assert "rule:trial" not in outcome.asserted
    assert "note:trial" in outcome.fired
    assert not any(a.startswith("note:") for a in outcome.asserted)


def test_review_case_matches_drug_sets_and_tiers(tmp_path: Path) -> None:
    expect = {
        "offered": [["daratumumab", "bortezomib", "dexamethasone"], {"referral": "clinical_trial"}],
        "preferred": [["bortezomib", "dexamethasone", "daratumumab"]],
        "tiers": {"alternative": [["carfilzomib", "dexamethasone"]]},
        "not_offered": [["daratumumab", "lenalidomide", "dexamethasone"]],
        "excluded": [["daratumumab", "carfilzomib", "dexamethasone"]],
    }
    outcome = run_vignette(_write(tmp_path, _review(expect)))
    assert outcome.passed, outcome.failures
    assert outcome.review
    assert "rule:len-refractory-dara-naive-or-sensitive" in outcome.asserted


def test_review_case_reports_each_disagreement(tmp_path: Path) -> None:
    expect = {
        "preferred": [["carfilzomib", "dexamethasone"]],
        "not_offered": [["bortezomib", "dexamethasone"]],
        "offered": [["selinexor", "dexamethasone"]],
    }
    outcome = run_vignette(_write(tmp_path, _review(expect)))
    assert len(outcome.failures) == 3, outcome.failures
    assert "preferred carfilzomib+dexamethasone: shown as Kd: alternative, recommended" in (
        outcome.failures
    )
    assert "not_offered bortezomib+dexamethasone: offered" in outcome.failures


def test_review_case_steroid_is_matched_loosely_only_without_exact(tmp_path: Path) -> None:
    outcome = run_vignette(_write(tmp_path, _review({"offered": [["bortezomib"]]})))
    assert outcome.passed, outcome.failures  # Vd, matched without its steroid


def test_review_case_unknown_keys_and_empty_expect_fail(tmp_path: Path) -> None:
    outcome = run_vignette(_write(tmp_path, _review({"offerd": []}, extra_field=1)))
    assert "unknown key 'extra_field'" in outcome.failures
    assert "expect: unknown key 'offerd'" in outcome.failures
    outcome = run_vignette(_write(tmp_path, _review({})))
    assert "has no expectation (expect: {...})" in outcome.failures


def test_review_case_quote_must_be_verbatim(tmp_path: Path) -> None:
    data = _review({"offered": [["bortezomib", "dexamethasone"]]})
    data["cites"] = [{"quote": "Daratumumab en bortezomib altijd", "english": "x"}]
    outcome = run_vignette(_write(tmp_path, data))
    assert any("not verbatim" in f for f in outcome.failures)


@pytest.mark.parametrize(
    ("path", "mentions", "passes"),
    [
        ("treatments[0].end", "", True),
        ("treatments[0]", "before start", True),
        ("treatments[1].end", "", False),
        ("treatments[0].end", "no such words", False),
    ],
)
def test_review_case_error_expectation(
    tmp_path: Path, path: str, mentions: str, passes: bool
) -> None:
    record = json.loads(json.dumps(RECORD))
    record["treatments"][0]["end"] = "2023-01-01"  # before its start
    data = _review({"error": {"path": path, "mentions": mentions}})
    data["record"] = record
    outcome = run_vignette(_write(tmp_path, data))
    assert outcome.passed is passes, outcome.failures


def test_review_case_error_expected_but_record_accepted(tmp_path: Path) -> None:
    outcome = run_vignette(_write(tmp_path, _review({"error": {"path": "labs[0].value"}})))
    assert any("the record was accepted" in f for f in outcome.failures)


def test_review_case_caution_on_every_option_with_a_drug(tmp_path: Path) -> None:
    record = {**RECORD, "comorbidities": ["heart_failure"]}
    heart = {"cautions_on_drug": [{"drug": "carfilzomib", "mentions": "heart"}]}
    outcome = run_vignette(_write(tmp_path, _review(heart, record=record)))
    assert outcome.passed, outcome.failures
    carfilzomib = [c for c in outcome.asserted if c.startswith("caution:")]
    assert carfilzomib, "the cautions of the carfilzomib options count as asserted"

    wrong = {"cautions_on_drug": [{"drug": "carfilzomib", "mentions": "hearing"}]}
    outcome = run_vignette(_write(tmp_path, _review(wrong, record=record)))
    assert outcome.failures and all(
        f.startswith("cautions_on_drug carfilzomib: option ") for f in outcome.failures
    )
    assert any(f.startswith("cautions_on_drug carfilzomib: option Kd ") for f in outcome.failures)

    # a drug no offered option contains: nothing to check, nothing fails, and it is said
    absent = {"dosing_on_drug": [{"drug": "melflufen", "mentions": "mg"}]}
    outcome = run_vignette(_write(tmp_path, _review(absent)))
    assert outcome.passed
    assert outcome.vacuous == [
        "dosing_on_drug melflufen: no offered option contains it (nothing checked)"
    ]


DK_CASE = ROOT / "review" / "dk-ndmm-te" / "78-r10-after-4-cycles-dvrd-mrd-negative.json"


def _dk(tmp_path: Path, expect: dict[str, Any]) -> Path:
    data = json.loads(DK_CASE.read_text("utf-8"))
    data.pop("adjudication", None)
    data["expect"] = expect
    folder = tmp_path / "dk-ndmm-te"
    folder.mkdir(exist_ok=True)
    path = folder / "case.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_autologous_sct_names_the_high_dose_melphalan_option(tmp_path: Path) -> None:
    # seed 003's HDT is "højdosis melphalan med stamcellestøtte": the dk pack's option
    # high_dose_melphalan is the autologous SCT a reviewer names
    offered = {"offered": [{"procedure": "autologous_sct", "phase": "transplant"}]}
    assert run_vignette(_dk(tmp_path, offered)).passed
    wrong = {"offered": [{"procedure": "allogeneic_sct"}]}
    assert not run_vignette(_dk(tmp_path, wrong)).passed


def test_current_phase_is_the_patients_own_phase(tmp_path: Path) -> None:
    # after 4 MRD-negative cycles the plan marks induction "current" alongside mobilisation
    # (recommendation 8's further cycles); the patient is in mobilisation
    assert run_vignette(_dk(tmp_path, {"current_phase": "mobilisation"})).passed
    outcome = run_vignette(_dk(tmp_path, {"current_phase": "induction"}))
    assert outcome.failures and "current_phase: 'mobilisation'" in outcome.failures[0]
