"""Single cytogenetic markers read from the record's FISH results.

t(11;14): seed 001 ("venetoclax might become the first targeted treatment for patients
carrying the t(11;14) in their plasma cells"). true = present, false = tested absent,
unknown = not tested or cytogenetics not recorded (patient-record-v1, "Cytogenetics").
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact


@fact(
    "t_11_14",
    definition="t(11;14) present in the plasma cells (FISH result in the record)",
    needs=("cytogenetics",),
)
def t_11_14(a: Assessment) -> tuple[Value, str]:
    cg = a.record.cytogenetics
    if cg is None:
        return None, "cytogenetics not recorded"
    if cg.t_11_14 is None:
        return None, "t(11;14) not tested"
    return cg.t_11_14, "t(11;14) present" if cg.t_11_14 else "t(11;14) tested absent"
