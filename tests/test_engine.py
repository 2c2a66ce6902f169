"""The pack evaluator on a small synthetic pack: merging, exclusions, constraints, unknowns."""

from __future__ import annotations

from typing import Any

import pytest

from mmpath.assess import Assessment
from mmpath.catalogue import load_catalogue
from mmpath.engine.evaluate import PackEvaluator
from mmpath.engine.pack import Pack
from mmpath.recommendation import ResultOut
from mmpath.record.load import parse_record
from mmpath.service import recommend

Q = {"section": "S", "quote": "q", "english": "e"}

PACK: dict[str, Any] = {
    "id": "test-pack",
    "title": "Test",
    "version": "0.0.1",
    "language": "en",
    "source_document": "none.txt",
    "applicability": {"when": "relapsed", "text": "relapsed", "not_applicable": "not relapsed"},
    "quotes": {"a": Q, "b": Q, "c": Q},
    "rules": [
        {
            "id": "len-refractory",
            "title": "Lenalidomide-refractory",
            "when": "lenalidomide_refractory",
            "rationale": "len-refractory reason",
            "sources": ["a"],
            "options": [
                {"regimen": "DVd", "tier": "alternative"},
                {
                    "regimen": "Kd",
                    "tier": "preferred",
                    "exclude_when": "heart_failure",
                    "exclude_reason": "heart failure",
                },
                {"regimen": "PVd", "tier": "preferred", "when": "daratumumab_refractory"},
            ],
        },
        {
            "id": "everyone",
            "title": "Everyone",
            "when": True,
            "rationale": "general reason",
            "sources": ["b"],
            "options": [
                {"regimen": "DVd", "tier": "preferred"},
                {"regimen": "Vd", "tier": "consider"},
            ],
        },
    ],
    "cautions": [
        {
            "id": "dara-copd",
            "applies_to": {"drugs": ["daratumumab"]},
            "when": "copd",
            "text": "COPD",
            "sources": ["c"],
            "severity": "contraindicating",
        },
        {
            "id": "general-frail",
            "applies_to": {},
            "when": "frail",
            "text": "frail",
            "sources": ["c"],
            "severity": "monitoring",
        },
    ],
}


def record(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema_version": "1",
        "as_of": "2026-11-01",
        "age": 60,
        "comorbidities": [],
        "treatments": [
            {
                "regimen": "VRd",
                "start": "2024-01-01",
                "end": "2024-05-01",
                "setting": "induction",
                "best_response": "VGPR",
            },
            {"regimen": "lenalidomide", "start": "2024-06-01", "setting": "maintenance"},
        ],
        "progressions": [{"date": "2026-10-01", "type": "biochemical"}],
    }
    base.update(overrides)
    return base


def run(data: dict[str, Any], pack: dict[str, Any] = PACK) -> ResultOut:
    return PackEvaluator(Pack.model_validate(pack), load_catalogue()).run(
        Assessment(parse_record(data))
    )


def test_same_option_from_two_rules_is_merged_with_best_tier_and_both_reasons() -> None:
    result = run(record())
    dvd = next(o for o in result.options if o.id == "DVd")
    assert dvd.tier == "preferred"
    assert dvd.rules == ["len-refractory", "everyone"]
    assert "len-refractory reason" in dvd.rationale and "general reason" in dvd.rationale
    assert [s.document for s in dvd.sources] == ["none.txt", "none.txt"]


def test_options_are_ordered_by_tier_then_status_then_pack_order() -> None:
    result = run(record())
    assert [o.id for o in result.options] == ["DVd", "Kd", "Vd"]


def test_exclude_when_true_moves_the_option_to_excluded_with_the_reason() -> None:
    result = run(record(comorbidities=["heart_failure"]))
    assert "Kd" not in {o.id for o in result.options}
    assert [(e.id, e.reason) for e in result.excluded] == [("Kd", "heart failure")]


def test_unknown_exclusion_makes_the_option_conditional() -> None:
    data = record()
    del data["comorbidities"]
    kd = next(o for o in run(data).options if o.id == "Kd")
    assert kd.status == "conditional" and "heart_failure" in kd.requires
    assert any(m.fact == "heart_failure" and "Kd" in m.affects for m in run(data).missing)


