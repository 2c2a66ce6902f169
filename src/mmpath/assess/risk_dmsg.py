"""The Danish guideline's high-risk group (seed 003, DMSG v2.0): its reading of IMS/IMWG
2025, its "≥ 2 HRCAs" co-occurrence, and its own additions.

Seed 003 defers to "de nyeste IMS/IMWG-kriterier (2025)" but restates them in its own
words, which is what the Danish pathway follows (one answer, used by the pack's branches
and shown in the decision summary; the boundary is named where the readings part):

- "del(17p) med klonal fraktion ≥ 20 %" (written twice): del(17p) in 20 % or more of clonal
  cells is high risk here; the IMS/IMWG 2025 publication writes "> 20 %" (fact
  ``high_risk_imwg2025``), so exactly 20 % is high risk for this pack only, with the
  boundary note ``del17p_at_threshold_boundary``;
- "co-forekomst af ≥ 2 HRCAs, hvilket definerer en patientgruppe med højrisiko HRMM": two or
  more high-risk cytogenetic abnormalities. The seed names them where it lists them:
  del(17p), t(4;14), t(14;16), t(14;20), gain/amp(1q) ("enkeltstående translokationer
  eller kopitanlaberrationer såsom t(4;14), t(14;16), del(17p) eller gain(1q)"; OPTIMUM:
  "del(17p), t(4;14), t(14;16), t(14;20) og/eller amp(1q)") and del(1p) ("biallelisk 1p
  deletion"). Gain and amplification of 1q count once. This differs from IMS/IMWG 2025 only
  where a del(17p) at ≤ 20 % (< 20 % here) meets another HRCA;
- the other IMS/IMWG 2025 criteria as published (TP53 mutation, translocation with 1q+ or
  del(1p32), biallelic del(1p32) or del(1p32) with 1q+, β2M ≥ 5.5 mg/L with normal
  creatinine).

The additions:

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
from mmpath.assess.risk_imwg2025 import (
    DEL17P_CLONAL_FRACTION,
    FINDINGS,
    b2m_normal_creatinine,
    baseline_lab,
    criteria,
    del17p_fraction,
    to_settle,
)
from mmpath.record.model import Cytogenetics

CIRCULATING_PC_ABOVE_PERCENT = 2.0
"""Seed 003: "over 2 % cirkulerende PC" (strictly above)."""
HRCAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("del(17p)", ("del_17p",)),
    ("t(4;14)", ("t_4_14",)),
    ("t(14;16)", ("t_14_16",)),
    ("t(14;20)", ("t_14_20",)),
    ("1q+", ("gain_1q", "amp_1q")),
    ("del(1p)", ("del_1p", "del_1p_biallelic")),
)
"""The high-risk cytogenetic abnormalities seed 003 names (module docstring), with the
record fields that show each."""
MIN_HRCAS = 2
"""Seed 003: "co-forekomst af ≥ 2 HRCAs" defines high-risk myeloma."""


def del17p_dmsg(a: Assessment) -> tuple[Value, str]:
    """del(17p) with a clonal fraction ≥ 20 % (seed 003's wording; IMS/IMWG 2025: > 20 %)."""
    fraction = del17p_fraction(a, "the seed: ≥ 20 %")
    if isinstance(fraction, tuple):
        return fraction
    met = fraction >= DEL17P_CLONAL_FRACTION
    why = f"del(17p) in {fraction:.0%} of clonal cells ({'≥' if met else '<'} 20 %, the seed's threshold)"
    if met and not fraction > DEL17P_CLONAL_FRACTION:
        why += (
            " — boundary: the seed writes '≥ 20 %', which is met and is followed for this "
            "guideline; the IMS/IMWG 2025 publication it defers to writes '> 20 %', which is not"
        )
    return met, why


def _hrca(cg: Cytogenetics, fields: tuple[str, ...]) -> Value:
    if fields[0] == "del_1p" and cg.del_1p is False:
        return False  # no del(1p) at all: not biallelic either
    return kleene_or([getattr(cg, f) for f in fields])


@fact(
    "two_or_more_hrcas",
    definition="seed 003: co-occurrence of ≥ 2 high-risk cytogenetic abnormalities (HRCAs) — "
    "del(17p), t(4;14), t(14;16), t(14;20), 1q gain/amplification, del(1p) — defines "
    "high-risk myeloma ('co-forekomst af ≥ 2 HRCAs, hvilket definerer en patientgruppe med "
    "højrisiko HRMM')",
    needs=("cytogenetics",),
)
def two_or_more_hrcas(a: Assessment) -> tuple[Value, str]:
    cg = a.record.cytogenetics
    if cg is None:
        return None, "cytogenetics not recorded"
    present = [name for name, fields in HRCAS if _hrca(cg, fields) is True]
    unknown = [name for name, fields in HRCAS if _hrca(cg, fields) is None]
    listed = f"present: {', '.join(present) or 'none'}"
    if unknown:
        listed += f"; not tested: {', '.join(unknown)}"
    if len(present) >= MIN_HRCAS:
        return True, f"{len(present)} HRCAs ({listed})"
    if len(present) + len(unknown) < MIN_HRCAS:
        return False, f"{len(present)} HRCA(s), fewer than 2 ({listed})"
    return None, f"{len(present)} HRCA(s) found, 2 possible ({listed})"


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
    definition="high risk for the DMSG pathway (seed 003): the IMS/IMWG 2025 criteria in the "
    "seed's words (del(17p) ≥ 20 % — the publication: > 20 % — or a TP53 mutation; "
    "t(4;14)/t(14;16)/t(14;20) with 1q+ or del(1p32); biallelic del(1p32) or del(1p32) with "
    "1q+; β2M ≥ 5.5 mg/L with normal creatinine), ≥ 2 HRCAs, or one of the DMSG additions "
    "(high β2M with normal kidney function, > 2 % circulating plasma cells or primary plasma "
    "cell leukaemia, extraosseous extramedullary disease)",
    needs=("cytogenetics", "labs", "extramedullary", "diagnosis"),
)
def high_risk_dk(a: Assessment) -> tuple[Value, str]:
    cg = a.record.cytogenetics
    del17p, del17p_why = del17p_dmsg(a)
    tp53 = None if cg is None else cg.tp53_mutation
    tp53_text = {True: "TP53 mutated", False: "TP53 not mutated", None: "TP53 not tested"}
    items: list[tuple[str, Value, str]] = [
        ("del(17p) ≥ 20 % / TP53", kleene_or([del17p, tp53]), f"{del17p_why}; {tp53_text[tp53]}")
    ]
    items += [(f"IMS/IMWG 2025 criterion {name}", v, why) for name, v, why in criteria(a)[1:]]
    hrcas = a.get("two_or_more_hrcas")
    extra = a.get("high_risk_dk_additions")
    items += [("≥ 2 HRCAs", hrcas.value, hrcas.why), ("DMSG additions", extra.value, extra.why)]
    imwg = a.get("high_risk_imwg2025")
    if imwg.asserted and imwg.value is True:
        # every IMS/IMWG 2025 criterion is one of the seed's (its del(17p) threshold is the
        # lower), so the clinician's IMS/IMWG 2025 high risk is DMSG high risk (review r81-11:
        # FISH done elsewhere, not in the record); an asserted false settles nothing here
        items.append(("IMS/IMWG 2025 high risk", True, imwg.why))
    value = kleene_or([v for _, v, _ in items])
    if value is True:
        return True, "; ".join(f"{name}: {why}" for name, v, why in items if v is True)
    if value is False:
        return False, "no criterion met: " + "; ".join(f"{name}: {why}" for name, _, why in items)
    open_ = "; ".join(f"{name}: {why}" for name, v, why in items if v is None)
    return None, f"none met, not settled (to settle: {', '.join(_to_settle(a, items))}): {open_}"


def _to_settle(a: Assessment, items: list[tuple[str, Value, str]]) -> list[str]:
    """What is missing for the still-unknown items of :func:`high_risk_dk` (the first four
    are the IMS/IMWG 2025 criteria in the seed's words), named as the test to obtain."""
    wanted = to_settle(a, [v for _, v, _ in items[:4]])
    cg = a.record.cytogenetics
    if items[4][1] is None and cg is not None:
        wanted += [FINDINGS[f] for _, fields in HRCAS for f in fields[:1] if getattr(cg, f) is None]
    if items[5][1] is None:
        if circulating_plasma_cells(a)[0] is None:
            wanted.append("circulating plasma cells at diagnosis")
        if a.value("extraosseous_extramedullary_disease") is None:
            wanted.append("extramedullary disease")
        if b2m_normal_creatinine(a)[0] is None:
            wanted.append("β2-microglobulin and creatinine at diagnosis")
    return list(dict.fromkeys(wanted))
