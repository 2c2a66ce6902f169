"""Options that several rules may give, judged in every completion of the unknown facts
(engine/coverage.py): applies whatever the unknown turns out to be -> recommended, at the
worst tier the completions give, the better one as tier_if."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmpath.engine.conditions import All, AnyOf, Compare, Condition, Const, IsTrue, Not
from mmpath.engine.coverage import MAX_UNKNOWN, completions
from mmpath.record.load import parse_record
from mmpath.service import recommend

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "first-relapse-on-lenalidomide.json"


def _leaf(known: dict[str, bool]) -> Any:
    return lambda node: known.get(node.fact)


def _covered(conditions: list[Condition], known: dict[str, bool]) -> bool | None:
    rows = completions(conditions, _leaf(known))
    return None if rows is None else all(any(row) for row in rows)


def test_a_fact_and_its_negation_cover_every_case() -> None:
    frail = IsTrue("frail")
    assert _covered([frail, Not(frail)], {}) is True
    assert _covered([frail], {}) is False
    # known facts are substituted: "relapsed and frail" or "relapsed and not frail"
    both = [All((IsTrue("relapsed"), frail)), All((IsTrue("relapsed"), Not(frail)))]
    assert _covered(both, {"relapsed": True}) is True
    assert _covered(both, {"relapsed": False}) is False


def test_three_branches_over_two_unknown_facts() -> None:
    a, p = IsTrue("anti_cd38_refractory"), IsTrue("pi_refractory")
    branches = [Not(a), All((a, Not(p))), All((a, p))]
    assert _covered(branches, {}) is True
    assert _covered(branches[:2], {}) is False


def test_related_comparisons_are_taken_as_independent_which_is_sound() -> None:
    # score = 1 or score >= 2 does not cover score = 0; treated as two independent leaves,
    # "= 1" or "!= 1" is still found, while "= 1" or "= 2" (not a tautology) is not
    one = Compare("imwg_frailty_score", "eq", 1)
    assert _covered([one, Not(one)], {}) is True
    assert _covered([one, Compare("imwg_frailty_score", "eq", 2)], {}) is False


def test_constants_and_too_many_unknown_leaves() -> None:
    assert _covered([Const(True)], {}) is True
    many = [AnyOf(tuple(IsTrue(f"f{i}") for i in range(MAX_UNKNOWN + 1)))]
    assert completions(many, _leaf({})) is None


def _jp(frailty: dict[str, Any]) -> dict[str, Any]:
    record = json.loads(EXAMPLE.read_text("utf-8"))
    record.update(frailty)
    result = recommend(parse_record(record), "jp-rrmm").results[0]
    return {o.id: o for o in result.options}


def test_jp_triplets_apply_whatever_the_frailty_and_doublets_only_if_frail() -> None:
    # frailty unknown: each triplet is given by the fit rule (preferred) and by the frail
    # rule (alternative), so it applies in every case, at alternative, preferred if not frail
    options = _jp({})
    dvd = options["DVd"]
    assert (dvd.status, dvd.tier) == ("recommended", "alternative")
    assert dvd.tier_if is not None and dvd.tier_if.tier == "preferred"
    # preferred if not frail, and not of intermediate fitness judged unfit (jp-rrmm 1.2.0)
    assert dvd.tier_if.requires == ["frail", "imwg_frailty_score", "unfit"]
    # a doublet is given only to frail (or unfit) patients: still conditional
    assert options["Vd"].status == "conditional"
    # frailty known: the plain answers
    fit = _jp({"asserted": {"frail": False, "unfit": False}})
    assert (fit["DVd"].status, fit["DVd"].tier, fit["DVd"].tier_if) == (
        "recommended",
        "preferred",
        None,
    )
    frail = _jp({"asserted": {"frail": True}})
    assert (frail["DVd"].tier, frail["Vd"].tier) == ("alternative", "preferred")


def test_the_unknown_fact_is_listed_as_affecting_the_tier() -> None:
    record = json.loads(EXAMPLE.read_text("utf-8"))
    result = recommend(parse_record(record), "jp-rrmm").results[0]
    frail = next(m for m in result.missing if m.fact == "frail")
    assert "DVd" in frail.affects and "Vd" in frail.affects
    assert result.empty_branch is None
