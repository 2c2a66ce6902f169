"""Aggressive relapse, as seed 000 lists it (after the IMWG relapse table).

Seed 000, "Overwegingen voor het maken van keuze voor behandeling": "Bij een agressieve
relaps (hoog risico cytogenetica; β2-microglobuline >5,5 mg/l of albumine <35 g/l;
aanwezigheid van extramedullaire ziekte; verhoogd LDH; korte duur van respons of
progressie tijdens behandeling; snelle aanvang van symptomen; ziektegerelateerde
orgaanschade; circulerende plasmacellen; R-ISS stadium II/III bij relapse; isotype
transformatie) heeft een combinatie van 3 middelen de voorkeur".

Any item true makes the relapse aggressive. Two items cannot be derived and are said so
rather than guessed: "short duration of response" (the protocol gives no threshold) and
"rapid onset of symptoms" (not in the record vocabulary); the clinician asserts
``aggressive_relapse`` when either applies. Labs count when taken within
:data:`RECENT_DAYS` of the decision date. R-ISS at relapse (Palumbo, JCO 2015): stage I
needs ISS I (β2M < 3.5 mg/L and albumin ≥ 35 g/L), no del(17p)/t(4;14)/t(14;16) and
normal LDH; anything else is II/III.
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.disease_status import current_event
from mmpath.assess.fact import Value, fact, kleene_or

RECENT_DAYS = 90
B2M_HIGH_MG_L = 5.5
ALBUMIN_LOW_G_L = 35.0
ISS_I_B2M_MG_L = 3.5
ORGAN_DAMAGE = frozenset({"hypercalcemia", "renal_failure", "anemia", "bone_lesions"})
NOT_DERIVED = "short duration of response and rapid onset of symptoms are not derived (assert them)"


def _recent(a: Assessment, test: str) -> float | None:
    lab = a.latest_lab(test, RECENT_DAYS)
    if lab is None:
        return None
    return a.series(test)[-1][1] if a.series(test) else None


def ldh_raised(a: Assessment) -> Value:
    lab = a.latest_lab("ldh", RECENT_DAYS)
    if lab is None or lab.upper_limit is None:
        return None
    return lab.value > lab.upper_limit


def items(a: Assessment) -> dict[str, Value]:
    """Each item of the seed's list, three-valued."""
    b2m = _recent(a, "beta2_microglobulin")
    albumin = _recent(a, "albumin")
    b2m_or_albumin = kleene_or(
        [
            None if b2m is None else b2m > B2M_HIGH_MG_L,
            None if albumin is None else albumin < ALBUMIN_LOW_G_L,
        ]
    )
    event = current_event(a)
    on_therapy: Value = None
    organ: Value = None
    transformation: Value = None
    if event is not None:
        on_therapy = any(c.on_therapy(event.date, a.as_of) for c in a.courses)
        if event.features & ORGAN_DAMAGE:
            organ = True
        elif event.type == "biochemical" or (event.type == "clinical" and event.features):
            organ = False
        transformation = "isotype_transformation" in event.features or (
            None if event.type is None else False
        )
    cpc = _recent(a, "circulating_plasma_cells")
    circulating: Value = None if cpc is None else cpc > 0
    if event is not None and "plasma_cell_leukemia" in event.features:
        circulating = True
    cg = a.record.cytogenetics
    risk = a.value("high_risk_cytogenetics")
    iss_one: Value = None
    if b2m is not None and albumin is not None:
        iss_one = b2m < ISS_I_B2M_MG_L and albumin >= ALBUMIN_LOW_G_L
    fish_high: Value = None
    if cg is not None:
        fish_high = kleene_or([cg.del_17p, cg.t_4_14, cg.t_14_16])
    ldh = ldh_raised(a)
    riss_2_3 = kleene_or([None if iss_one is None else not iss_one, fish_high, ldh])
    return {
        "high-risk cytogenetics": risk,
        "β2-microglobulin > 5.5 mg/L or albumin < 35 g/L": b2m_or_albumin,
        "extramedullary disease": a.value("extramedullary_disease"),
        "raised LDH": ldh,
        "progression during treatment": on_therapy,
        "disease-related organ damage": organ,
        "circulating plasma cells": circulating,
        "R-ISS II/III at relapse": riss_2_3,
        "isotype transformation": transformation,
    }


@fact(
    "aggressive_relapse",
    definition="seed 000 list (IMWG relapse table): high-risk cytogenetics; β2M > 5.5 mg/L or "
    "albumin < 35 g/L; extramedullary disease; raised LDH; short response or progression on "
    "therapy; rapid onset of symptoms; organ damage; circulating plasma cells; R-ISS II/III at "
    "relapse; isotype transformation",
    needs=("cytogenetics", "labs", "extramedullary", "progressions", "treatments"),
)
def aggressive_relapse(a: Assessment) -> tuple[Value, str]:
    found = items(a)
    value = kleene_or(list(found.values()))
    present = [k for k, v in found.items() if v is True]
    unknown = [k for k, v in found.items() if v is None]
    if value is True:
        return True, "present: " + "; ".join(present)
    if value is False:
        return False, f"none of the derivable items present; {NOT_DERIVED}"
    return None, f"none present; unknown: {'; '.join(unknown)}; {NOT_DERIVED}"


@fact(
    "indolent_relapse",
    definition="biochemical relapse that is not aggressive (seed 000: 'indolent biochemisch "
    "recidief')",
    needs=("progressions", "labs", "cytogenetics"),
)
def indolent_relapse(a: Assessment) -> tuple[Value, str]:
    bio = a.get("biochemical_relapse")
    agg = a.get("aggressive_relapse")
    if bio.value is False or agg.value is True:
        return False, f"biochemical: {bio.why}; aggressive: {agg.why}"
    if bio.value is True and agg.value is False:
        return True, f"{bio.why}; not aggressive"
    return None, f"biochemical: {bio.why}; aggressive: {agg.why}"
