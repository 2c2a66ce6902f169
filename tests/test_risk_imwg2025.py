"""IMS/IMWG 2025 high risk (Avet-Loiseau, JCO 2025): criteria 3 and 4 settled by what the
record does say (no del(1p32) at all; an ISS / R-ISS stage that bounds β2M)."""

from __future__ import annotations

from typing import Any

import pytest

from mmpath.assess import Assessment
from mmpath.assess.fact import Value
from mmpath.record.load import parse_record

STANDARD_FISH = {
    "del_17p": False,
    "tp53_mutation": False,
    "t_4_14": False,
    "t_14_16": False,
    "t_14_20": False,
    "gain_1q": False,
    "amp_1q": False,
    "del_1p": False,
}


def risk(cytogenetics: dict[str, Any], diagnosis: dict[str, Any] | None = None) -> Assessment:
    record: dict[str, Any] = {
        "schema_version": "1",
        "as_of": "2026-06-01",
        "cytogenetics": cytogenetics,
        "treatments": [{"regimen": "VRd", "start": "2025-01-06", "end": "2025-04-28"}],
        "progressions": [],
    }
    if diagnosis is not None:
        record["diagnosis"] = diagnosis
    return Assessment(parse_record(record))


@pytest.mark.parametrize(
    ("diagnosis", "expected"),
    [
        ({"iss": 1}, False),
        ({"iss": 2}, False),
        ({"r_iss": 1}, False),
        ({"iss": 3}, None),  # β2M ≥ 5.5: criterion 4 then needs the creatinine
        ({"r_iss": 2}, None),  # R-ISS II may hold ISS III
        (None, None),
    ],
)
def test_stage_bounds_beta2_microglobulin(
    diagnosis: dict[str, Any] | None, expected: Value
) -> None:
    a = risk(STANDARD_FISH, diagnosis)
    assert a.value("high_risk_imwg2025") is expected
    if expected is False:
        assert "β2M < 5.5" in a.get("high_risk_imwg2025").why


def test_no_del1p_settles_the_biallelic_criterion_and_isolated_t414_is_standard() -> None:
    fish = {**STANDARD_FISH, "t_4_14": True}  # del_1p_biallelic not given
    a = risk(fish, {"iss": 1})
    assert a.value("high_risk_imwg2025") is False
    assert "biallelic unknown" not in a.get("high_risk_imwg2025").why


def test_isolated_1q_gain_is_not_high_risk_but_del1p_with_it_is() -> None:
    assert risk({**STANDARD_FISH, "gain_1q": True}, {"iss": 2}).value("high_risk_imwg2025") is False
    both = {**STANDARD_FISH, "gain_1q": True, "del_1p": True}
    assert risk(both, {"iss": 1}).value("high_risk_imwg2025") is True
    # del(1p) present, biallelic and 1q unknown: unknown, never standard
    open_ = {**STANDARD_FISH, "del_1p": True, "gain_1q": None, "amp_1q": None}
    assert risk(open_, {"iss": 1}).value("high_risk_imwg2025") is None


@pytest.mark.parametrize(
    ("fish", "diagnosis", "named"),
    [
        # a FISH panel without TP53: the one test that would settle it is named first
        (
            {k: v for k, v in STANDARD_FISH.items() if k != "tp53_mutation"},
            {"iss": 1},
            "TP53 mutation",
        ),
        ({**STANDARD_FISH, "del_17p": True}, {"iss": 1}, "the del(17p) clonal fraction"),
        ({**STANDARD_FISH, "gain_1q": True, "t_14_16": None}, {"iss": 1}, "t(14;16)"),
        (STANDARD_FISH, None, "β2-microglobulin and creatinine at diagnosis"),
    ],
)
def test_an_unknown_risk_names_what_would_settle_it(
    fish: dict[str, Any], diagnosis: dict[str, Any] | None, named: str
) -> None:
    fact = risk(fish, diagnosis).get("high_risk_imwg2025")
    assert fact.value is None
    assert fact.why.startswith(f"none met, not settled (to settle: {named}")


def test_no_cytogenetics_asks_for_the_cytogenetics() -> None:
    record: dict[str, Any] = {"schema_version": "1", "as_of": "2026-06-01", "diagnosis": {"iss": 1}}
    why = Assessment(parse_record(record)).get("high_risk_imwg2025").why
    assert "(to settle: cytogenetics (FISH, TP53))" in why
