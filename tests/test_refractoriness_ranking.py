"""Refractoriness shapes ranking (issue 9, rule 1), for every pack, by the engine.

- a regimen whose every active (non-steroid) drug the patient is refractory to is excluded
  (mmpath's general safety rule, named as such);
- refractory to some of its drugs: the option leaves the preferred tier (shown under
  "consider", the guideline's own tier kept as ``listed_tier``), the refractoriness first
  among its cautions (severity ``contraindicating``) — unless the pack cites the source
  giving it to such patients (``despite_refractory``);
- daratumumab and isatuximab share their target: refractory to one is refractory to both;
- an unknown refractoriness keeps a preferred option conditional on it, and a regimen none
  of whose drugs is known to work is conditional (it would be excluded).
"""

from __future__ import annotations

from typing import Any

from mmpath.assess import Assessment
from mmpath.catalogue import load_catalogue
from mmpath.engine.evaluate import PackEvaluator
from mmpath.engine.pack import Pack
from mmpath.recommendation import SEVERITY_RANK, OptionOut, ResultOut
from mmpath.record.load import parse_record

Q = {"section": "s", "quote": "q", "english": "q"}


def pack(options: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": "test-pack",
        "title": "test",
        "version": "0",
        "language": "en",
        "source_document": "none.txt",
        "applicability": {"when": True, "text": "all", "not_applicable": "never"},
        "quotes": {"q": Q, "r": Q},
        "rules": [
            {"id": "r", "title": "r", "rationale": "r", "sources": ["q"], "options": options}
        ],
        **extra,
    }


CONSIDER_ALL = pack(
    [{"regimen": r, "tier": "consider"} for r in ("DRd", "DVd", "Kd", "Rd", "DCEP")]
)
PREFERRED = pack(
    [
        {"regimen": "DRd", "tier": "preferred"},
        {"regimen": "DVd", "tier": "preferred"},
        {"regimen": "IsaPd", "tier": "preferred"},
        {
            "regimen": "REP",
            "tier": "preferred",
            "despite_refractory": {"drugs": ["lenalidomide"], "sources": ["r"]},
        },
    ],
    cautions=[
        {
            "id": "frail-info",
            "applies_to": {},
            "when": True,
            "text": "general information",
            "sources": ["q"],
            "severity": "information",
        }
    ],
)


def evaluate(record: dict[str, Any], data: dict[str, Any] = CONSIDER_ALL) -> ResultOut:
    base = {"schema_version": "1", "as_of": "2026-11-01"}
    return PackEvaluator(Pack.model_validate(data), load_catalogue()).run(
        Assessment(parse_record(base | record))
    )


def options(result: ResultOut) -> dict[str, tuple[str, list[str]]]:
    return {o.id: (o.status, o.requires) for o in result.options}


def option(result: ResultOut, oid: str) -> OptionOut:
    return next(o for o in result.options if o.id == oid)


ON_DR = {
    "treatments": [{"regimen": "D-R", "setting": "maintenance", "start": "2024-01-01"}],
    "progressions": [{"date": "2026-10-01", "type": "clinical"}],
}
ON_ISA_R = {
    "treatments": [{"regimen": "Isa-R", "setting": "maintenance", "start": "2024-01-01"}],
    "progressions": [{"date": "2026-10-01", "type": "clinical"}],
}


def test_refractory_to_every_active_drug_excludes() -> None:
    result = evaluate(ON_DR)  # progression on daratumumab + lenalidomide
    excluded = {e.id: e for e in result.excluded}
    assert set(excluded) == {"DRd", "Rd"}  # dexamethasone does not count
    assert excluded["DRd"].reason == (
        "refractory to every active (non-steroid) drug in it (daratumumab, lenalidomide)"
    )
    assert excluded["Rd"].provenance == "mmpath_rule"
    assert excluded["Rd"].by == "refractoriness"


def test_one_drug_not_refractory_keeps_the_regimen() -> None:
    got = options(evaluate(ON_DR))
    assert got["Kd"] == ("recommended", [])  # carfilzomib never given
    assert got["DCEP"] == ("recommended", [])


