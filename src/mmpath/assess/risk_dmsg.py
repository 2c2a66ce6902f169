"""The Danish guideline's own additions to the high-risk group (seed 003, DMSG v2.0).

Seed 003, section 4, high-risk part: "Pt. med høj B2M og normal nyrefunktion, patienter
med over 2 % cirkulerende PC og pt med "true" ekstramedullær (ikke paraosseous) MM burde
inkluderes i HR gruppe." — patients with high β2M and normal kidney function, more than
2 % circulating plasma cells, or "true" (extraosseous, not paraosseous) extramedullary
disease ought to be included in the high-risk group. Three items, hedged ("burde").

Reading decisions (shown in the reasons):
- "høj B2M og normal nyrefunktion": the seed gives no cut-offs; mmpath uses those of
  IMS/IMWG 2025 criterion 4 (β2M ≥ 5.5 mg/L, creatinine < 1.2 mg/dL), the definition the
  same section restates.
- "over 2 %": strictly more than 2 % circulating plasma cells (at diagnosis: the latest
  value before first-line treatment, as for β2M). Primary plasma cell leukaemia recorded at
  diagnosis meets it without a count: the revised IMWG definition the same section restates
  ("Den reviderede IMWG-definition af PCL kræver ≥ 5 % cirkulerende plasmaceller") means
  at least 5 %.
- "true" extramedullary disease: the record's ``extramedullary: extraosseous`` (seed 003:
  "Extraossøs EMD opstår i viscerale organer og bløddelsvæv via hæmatogen spredning").
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact, kleene_or
from mmpath.assess.risk_imwg2025 import b2m_normal_creatinine, baseline_lab

CIRCULATING_PC_ABOVE_PERCENT = 2.0
"""Seed 003: "over 2 % cirkulerende PC" (strictly above)."""


def circulating_plasma_cells(a: Assessment) -> tuple[Value, str]:
    lab = baseline_lab(a, "circulating_plasma_cells")
    if lab is not None and lab.value > CIRCULATING_PC_ABOVE_PERCENT:
        return True, f"circulating plasma cells {lab.value:g} % (> 2 %) on {lab.date}"
    pcl = a.get("primary_plasma_cell_leukemia")
    if pcl.value is True:
        return True, (
            f"primary plasma cell leukaemia ({pcl.why}): ≥ 5 % circulating plasma cells by the "
            "IMWG definition seed 003 restates, so > 2 %"
        )
    if lab is None:
        return None, "circulating plasma cells: none measured before first-line treatment"
    return False, f"circulating plasma cells {lab.value:g} % (≤ 2 %) on {lab.date}"


@fact(
    "high_risk_dk_additions",
    definition="seed 003 (DMSG) additions to the high-risk group: high β2M with normal kidney "
    "function (IMS/IMWG 2025 cut-offs: ≥ 5.5 mg/L, creatinine < 1.2 mg/dL), > 2 % "
    "circulating plasma cells (primary plasma cell leukaemia, ≥ 5 % by the IMWG definition, "
    "included), or extraosseous ('true') extramedullary disease",
    needs=("labs", "extramedullary", "diagnosis"),
)
def high_risk_dk_additions(a: Assessment) -> tuple[Value, str]:
    b2m, b2m_why = b2m_normal_creatinine(a)
    cpc, cpc_why = circulating_plasma_cells(a)
    emd = a.get("extraosseous_extramedullary_disease")
    items = [
        (b2m, f"high β2M with normal kidney function: {b2m_why}"),
        (cpc, cpc_why),
        (emd.value, f"extraosseous EMD: {emd.why}"),
    ]
    value = kleene_or([v for v, _ in items])
    if value is True:
        return True, "; ".join(why for v, why in items if v is True)
    return value, "; ".join(why for _, why in items)


@fact(
    "high_risk_dk",
    definition="high risk for the DMSG pathway (seed 003): IMS/IMWG 2025 high risk or one of "
    "the DMSG additions (high β2M with normal kidney function, > 2 % circulating plasma "
    "cells or primary plasma cell leukaemia, extraosseous extramedullary disease)",
    needs=("cytogenetics", "labs", "extramedullary", "diagnosis"),
)
def high_risk_dk(a: Assessment) -> tuple[Value, str]:
    imwg = a.get("high_risk_imwg2025")
    extra = a.get("high_risk_dk_additions")
    value = kleene_or([imwg.value, extra.value])
    return value, f"IMS/IMWG 2025: {imwg.why} | DMSG additions: {extra.why}"
