"""A clinician's assertion of ``<drug>_refractory`` wins everywhere (issue 9): the drug fact,
the class facts, the refractoriness ranking and exclusion of every pack, and the decision
summary — not only the conditions that name the fact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmpath.assess import Assessment
from mmpath.decision_summary import decision_summary
from mmpath.record.load import parse_record
from mmpath.service import recommend

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _record(asserted: dict[str, bool], **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(
        (EXAMPLES / "first-relapse-on-lenalidomide.json").read_text("utf-8")
    )
    record.update(changes)
    record["asserted"] = asserted
    return record


def _options(record: dict[str, Any], guideline: str) -> dict[str, Any]:
    result = recommend(parse_record(record), guideline).results[0]
    return {o.id: o for o in result.options}


def test_asserted_bortezomib_refractory_reaches_class_ranking_and_summary() -> None:
    # VTd completed with VGPR and no progression within 60 days: derived not refractory
    record = _record({"bortezomib_refractory": True})
    a = Assessment(parse_record(record))
    assert a.value("bortezomib_refractory") is True
    assert a.get("bortezomib_refractory").asserted
    assert a.value("pi_refractory") is True
    summary = decision_summary(a)
    assert summary["refractory"].value is not None
    assert {"bortezomib", "proteasome_inhibitor"} <= set(summary["refractory"].value)
    dvd = _options(record, "be-rrmm")["DVd"]
    assert dvd.tier == "consider" and dvd.listed_tier == "preferred"
    assert dvd.cautions[0].id == "refractory-bortezomib"
    assert "asserted by the clinician" in dvd.cautions[0].text


def test_asserted_not_refractory_overrides_the_derivation() -> None:
    # progression on lenalidomide maintenance: derived refractory; the clinician says not
    record = _record({"lenalidomide_refractory": False})
    summary = decision_summary(Assessment(parse_record(record)))
    assert "lenalidomide" not in (summary["refractory"].value or [])
    drd = _options(record, "jp-rrmm")["DRd"]
    assert drd.listed_tier is None and not any(
        c.id == "refractory-lenalidomide" for c in drd.cautions
    )


def test_asserted_drug_never_recorded_is_listed_and_excludes_by_target() -> None:
    # no anti-CD38 course recorded, but the clinician asserts isatuximab-refractory:
    # daratumumab counts as refractory by target (one target, CD38)
    record = _record({"isatuximab_refractory": True})
    summary = decision_summary(Assessment(parse_record(record)))
    assert {"isatuximab", "anti_cd38"} <= set(summary["refractory"].value or [])
    dvd = _options(record, "be-rrmm")["DVd"]
    assert any(c.id == "refractory-daratumumab" for c in dvd.cautions)
