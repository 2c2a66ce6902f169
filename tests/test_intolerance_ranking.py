"""Intolerance shapes ranking (issue 9, jp/es): a drug the record lists as not tolerated
moves an option out of the preferred tier, with the intolerance as a contraindicating
caution first, the guideline's tier kept as ``listed_tier`` (engine ``_rank_by_intolerance``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmpath.record.load import parse_record
from mmpath.service import recommend

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "first-relapse-on-lenalidomide.json"


def _options(
    guideline: str, intolerances: list[str] | None, asserted: dict[str, Any] | None = None
) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(EXAMPLE.read_text("utf-8"))
    record["intolerances"] = intolerances
    if asserted is not None:
        record["asserted"] = asserted
    result = recommend(parse_record(record), guideline).results[0]
    return {o.id: o for o in result.options}


def test_an_intolerant_drug_moves_a_preferred_option_to_consider() -> None:
    assert _options("be-rrmm", [])["DVd"].tier == "preferred"
    dvd = _options("be-rrmm", ["bortezomib"])["DVd"]
    assert dvd.tier == "consider" and dvd.listed_tier == "preferred"
    assert dvd.cautions[0].id == "intolerance-bortezomib"
    assert dvd.cautions[0].severity == "contraindicating"
    assert dvd.cautions[0].provenance == "mmpath_rule"
    # an option without the drug keeps its tier
    assert _options("be-rrmm", ["bortezomib"])["Kd"].tier == "preferred"


def test_a_principle_triplet_with_the_drug_is_not_preferred_in_jp() -> None:
    # jp-rrmm: the abstract individualises by the "toxicity of prior treatments"; a patient
    # known not to be frail (nor unfit), for whom the triplets are preferred
    options = _options("jp-rrmm", ["bortezomib"], {"frail": False, "unfit": False})
    for oid in ("DVd", "PVd", "PanVd"):
        assert options[oid].tier != "preferred", oid
        assert options[oid].listed_tier == "preferred", oid
    assert options["DKd"].tier == "preferred"
