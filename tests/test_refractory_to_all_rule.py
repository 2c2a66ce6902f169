"""The general rule "not offered when refractory to every non-steroid drug" (engine).

A constraint with ``refractory_to_all_active_drugs: true`` excludes a regimen only when
every non-steroid drug in it is refractory (IMWG, ``assess.refractoriness``); refractory
to some and unknown for the rest makes the option conditional on the unknown ones; any
drug known not refractory keeps it.
"""

from __future__ import annotations

from typing import Any

from mmpath.assess import Assessment
from mmpath.catalogue import load_catalogue
from mmpath.engine.evaluate import PackEvaluator
from mmpath.engine.pack import Pack
from mmpath.recommendation import ResultOut
from mmpath.record.load import parse_record

PACK: dict[str, Any] = {
    "id": "test-pack",
    "title": "test",
    "version": "0",
    "language": "en",
    "source_document": "none.txt",
    "applicability": {"when": True, "text": "all", "not_applicable": "never"},
    "quotes": {"q": {"section": "s", "quote": "q", "english": "q"}},
    "rules": [
        {
            "id": "r",
            "title": "r",
            "rationale": "r",
            "sources": ["q"],
            "options": [
                {"regimen": r, "tier": "consider"} for r in ("DRd", "DVd", "Kd", "Rd", "DCEP")
            ],
        }
    ],
    "constraints": [
        {
            "id": "all-refractory",
            "applies_to": {},
            "refractory_to_all_active_drugs": True,
            "reason": "refractory to all",
            "sources": ["q"],
        }
    ],
}


def evaluate(record: dict[str, Any]) -> ResultOut:
    pack = Pack.model_validate(PACK)
    base = {"schema_version": "1", "as_of": "2026-11-01"}
    return PackEvaluator(pack, load_catalogue()).run(Assessment(parse_record(base | record)))


def options(result: ResultOut) -> dict[str, tuple[str, list[str]]]:
    return {o.id: (o.status, o.requires) for o in result.options}


ON_DR = {
    "treatments": [{"regimen": "D-R", "setting": "maintenance", "start": "2024-01-01"}],
    "progressions": [{"date": "2026-10-01", "type": "clinical"}],
}


def test_refractory_to_every_active_drug_excludes() -> None:
    result = evaluate(ON_DR)  # progression on daratumumab + lenalidomide
    excluded = {e.id: e.reason for e in result.excluded}
    assert set(excluded) == {"DRd", "Rd"}  # dexamethasone does not count
    assert excluded["DRd"] == "refractory to all (daratumumab, lenalidomide)"
    assert excluded["Rd"] == "refractory to all (lenalidomide)"
    assert "constraint:all-refractory" in result.fired


def test_one_drug_not_refractory_keeps_the_regimen() -> None:
    got = options(evaluate(ON_DR))
    assert got["DVd"] == ("recommended", [])  # bortezomib never given
    assert got["Kd"] == ("recommended", [])
    assert got["DCEP"] == ("recommended", [])


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
