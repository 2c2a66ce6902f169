"""Kidney function: creatinine clearance, dialysis, and which product-label region applies.

Cockcroft–Gault (Cockcroft & Gault, Nephron 1976;16:31; shared/reference/
clinical-definitions.md): CrCl (mL/min) = (140 − age) × weight (kg) / (72 × serum
creatinine (mg/dL)), × 0.85 for women. A measured clearance in the labs wins. Only
values from the last :data:`RECENT_DAYS` days before the decision date are used.

On dialysis (comorbidity ``dialysis``) Cockcroft–Gault is not valid (no steady state;
clinical-definitions.md, "Kidney function on dialysis"): ``creatinine_clearance`` is then
unknown and every dose table's lowest (dialysis) band applies — the dose notes and packs
read ``dialysis`` for it.
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact
from mmpath.record.units import to_canonical

RECENT_DAYS = 90
STALE_ESTIMATE_DAYS = 365
"""An older creatinine is shown with the clearance it would give only up to this age."""


def cockcroft_gault(age: int, weight_kg: float, creatinine_mg_dl: float, female: bool) -> float:
    crcl = (140 - age) * weight_kg / (72 * creatinine_mg_dl)
    return crcl * 0.85 if female else crcl


@fact(
    "creatinine_clearance",
    definition="creatinine clearance in mL/min: measured, or Cockcroft–Gault from serum "
    "creatinine, age, weight and sex (Cockcroft & Gault 1976)",
    needs=("labs", "weight_kg", "sex", "birth_date", "comorbidities"),
    kind="number",
)
def creatinine_clearance(a: Assessment) -> tuple[Value, str]:
    if a.value("dialysis") is True:
        return None, (
            "on dialysis: Cockcroft–Gault is not valid (no steady state) and a clearance is not "
            "used; the lowest (dialysis) band of every dose table applies"
        )
    measured = a.latest_lab("creatinine_clearance", RECENT_DAYS)
    if measured is not None:
        return round(measured.value, 1), f"measured {measured.value:g} mL/min on {measured.date}"
    lab = a.latest_lab("creatinine", RECENT_DAYS)
    missing = []
    if lab is None:
        missing.append(f"a creatinine within {RECENT_DAYS} days{_older(a)}")
    if a.age is None:
        missing.append("age")
    if a.record.weight_kg is None:
        missing.append("weight")
    if a.record.sex not in {"female", "male"}:
        missing.append("sex (female/male)")
    if missing or lab is None or a.age is None or a.record.weight_kg is None:
        return None, "Cockcroft–Gault needs " + ", ".join(missing)
    value = _from_lab(a, lab.value, lab.unit, a.age, a.record.weight_kg)
    return round(value, 1), (
        f"Cockcroft–Gault {value:.0f} mL/min from creatinine {lab.value:g} {lab.unit} "
        f"({lab.date}), age {a.age}, {a.record.weight_kg:g} kg, {a.record.sex}"
    )


def _from_lab(a: Assessment, value: float, unit: str, age: int, weight_kg: float) -> float:
    creatinine = to_canonical("creatinine", value, unit)  # mg/dL (record/units.py)
    return cockcroft_gault(age, weight_kg, creatinine, a.record.sex == "female")


def _older(a: Assessment) -> str:
    """The creatinine too old to use, with what it would give: shown, not used (review
    r66-14: a 139-day-old value left the clearance unknown without saying it existed)."""
    old = a.latest_lab("creatinine")
    if old is None:
        return ""
    days = (a.as_of - old.date).days
    said = f" (the latest, {old.value:g} {old.unit} on {old.date}, is {days} days old"
    if (
        days <= STALE_ESTIMATE_DAYS
        and a.age is not None
        and a.record.weight_kg is not None
        and a.record.sex in {"female", "male"}
    ):
        would = _from_lab(a, old.value, old.unit, a.age, a.record.weight_kg)
        said += f"; it would give {would:.0f} mL/min — measure again"
    return said + ")"


@fact(
    "kidney_function",
    definition="kidney function for dose notes: 'dialysis', or the creatinine clearance in "
    "mL/min (measured or Cockcroft–Gault)",
    needs=("comorbidities", "labs", "weight_kg", "sex", "birth_date"),
    kind="string",
)
def kidney_function(a: Assessment) -> tuple[Value, str]:
    if a.value("dialysis") is True:
        return "dialysis", "on dialysis (comorbidity recorded)"
    crcl = a.get("creatinine_clearance")
    if crcl.value is None:
        return None, crcl.why
    return f"creatinine clearance {crcl.value:g} mL/min", crcl.why


LABEL_REGIONS = {"NL": "EU", "DK": "EU", "BE": "EU", "ES": "EU", "JP": "JP"}
"""Record region -> the product-label region whose dose tables apply (EU: the SmPC)."""


@fact(
    "label_region",
    definition="which product labels apply: EU (SmPC) for NL, DK, BE, ES; JP for Japan "
    "(mmpath holds no Japanese package inserts)",
    needs=("region",),
    kind="string",
)
def label_region(a: Assessment) -> tuple[Value, str]:
    region = a.record.region
    if region is None:
        return None, "region not recorded: which label applies is unknown"
    found = LABEL_REGIONS[region]
    return found, f"region {region}: {found} labels"
