"""Plausibility: values outside physiological ranges are errors, with a unit hint.

One table (:data:`LAB_RANGES`, :data:`BODY_RANGES`) of the widest values mmpath accepts, in
each test's canonical unit (``units.CANONICAL``). They are not reference ranges and say
nothing about disease: they are bounds beyond which a value is not compatible with life, or
is far more likely a typing or unit error (creatinine 1.1 µmol/L is 1.1 mg/dL entered with
the wrong unit). The bounds are mmpath's own, set wide on purpose (no external source gives
"plausibility limits"); each is explained in docs/record-validation.md. A value that is out
of range in its unit but in range in another accepted unit of the same test gets the hint
"did you mean <unit>?".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from mmpath.record.units import CANONICAL, FACTORS, to_canonical


@dataclass(frozen=True, slots=True)
class Range:
    low: float
    high: float
    low_inclusive: bool = True  # False: the value must be strictly above ``low``

    def holds(self, value: float) -> bool:
        above = value >= self.low if self.low_inclusive else value > self.low
        return above and value <= self.high

    def describe(self, unit: str, factor: float = 1.0) -> str:
        low, high = self.low / factor, self.high / factor
        sign = "≥" if self.low_inclusive else ">"
        return f"{sign} {low:g} and ≤ {high:g} {unit}"


LAB_RANGES: Final[dict[str, Range]] = {
    # canonical unit (units.CANONICAL) -> the widest plausible values
    "serum_m_protein": Range(0.0, 15.0),  # g/dL
    "urine_m_protein": Range(0.0, 50_000.0),  # mg/24h
    "flc_kappa": Range(0.0, 100_000.0),  # mg/L
    "flc_lambda": Range(0.0, 100_000.0),  # mg/L
    "beta2_microglobulin": Range(0.0, 150.0, low_inclusive=False),  # mg/L
    "albumin": Range(5.0, 70.0),  # g/L
    "ldh": Range(10.0, 50_000.0),  # U/L
    "creatinine": Range(0.1, 30.0),  # mg/dL (must be > 0)
    "creatinine_clearance": Range(0.0, 300.0),  # mL/min
    "calcium": Range(4.0, 25.0),  # mg/dL (1.0 to 6.2 mmol/L)
    "hemoglobin": Range(2.0, 25.0),  # g/dL
    "circulating_plasma_cells": Range(0.0, 100.0),  # %
    "bone_marrow_plasma_cells": Range(0.0, 100.0),  # %
}
BODY_RANGES: Final[dict[str, tuple[Range, str]]] = {
    "weight_kg": (Range(20.0, 300.0), "kg"),
    "height_cm": (Range(100.0, 250.0), "cm"),
}


def lab_problem(test: str, value: float, unit: str) -> str | None:
    """Why a lab value is implausible (with a unit hint), or None."""
    limits = LAB_RANGES[test]
    if limits.holds(to_canonical(test, value, unit)):
        return None
    allowed = limits.describe(unit, FACTORS[test][unit])
    message = f"{test} {value:g} {unit} is outside the plausible range ({allowed})"
    others = [u for u in FACTORS[test] if FACTORS[test][u] != FACTORS[test][unit]]
    fits = [u for u in others if limits.holds(to_canonical(test, value, u))]
    if fits:
        message += f": did you mean {fits[0]}?"
    elif CANONICAL[test] != unit:
        message += f" (= {to_canonical(test, value, unit):g} {CANONICAL[test]})"
    return message


def body_problem(field: str, value: float) -> str | None:
    """Why a weight or height is implausible (with a hint), or None."""
    limits, unit = BODY_RANGES[field]
    if limits.holds(value):
        return None
    message = f"{field} {value:g} is outside the plausible range ({limits.describe(unit)})"
    if field == "height_cm" and limits.holds(value * 100):
        message += ": did you mean metres (height_cm is in centimetres)?"
    if field == "weight_kg" and value > limits.high and limits.holds(value / 1000):
        message += ": did you mean grams (weight_kg is in kilograms)?"
    return message