def test_unknown_rule_condition_gives_conditional_options_never_drops_them() -> None:
    data = record(progressions=None)
    data.pop("progressions")
    data["treatments"][1]["end"] = "2026-09-01"
    result = run(data)
    assert result.applicable is None
    assert {o.status for o in result.options} == {"conditional"}
    assert "relapsed" in {m.fact for m in result.missing}


def test_not_applicable_gives_no_options_and_says_why() -> None:
    result = run(record(progressions=[]))
    assert result.applicable is False
    assert result.options == []
    assert result.notes[0].startswith("not relapsed — ") and "relapsed: no" in result.notes[0]


def test_refractory_to_every_active_drug_excludes_by_the_general_rule() -> None:
    data = record()
    data["treatments"].append(
        {"regimen": "Vd", "start": "2026-10-05", "end": "2026-10-20", "best_response": "PD"}
    )
    result = run(data)
    excluded = {e.id: e for e in result.excluded}
    assert "Vd" in excluded and "bortezomib" in excluded["Vd"].reason
    assert excluded["Vd"].provenance == "mmpath_rule"
    assert "safety rule" in (excluded["Vd"].source or "")
    assert "DVd" in {o.id for o in result.options}  # daratumumab is not refractory


def test_contraindication_in_the_record_excludes_by_drug_or_class() -> None:
    result = run(record(contraindications=["anti_cd38"]))
    assert "DVd" in {e.id for e in result.excluded}
    assert "DVd" not in {o.id for o in result.options}


def test_drug_specific_caution_shows_when_unknown_but_general_one_does_not() -> None:
    data = record()
    del data["comorbidities"]
    dvd = next(o for o in run(data).options if o.id == "DVd")
    # the pack's drug-specific caution and the labels' checks; no general caution
    assert [(c.id, c.applies) for c in dvd.cautions] == [
        ("dara-copd", None),
        ("label-bortezomib-neuropathy", None),
        ("label-daratumumab-asthma", None),
        ("label-bortezomib-liver", None),
        ("label-daratumumab-hbv", None),
    ]
    assert any(m.fact == "frail" for m in run(data).missing)


def test_intolerance_and_refractoriness_are_surfaced_as_cautions() -> None:
    data = record(intolerances=["bortezomib"])
    vd = next(o for o in run(data).options if o.id == "Vd")
    assert any(c.id == "intolerance-bortezomib" for c in vd.cautions)


def test_same_input_gives_identical_json() -> None:
    data = parse_record(record())
    first = recommend(data, "all").model_dump_json()
    second = recommend(data, "all").model_dump_json()
    assert first == second


def test_pack_with_unknown_quote_key_is_rejected() -> None:
    broken = dict(PACK, rules=[dict(PACK["rules"][0], sources=["nope"])])
    with pytest.raises(ValueError, match="unknown quote key 'nope'"):
        Pack.model_validate(broken)


def test_option_must_name_exactly_one_kind() -> None:
    broken = dict(PACK)
    broken["rules"] = [dict(PACK["rules"][0], options=[{"tier": "preferred"}])]
    with pytest.raises(ValueError, match="exactly one of"):
        Pack.model_validate(broken)


def test_no_regimen_left_is_said_with_the_branch_and_the_nearest_options() -> None:
    result = run(record(contraindications=["proteasome_inhibitor"]))  # DVd, Kd, Vd: all PIs
    assert [o.id for o in result.options if o.kind == "regimen"] == []
    empty = result.empty_branch
    assert empty is not None
    assert empty.branch == "Lenalidomide-refractory; Everyone"
    assert empty.why.startswith("every regimen of this branch is excluded")
    assert {n.id for n in empty.nearest} == {"DVd", "Kd", "Vd"}
    assert all(n.why_not.startswith("excluded: contraindicated") for n in empty.nearest)


def test_a_branch_with_a_regimen_is_not_empty() -> None:
    assert run(record()).empty_branch is None


def test_conditional_option_says_what_would_have_to_hold() -> None:
    data = record()
    # daratumumab given without a recorded response: whether it failed is unknown
    data["treatments"].insert(
        0, {"regimen": "daratumumab", "start": "2023-01-01", "end": "2023-03-01"}
    )
    pvd = next(o for o in run(data).options if o.id == "PVd")
    assert pvd.status == "conditional"
    assert pvd.applies_if == "daratumumab refractory"