def test_refractory_drug_moves_a_preferred_option_down_with_the_caution_first() -> None:
    result = evaluate(ON_DR, PREFERRED)
    dvd = option(result, "DVd")  # refractory to daratumumab, bortezomib never given
    assert (dvd.tier, dvd.listed_tier, dvd.status) == ("consider", "preferred", "recommended")
    first = dvd.cautions[0]
    assert first.id == "refractory-daratumumab"
    assert first.severity == "contraindicating" and first.provenance == "mmpath_rule"
    assert "Refractory to daratumumab: progression 2026-10-01" in first.text
    rest = [c.severity for c in dvd.cautions[1:]]
    assert rest == sorted(rest, key=SEVERITY_RANK.__getitem__)  # then by severity
    assert "monitoring" in rest and "information" in rest  # label checks, pack note


def test_the_source_may_give_an_option_despite_refractoriness() -> None:
    rep = option(evaluate(ON_DR, PREFERRED), "REP")  # lenalidomide-refractory
    assert (rep.tier, rep.listed_tier) == ("preferred", None)
    assert rep.cautions[0].id == "refractory-lenalidomide"
    assert rep.cautions[0].provenance == "guideline"
    assert rep.cautions[0].severity == "information"


def test_isatuximab_refractory_is_anti_cd38_refractory() -> None:
    result = evaluate(ON_ISA_R, PREFERRED)  # never had daratumumab
    dvd = option(result, "DVd")
    assert (dvd.tier, dvd.listed_tier) == ("consider", "preferred")
    assert "by target (an anti-CD38 antibody, same target)" in dvd.cautions[0].text
    assert {e.id for e in result.excluded} == {"DRd"}  # daratumumab and lenalidomide


def test_unknown_refractoriness_keeps_a_preferred_option_conditional() -> None:
    record = {
        "treatments": [{"regimen": "VRd", "start": "2023-01-01", "end": "2023-06-01"}],
        # progressions unrecorded and no best response: refractoriness unknown
    }
    dvd = option(evaluate(record, PREFERRED), "DVd")
    assert dvd.tier == "preferred" and dvd.status == "conditional"
    assert dvd.requires == ["bortezomib_refractory"]
    assert dvd.applies_if == "not refractory to bortezomib"
    assert dvd.cautions[0].applies is None


def test_refractory_to_one_unknown_for_the_other_is_conditional_not_excluded() -> None:
    record = {
        # daratumumab course ended without a recorded response; progressions not recorded,
        # so whether it failed is unknown; lenalidomide stopped for progression
        "treatments": [
            {"regimen": "daratumumab", "start": "2023-01-10", "end": "2023-06-30"},
            {
                "regimen": "lenalidomide",
                "start": "2023-07-15",
                "end": "2026-09-20",
                "stop_reason": "progression",
            },
        ],
    }
    result = evaluate(record)
    got = options(result)
    assert got["DRd"] == ("conditional", ["daratumumab_refractory"])
    assert got["DVd"][0] == "recommended"  # bortezomib never given: known not refractory
    assert {e.id for e in result.excluded} == {"Rd"}
    assert "daratumumab_refractory" in {m.fact for m in result.missing}


def test_nothing_known_makes_every_regimen_conditional() -> None:
    got = options(evaluate({"status": "relapsed"}))  # treatment history not recorded
    assert got["DRd"] == ("conditional", ["daratumumab_refractory", "lenalidomide_refractory"])
    assert got["DCEP"][0] == "conditional"


def test_no_treatment_keeps_everything() -> None:
    got = options(evaluate({"treatments": [], "progressions": []}))
    assert all(status == "recommended" for status, _ in got.values())
    assert len(got) == 5


def test_despite_refractory_needs_a_cited_source() -> None:
    import pytest

    broken = pack(
        [
            {
                "regimen": "REP",
                "tier": "preferred",
                "despite_refractory": {"drugs": ["lenalidomide"], "sources": []},
            }
        ]
    )
    with pytest.raises(ValueError, match="despite_refractory"):
        Pack.model_validate(broken)
