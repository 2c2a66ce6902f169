"""High-risk cytogenetics as seed 000 lists it for aggressive relapse.

Seed 000 ("Overwegingen ..."): "hoog risico cytogenetica" within the aggressive-relapse
list; the IMWG relapse table it follows names t(4;14), del(17p) and 1q gain or
amplification (shared/reference/clinical-definitions.md, "aggressive relapse"). This is
deliberately not the IMS/IMWG 2025 high-risk definition (see ``risk_imwg2025``).
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact, kleene_or

ABNORMALITIES = {
    "t_4_14": "t(4;14)",
    "del_17p": "del(17p)",
    "gain_1q": "1q gain",
    "amp_1q": "1q amplification",
}


@fact(
    "high_risk_cytogenetics",
    definition="t(4;14), del(17p) or 1q gain/amplification present (IMWG relapse table; "
    "seed 000 'hoog risico cytogenetica')",
    needs=("cytogenetics",),
)
def high_risk_cytogenetics(a: Assessment) -> tuple[Value, str]:
    cg = a.record.cytogenetics
    if cg is None:
        return None, "cytogenetics not recorded"
    values = {label: getattr(cg, field) for field, label in ABNORMALITIES.items()}
    value = kleene_or(list(values.values()))
    present = [k for k, v in values.items() if v is True]
    unknown = [k for k, v in values.items() if v is None]
    if value is True:
        return True, "present: " + ", ".join(present)
    if value is False:
        return False, "tested absent: " + ", ".join(values)
    return None, "none present; not tested: " + ", ".join(unknown)
