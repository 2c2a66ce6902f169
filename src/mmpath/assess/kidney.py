"""Kidney function: creatinine clearance.

Cockcroft–Gault (Cockcroft & Gault, Nephron 1976;16:31; shared/reference/
clinical-definitions.md): CrCl (mL/min) = (140 − age) × weight (kg) / (72 × serum
creatinine (mg/dL)), × 0.85 for women. A measured clearance in the labs wins. Only
values from the last :data:`RECENT_DAYS` days before the decision date are used.
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact

RECENT_DAYS = 90


def cockcroft_gault(age: int, weight_kg: float, creatinine_mg_dl: float, female: bool) -> float:
    crcl = (140 - age) * weight_kg / (72 * creatinine_mg_dl)
    return crcl * 0.85 if female else crcl


@fact(
    "creatinine_clearance",
    definition="creatinine clearance in mL/min: measured, or Cockcroft–Gault from serum "
    "creatinine, age, weight and sex (Cockcroft & Gault 1976)",
    needs=("labs", "weight_kg", "sex", "birth_date"),
    kind="number",
)
def creatinine_clearance(a: Assessment) -> tuple[Value, str]:
    measured = a.latest_lab("creatinine_clearance", RECENT_DAYS)
    if measured is not None:
        return round(measured.value, 1), f"measured {measured.value:g} mL/min on {measured.date}"
    lab = a.latest_lab("creatinine", RECENT_DAYS)
    missing = []
    if lab is None:
        missing.append(f"a creatinine within {RECENT_DAYS} days")
    if a.age is None:
        missing.append("age")
    if a.record.weight_kg is None:
        missing.append("weight")
    if a.record.sex not in {"female", "male"}:
        missing.append("sex (female/male)")
    if missing or lab is None or a.age is None or a.record.weight_kg is None:
        return None, "Cockcroft–Gault needs " + ", ".join(missing)
    creatinine = lab.value / 88.4 if lab.unit in {"µmol/L", "umol/L"} else lab.value
    value = cockcroft_gault(a.age, a.record.weight_kg, creatinine, a.record.sex == "female")
    return round(value, 1), (
        f"Cockcroft–Gault {value:.0f} mL/min from creatinine {lab.value:g} {lab.unit} "
        f"({lab.date}), age {a.age}, {a.record.weight_kg:g} kg, {a.record.sex}"
    )
