"""Response history: best responses reached on earlier therapy (IMWG response categories)."""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact
from mmpath.assess.timeline import RESPONSE_RANK

VGPR = RESPONSE_RANK["VGPR"]


RESPONSE_PROCEDURES = frozenset({"autologous_sct", "allogeneic_sct", "car_t"})
"""Procedures that are treatment and so have a response after them (``best_response_after``);
a stem-cell collection or local radiotherapy has none, and its missing response must not
leave the past best response unknown (independent review round 30, case r30-05)."""


@fact(
    "prior_vgpr_or_better",
    definition="a response of VGPR or better was reached on an earlier course or after an "
    "ASCT (seed 000: 'indien in het verleden ≥VGPR bereikt is')",
    needs=("treatments", "procedures"),
)
def prior_vgpr_or_better(a: Assessment) -> tuple[Value, str]:
    responses = [(c.label(), c.best_response) for c in a.courses]
    responses += [
        (f"{p.type} {p.date}", p.best_response_after)
        for p in a.record.procedures or []
        if p.type in RESPONSE_PROCEDURES
    ]
    good = [(where, r) for where, r in responses if r and RESPONSE_RANK[r] >= VGPR]
    if good:
        return True, f"{good[0][1]} after {good[0][0]}"
    if a.record.treatments is None:
        return None, "treatment history not recorded"
    unknown = [where for where, r in responses if r is None]
    if a.record.procedures is None:
        unknown.append("procedures (the response after an ASCT)")
    if unknown:
        return None, "best response not recorded for " + ", ".join(unknown)
    return False, "no VGPR or better recorded" if responses else "no treatment recorded"
