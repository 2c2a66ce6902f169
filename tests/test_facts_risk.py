"""IMS/IMWG 2025 high risk: a finding implied absent by its parent is absent."""

from __future__ import annotations

import itertools

import pytest

from records import assess

NEGATIVE = {
    "del_17p": False,
    "tp53_mutation": False,
    "t_4_14": False,
    "t_14_16": False,
    "t_14_20": False,
    "gain_1q": False,
    "amp_1q": False,
}
LABS = [
    {"date": "2026-09-01", "test": "beta2_microglobulin", "value": 2.6, "unit": "mg/L"},
    {"date": "2026-09-01", "test": "creatinine", "value": 0.9, "unit": "mg/dL"},
]


@pytest.mark.parametrize("biallelic", [None, False, True])
def test_no_del1p_means_no_biallelic_del1p(biallelic: bool | None) -> None:
    """Every marker tested negative (del(1p) too) is standard risk, whether or not the
    biallelic field is filled in (class: risk unknown although fully tested)."""
    cg = {**NEGATIVE, "del_1p": False}
    if biallelic is not None:
        cg["del_1p_biallelic"] = biallelic
    a = assess(cytogenetics=cg, labs=LABS, treatments=[])
    assert a.value("high_risk_imwg2025") is False


@pytest.mark.parametrize(
    ("del_1p", "biallelic", "expected"),
    [(None, None, None), (True, None, None), (True, True, True), (True, False, False)],
)
def test_biallelic_del1p_decides_when_del1p_is_present_or_unknown(
    del_1p: bool | None, biallelic: bool | None, expected: bool | None
) -> None:
    cg = {**NEGATIVE, "del_1p": del_1p, "del_1p_biallelic": biallelic}
    assert assess(cytogenetics=cg, labs=LABS, treatments=[]).value("high_risk_imwg2025") is (
        expected
    )


def test_removing_a_cytogenetic_result_never_makes_risk_known() -> None:
    """Property: dropping one tested marker never turns unknown into known."""
    full = {**NEGATIVE, "del_1p": False}
    for size in (1, 2):
        for dropped in itertools.combinations(sorted(full), size):
            cg = {k: v for k, v in full.items() if k not in dropped}
            value = assess(cytogenetics=cg, labs=LABS, treatments=[]).value("high_risk_imwg2025")
            assert value in (False, None), dropped
            if {"del_17p", "tp53_mutation"} & set(dropped):
                assert value is None, dropped


def test_an_unknown_risk_names_every_dropped_marker_that_would_settle_it() -> None:
    """Property: with one marker dropped and risk unknown, the reason names that marker among
    what would settle it (IMS/IMWG 2025; the Danish reading for del(17p) and TP53, and it
    names the unmeasured circulating plasma cells too)."""
    from mmpath.assess.risk_imwg2025 import FINDINGS

    full = {**NEGATIVE, "del_1p": False}
    for dropped in sorted(full):
        cg = {k: v for k, v in full.items() if k != dropped}
        a = assess(cytogenetics=cg, labs=LABS, treatments=[], extramedullary="none")
        imwg, dk = a.get("high_risk_imwg2025"), a.get("high_risk_dk")
        if imwg.value is None:
            assert FINDINGS[dropped] in imwg.why.split("):", 1)[0], dropped
        assert dk.value is None  # circulating plasma cells not measured
        head = dk.why.split("):", 1)[0]
        assert "circulating plasma cells at diagnosis" in head
        if dropped in ("del_17p", "tp53_mutation"):
            assert FINDINGS[dropped] in head, dropped
