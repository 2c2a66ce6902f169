"""The side-by-side comparison of guidelines (mmpath.compare), on hand-made results."""

from __future__ import annotations

from mmpath.compare import compare, join
from mmpath.recommendation import ExcludedOut, GuidelineOut, OptionOut, ResultOut


def option(oid: str, tier: str, status: str = "recommended", **extra: object) -> OptionOut:
    return OptionOut.model_validate(
        {
            "id": oid,
            "kind": "regimen",
            "name": oid,
            "drugs": [oid.lower()],
            "tier": tier,
            "status": status,
            "rationale": "r",
            "sources": [],
            **extra,
        }
    )


def result(
    gid: str,
    options: list[OptionOut],
    excluded: list[tuple[str, str]] = (),  # type: ignore[assignment]
    applicable: bool | None = True,
    by_mmpath: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> ResultOut:
    return ResultOut(
        guideline=GuidelineOut(id=gid, title=gid, version="1", source_document="x", language="en"),
        applicable=applicable,
        applicability="a",
        facts={},
        options=options,
        excluded=[ExcludedOut(id=i, reason=r, provenance="guideline") for i, r in excluded]
        + [ExcludedOut(id=i, reason=r, provenance="mmpath_rule") for i, r in by_mmpath],
        missing=[],
        notes=[],
    )


RESULTS = [
    result(
        "nl",
        [option("DVd", "preferred"), option("Kd", "alternative"), option("RAD", "preferred")],
        excluded=[("DKd", "not reimbursed in NL")],
    ),
    result("be", [option("DVd", "preferred"), option("Kd", "preferred", "conditional")]),
    result("es", [option("DKd", "consider"), option("Kd", "consider")]),
    result("dk", [option("VRd", "preferred")], applicable=False),
]


def cells(comparison, row_id):  # type: ignore[no-untyped-def]
    row = next(r for r in comparison.rows if r.id == row_id)
    return {c.guideline: c.text for c in row.cells}


def test_cells() -> None:
    c = compare(RESULTS)
    assert [col.guideline for col in c.columns] == ["nl", "be", "es", "dk"]
    assert cells(c, "Kd") == {
        "nl": "alternative",
        "be": "preferred?",
        "es": "consider",
        "dk": "n/a",
    }
    assert cells(c, "DKd") == {
        "nl": "excluded: not reimbursed in NL",
        "be": "",
        "es": "consider",
        "dk": "n/a",
    }
    assert cells(c, "VRd") == {"nl": "", "be": "", "es": "", "dk": "n/a"}


def test_rows_ordered_by_best_tier_then_support() -> None:
    c = compare(RESULTS)
    ids = [r.id for r in c.rows]
    assert ids.index("DVd") < ids.index("RAD")  # both preferred: two guidelines before one
    assert ids.index("RAD") < ids.index("DKd")  # preferred before considered
    assert ids[-1] == "VRd"  # offered only by a guideline that does not apply


def test_statements() -> None:
    texts = [s.text for s in compare(RESULTS).statements]
    assert "preferred by nl and be: DVd" in texts
    assert "DKd: excluded by nl (not reimbursed in NL), considered by es" in texts
    assert "Kd?: preferred by be, an alternative by nl, considered by es" in texts
    assert "only nl: RAD" in texts
    assert not any("VRd" in t or "dk" in t for t in texts)  # the n/a guideline is left out
    kinds = [s.kind for s in compare(RESULTS).statements]
    assert kinds == sorted(kinds, key=["agree", "differ", "only", "note"].index)


def test_single_applicable_guideline_and_unknown_applicability() -> None:
    c = compare(
        [
            RESULTS[0],
            RESULTS[3],
            result("jp", [option("Kd", "preferred", "conditional")], applicable=None),
        ]
    )
    texts = [s.text for s in c.statements]
    assert "Kd?: preferred by jp, an alternative by nl" in texts
    assert "whether jp applies is unknown: its options are conditional" in texts
    alone = compare([RESULTS[0], RESULTS[3]])
    assert [s.text for s in alone.statements] == [
        "only nl applies to this patient: nothing to compare"
    ]


def test_an_option_is_never_both_agreed_and_disputed() -> None:
    for statements in (compare(RESULTS).statements, compare(RESULTS[:3]).statements):
        agreed = {o for s in statements if s.kind == "agree" for o in s.options}
        disputed = {o for s in statements if s.kind == "differ" for o in s.options}
        assert not agreed & disputed


def test_silence_principle_and_mmpath_rules_are_not_disagreements() -> None:
    c = compare(
        [
            result(
                "nl",
                [option("DVd", "consider", listed_tier="preferred"), option("Kd", "alternative")],
            ),
            result(
                "be",
                [option("DVd", "consider", listed_tier="preferred")],
                by_mmpath=[("Vd", "refractory to every active (non-steroid) drug in it")],
            ),
            result("jp", [option("Kd", "preferred", basis="principle")]),
            result("es", [option("Vd", "consider")]),
        ]
    )
    assert cells(c, "DVd") == {
        "nl": "consider (listed preferred; refractory)",
        "be": "consider (listed preferred; refractory)",
        "jp": "",
        "es": "",
    }
    basis = {cell.guideline: cell.basis for r in c.rows if r.id == "Kd" for cell in r.cells}
    assert basis == {"nl": "guideline", "be": "silent", "jp": "principle", "es": "silent"}
    kinds = {s.kind for s in c.statements}
    assert "differ" not in kinds and "agree" not in kinds  # no two guidelines' own positions
    texts = [s.text for s in c.statements]
    assert "only nl: Kd" in texts and "only es: Vd" in texts
    assert any(
        t.startswith("mmpath's general safety rule") and "DVd (nl and be)" in t and "Vd (be)" in t
        for t in texts
    )
    assert any(t.startswith("jp states a principle and names no regimen") for t in texts)


def test_join() -> None:
    assert join([]) == ""
    assert join(["a"]) == "a"
    assert join(["a", "b", "c"]) == "a, b and c"


def test_an_option_listed_without_indication_is_silence_not_a_difference() -> None:
    # es-len-refractory lists DaraRd in its caption without saying for whom (issue 9):
    # mmpath does not offer it, but that is not the guideline's position against DRd
    es = result("es", [option("Kd", "consider")])
    es.excluded.append(
        ExcludedOut(id="DRd", reason="listed, indication not stated", indication_not_stated=True)
    )
    comparison = compare([result("be", [option("DRd", "preferred", "conditional")]), es])
    row = next(r for r in comparison.rows if r.id == "DRd")
    assert {c.guideline: c.basis for c in row.cells} == {"be": "guideline", "es": "silent"}
    statements = [s for s in comparison.statements if "DRd" in s.options]
    assert not any(s.kind in {"agree", "differ"} for s in statements)
    assert any(s.kind == "note" and "indication not stated" in s.text for s in statements)
