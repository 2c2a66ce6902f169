"""Lab units: which units each test accepts, and conversion to one canonical unit.

Canonical units are the ones the clinical definitions are written in (IMWG response
criteria in g/dL and mg/24 h, free light chains in mg/L, Cockcroft–Gault in mg/dL,
ISS in mg/L and g/L). Conversion factors:
- creatinine: 1 mg/dL = 88.4 µmol/L (shared/reference/clinical-definitions.md);
- calcium: 1 mmol/L = 4.008 mg/dL (molar mass of calcium 40.08 g/mol);
- haemoglobin: 1 mmol/L = 1.611 g/dL (the Dutch convention, Hb monomer 16.11 g/mmol).
"""

from __future__ import annotations

from typing import Final

CANONICAL: Final[dict[str, str]] = {
    "serum_m_protein": "g/dL",
    "urine_m_protein": "mg/24h",
    "flc_kappa": "mg/L",
    "flc_lambda": "mg/L",
    "beta2_microglobulin": "mg/L",
    "albumin": "g/L",
    "ldh": "U/L",
    "creatinine": "mg/dL",
    "creatinine_clearance": "mL/min",
    "calcium": "mg/dL",
    "hemoglobin": "g/dL",
    "circulating_plasma_cells": "%",
    "bone_marrow_plasma_cells": "%",
}

# test -> accepted unit -> factor that converts a value in that unit to the canonical unit
FACTORS: Final[dict[str, dict[str, float]]] = {
    "serum_m_protein": {"g/dL": 1.0, "g/L": 0.1},
    "urine_m_protein": {"mg/24h": 1.0, "g/24h": 1000.0},
    "flc_kappa": {"mg/L": 1.0, "mg/dL": 10.0},
    "flc_lambda": {"mg/L": 1.0, "mg/dL": 10.0},
    "beta2_microglobulin": {"mg/L": 1.0},
    "albumin": {"g/L": 1.0, "g/dL": 10.0},
    "ldh": {"U/L": 1.0},
    "creatinine": {"mg/dL": 1.0, "µmol/L": 1 / 88.4, "umol/L": 1 / 88.4},
    "creatinine_clearance": {"mL/min": 1.0},
    "calcium": {"mg/dL": 1.0, "mmol/L": 4.008},
    "hemoglobin": {"g/dL": 1.0, "mmol/L": 1.611, "g/L": 0.1},
    "circulating_plasma_cells": {"%": 1.0},
    "bone_marrow_plasma_cells": {"%": 1.0},
}


def accepted_units(test: str) -> list[str]:
    """The units the record contract accepts for ``test``."""
    return list(FACTORS[test])


def to_canonical(test: str, value: float, unit: str) -> float:
    """Convert ``value`` in ``unit`` to the canonical unit of ``test``.

    Raises ``KeyError`` for an unknown test or unit; callers validate first.
    """
    return value * FACTORS[test][unit]


def convert(test: str, value: float, unit: str, to_unit: str) -> float:
    """Convert ``value`` of ``test`` from ``unit`` to ``to_unit`` (both accepted units)."""
    return to_canonical(test, value, unit) / FACTORS[test][to_unit]
