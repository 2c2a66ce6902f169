"""Lab unit conversions: canonical values, round trips, and facts independent of units."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmpath.record.units import CANONICAL, FACTORS, accepted_units, convert, to_canonical
from records import course, lab, value


@pytest.mark.parametrize(
    ("test", "amount", "unit", "canonical"),
    [
        ("serum_m_protein", 18.0, "g/L", 1.8),
        ("serum_m_protein", 1.8, "g/dL", 1.8),
        ("albumin", 3.5, "g/dL", 35.0),
        ("creatinine", 88.4, "µmol/L", 1.0),
        ("creatinine", 176.8, "umol/L", 2.0),
        ("calcium", 2.5, "mmol/L", 10.02),
        ("calcium", 2.75, "mmol/L", 11.022),
        ("hemoglobin", 8.0, "mmol/L", 12.888),
        ("hemoglobin", 120.0, "g/L", 12.0),
        ("urine_m_protein", 1.2, "g/24h", 1200.0),
        ("flc_kappa", 10.0, "mg/dL", 100.0),
    ],
)
def test_canonical_values(test: str, amount: float, unit: str, canonical: float) -> None:
    assert to_canonical(test, amount, unit) == pytest.approx(canonical)


def test_canonical_unit_is_accepted_with_factor_one() -> None:
    for test, unit in CANONICAL.items():
        assert FACTORS[test][unit] == 1.0
        assert unit in accepted_units(test)


PAIRS = [(t, a, b) for t in FACTORS for a in FACTORS[t] for b in FACTORS[t]]
AMOUNTS = st.floats(min_value=0.0, max_value=1e5, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize(("test", "unit", "other"), PAIRS)
@given(amount=AMOUNTS)
def test_round_trip(test: str, unit: str, other: str, amount: float) -> None:
    there = convert(test, amount, unit, other)
    assert convert(test, there, other, unit) == pytest.approx(amount, rel=1e-12, abs=1e-12)


@given(amount=AMOUNTS)
def test_g_per_l_is_ten_times_g_per_dl(amount: float) -> None:
    assert convert("serum_m_protein", amount, "g/dL", "g/L") == pytest.approx(amount * 10)
    assert convert("albumin", amount, "g/L", "g/dL") == pytest.approx(amount / 10)


@given(a=AMOUNTS, b=AMOUNTS)
def test_conversion_keeps_order(a: float, b: float) -> None:
    for test, unit, other in PAIRS:
        if a < b:
            assert convert(test, a, unit, other) <= convert(test, b, unit, other)


SERUM = [3.0, 1.2, 0.4, 0.4, 1.0, 1.2]  # g/dL; nadir 0.4, rise to 1.0 and 1.2 (confirmed)
DATES = [dt.date(2025, m, 1) for m in range(2, 8)]


def _serum_progression(unit: str) -> object:
    factor = 10 if unit == "g/L" else 1
    return value(
        "lenalidomide_refractory",
        treatments=[course("Rd", dt.date(2025, 1, 10))],
        labs=[
            lab(d, "serum_m_protein", v * factor, unit) for d, v in zip(DATES, SERUM, strict=True)
        ],
    )


def test_lab_progression_is_the_same_in_g_per_l_and_g_per_dl() -> None:
    assert _serum_progression("g/dL") is True
    assert _serum_progression("g/L") is True


@given(st.floats(min_value=0.4, max_value=6.0))
def test_creatinine_clearance_is_the_same_in_both_units(mg_dl: float) -> None:
    base = {"birth_date": "1956-01-01", "sex": "male", "weight_kg": 80.0}
    day = dt.date(2026, 10, 20)
    a = value("creatinine_clearance", labs=[lab(day, "creatinine", mg_dl, "mg/dL")], **base)
    b = value("creatinine_clearance", labs=[lab(day, "creatinine", mg_dl * 88.4, "µmol/L")], **base)
    assert isinstance(a, float)
    assert isinstance(b, float)
    assert a == pytest.approx(b, abs=0.1)


def test_progression_events_are_not_needed_for_a_lab_progression() -> None:
    assert (
        value(
            "progressive_disease",
            treatments=[course("Rd", dt.date(2025, 1, 10))],
            labs=[lab(d, "serum_m_protein", v, "g/dL") for d, v in zip(DATES, SERUM, strict=True)],
        )
        is True
    )
