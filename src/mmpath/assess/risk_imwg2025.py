"""High-risk myeloma per the IMS/IMWG 2025 consensus (Avet-Loiseau et al., JCO 2025;43:2739).

Definition (shared/reference/clinical-definitions.md, "Staging and risk"; tagged [S]: two
secondary sources agree), high risk when any of:

1. del(17p) in more than 20 % of clonal cells, and/or a TP53 mutation;
2. t(4;14), t(14;16) or t(14;20) together with 1q+ (gain or amplification) and/or del(1p32);
3. biallelic del(1p32), or monoallelic del(1p32) together with 1q+;
4. β2-microglobulin ≥ 5.5 mg/L with normal creatinine (< 1.2 mg/dL).

An isolated t(4;14) or an isolated 1q+ is not high risk. The record's ``del_1p`` is read
as del(1p32) (the record has no locus field).

**Decision — the del(17p) boundary.** The published criterion is "> 20 %"; the Danish seed
(003, section 4, twice) writes "≥ 20 %". mmpath follows the publication the seed itself
defers to ("de nyeste IMS/IMWG-kriterier 2025"): :data:`DEL17P_CLONAL_FRACTION` with a
strict ``>``. At the boundary (0.20 to 0.21) the fact's reason names both readings, and
the fact ``del17p_at_threshold_boundary`` lets packs show a note.

β2M, creatinine (and, for the DMSG additions, circulating plasma cells) are taken at
diagnosis: the latest value before first-line treatment started (``baseline_lab``). Without
a β2M value, a recorded ISS I or II (or R-ISS I) at diagnosis settles criterion 4: those
stages need β2M < 5.5 mg/L (ISS: III = β2M ≥ 5.5 mg/L). No del(1p32) settles criterion 3.

Three-valued: missing cytogenetics make criteria 1–3 unknown, so the whole fact is unknown
unless another criterion is already true; it is never silently standard risk.
"""

from __future__ import annotations

from mmpath.assess.assessment import Assessment
from mmpath.assess.fact import Value, fact, kleene_and, kleene_or
from mmpath.record.model import Cytogenetics, LabResult
from mmpath.record.units import to_canonical

DEL17P_CLONAL_FRACTION = 0.20
"""del(17p) is high risk when its clonal fraction is strictly above this (IMS/IMWG 2025,
Avet-Loiseau et al., JCO 2025: "> 20 %"; seed 003 writes "≥ 20 %" — see module docstring)."""
DEL17P_BOUNDARY_BAND = (0.20, 0.21)
"""Fractions in this closed band get the boundary explanation in the fact's reason."""
B2M_HIGH_MG_L = 5.5
"""IMS/IMWG 2025 criterion 4: β2-microglobulin ≥ 5.5 mg/L ..."""
CREATININE_NORMAL_BELOW_MG_DL = 1.2
"""... with normal creatinine, < 1.2 mg/dL (IMS/IMWG 2025)."""


def _present(cg: Cytogenetics | None, *fields: str) -> Value:
    """Kleene OR of cytogenetic findings (None when the record has no cytogenetics)."""
    if cg is None:
        return None
    return kleene_or([getattr(cg, f) for f in fields])


def at_boundary(fraction: float | None) -> bool:
    low, high = DEL17P_BOUNDARY_BAND
    return fraction is not None and low <= fraction <= high


def del17p_fraction(a: Assessment, threshold: str) -> float | tuple[Value, str]:
    """The clonal fraction of the del(17p) found, or — when there is no fraction to weigh —
    the verdict: not tested (unknown), absent (false), present with its fraction not recorded
    (unknown; ``threshold`` names the one it would be weighed against)."""
    cg = a.record.cytogenetics
    if cg is None or cg.del_17p is None:
        return None, "del(17p) not tested"
    if cg.del_17p is False:
        return False, "del(17p) absent"
    if cg.del_17p_fraction is None:
        return None, f"del(17p) present but its clonal fraction is not recorded ({threshold})"
    return cg.del_17p_fraction


def del17p_criterion(a: Assessment) -> tuple[Value, str]:
    """del(17p) above the clonal-fraction threshold (criterion 1, first half)."""
    fraction = del17p_fraction(a, "needs > 20 %")
    if isinstance(fraction, tuple):
        return fraction
    met = fraction > DEL17P_CLONAL_FRACTION
    why = f"del(17p) in {fraction:.0%} of clonal cells ({'>' if met else '≤'} 20 %)"
    if at_boundary(fraction):
        why += (
            f" — boundary: IMS/IMWG 2025 requires > 20 % (mmpath's rule, "
            f"{'met' if met else 'not met'}); the Danish DMSG text writes ≥ 20 %, which "
            f"{'is' if fraction >= DEL17P_CLONAL_FRACTION else 'is not'} met; assert "
            "high_risk_imwg2025 to follow the other reading"
        )
    return met, why


def baseline_lab(a: Assessment, test: str) -> LabResult | None:
    """The value at diagnosis: the latest one before first-line treatment started (or up to
    the decision date when untreated). Risk is a property of the disease at diagnosis.
    With the treatment history not recorded, only values up to the diagnosis date count
    (a later value may have been taken on treatment)."""
    if a.courses:
        until = a.courses[0].start
    elif a.record.treatments is not None:
        until = a.as_of
    elif a.record.diagnosis is not None and a.record.diagnosis.date is not None:
        until = a.record.diagnosis.date
    else:
        return None
    labs = [lab for lab in a.record.labs or [] if lab.test == test and lab.date <= until]
    return max(labs, key=lambda lab: lab.date) if labs else None


def b2m_normal_creatinine(a: Assessment) -> tuple[Value, str]:
    """β2M ≥ 5.5 mg/L with creatinine < 1.2 mg/dL, both at diagnosis (``baseline_lab``)."""
    b2m = baseline_lab(a, "beta2_microglobulin")
    if b2m is None:
        stage = _stage_below_b2m_threshold(a)
        if stage is not None:
            return False, f"{stage} at diagnosis: β2M < {B2M_HIGH_MG_L:g} mg/L"
        return None, "no β2-microglobulin before first-line treatment"
    if b2m.value < B2M_HIGH_MG_L:
        return False, f"β2M {b2m.value:g} mg/L < {B2M_HIGH_MG_L:g}"
    creat = baseline_lab(a, "creatinine")
    if creat is None:
        return None, f"β2M {b2m.value:g} mg/L ≥ {B2M_HIGH_MG_L:g}, creatinine not recorded"
    mg_dl = to_canonical("creatinine", creat.value, creat.unit)
    normal = mg_dl < CREATININE_NORMAL_BELOW_MG_DL
    return normal, (
        f"β2M {b2m.value:g} mg/L ≥ {B2M_HIGH_MG_L:g} with creatinine {mg_dl:.2f} mg/dL "
        f"({'<' if normal else '≥'} {CREATININE_NORMAL_BELOW_MG_DL:g}: "
        f"{'normal' if normal else 'not normal'})"
    )


def _stage_below_b2m_threshold(a: Assessment) -> str | None:
    """The recorded stage when it implies β2M < 5.5 mg/L at diagnosis: ISS I (β2M < 3.5)
    or II (neither I nor III, and III is β2M ≥ 5.5), or R-ISS I (needs ISS I)
    (shared/reference/clinical-definitions.md, "Staging and risk")."""
    diagnosis = a.record.diagnosis
    if diagnosis is None:
        return None
    if diagnosis.iss in (1, 2):
        return f"ISS {'I' * diagnosis.iss}"
    if diagnosis.r_iss == 1:
        return "R-ISS I"
    return None


def criteria(a: Assessment) -> list[tuple[str, Value, str]]:
    cg = a.record.cytogenetics
    del17p, del17p_why = del17p_criterion(a)
    tp53 = _present(cg, "tp53_mutation")
    c1 = kleene_or([del17p, tp53])
    translocation = _present(cg, "t_4_14", "t_14_16", "t_14_20")
    one_q = _present(cg, "gain_1q", "amp_1q")
    del1p = _present(cg, "del_1p")
    c2 = kleene_and([translocation, kleene_or([one_q, del1p])])
    c3 = kleene_or([biallelic_del1p(cg), kleene_and([del1p, one_q])])
    c4, c4_why = b2m_normal_creatinine(a)
    tp53_text = {True: "TP53 mutated", False: "TP53 not mutated", None: "TP53 not tested"}
    return [
        ("1 del(17p) > 20 % / TP53", c1, f"{del17p_why}; {tp53_text[tp53]}"),  # type: ignore[index]
        ("2 t(4;14)/t(14;16)/t(14;20) with 1q+ or del(1p32)", c2, _state(translocation, one_q)),
        ("3 biallelic del(1p32), or del(1p32) with 1q+", c3, _describe(cg)),
        ("4 β2M ≥ 5.5 mg/L with creatinine < 1.2 mg/dL", c4, c4_why),
    ]


def biallelic_del1p(cg: Cytogenetics | None) -> Value:
    """Biallelic del(1p32): absent whenever del(1p) is absent (a biallelic deletion is a
    deletion), whatever ``del_1p_biallelic`` says; otherwise the record's field."""
    if cg is not None and cg.del_1p is False:
        return False
    return _present(cg, "del_1p_biallelic")


def _state(translocation: Value, one_q: Value) -> str:
    words = {True: "present", False: "absent", None: "unknown"}
    return f"IgH translocation {words[translocation]}, 1q+ {words[one_q]}"  # type: ignore[index]


def _describe(cg: Cytogenetics | None) -> str:
    if cg is None:
        return "cytogenetics not recorded"
    words = {True: "present", False: "absent", None: "unknown"}
    if cg.del_1p is False:
        return "del(1p) absent (so no biallelic deletion)"
    return f"del(1p) {words[cg.del_1p]}, biallelic {words[cg.del_1p_biallelic]}"


@fact(
    "high_risk_imwg2025",
    definition="IMS/IMWG 2025 high risk (Avet-Loiseau, JCO 2025): del(17p) > 20 % and/or "
    "TP53 mutation; t(4;14)/t(14;16)/t(14;20) with 1q+ and/or del(1p32); biallelic "
    "del(1p32) or del(1p32) with 1q+; β2M ≥ 5.5 mg/L with creatinine < 1.2 mg/dL",
    needs=("cytogenetics", "labs"),
)
def high_risk_imwg2025(a: Assessment) -> tuple[Value, str]:
    found = criteria(a)
    value = kleene_or([v for _, v, _ in found])
    if value is True:
        met = [f"criterion {name}: {why}" for name, v, why in found if v is True]
        return True, "; ".join(met)
    if value is False:
        return False, "no criterion met: " + "; ".join(why for _, _, why in found)
    open_ = [f"criterion {name}: {why}" for name, v, why in found if v is None]
    settle = ", ".join(to_settle(a, [v for _, v, _ in found]))
    return None, f"none met, not settled (to settle: {settle}): " + "; ".join(open_)


FINDINGS = {
    "del_17p": "del(17p)",
    "tp53_mutation": "TP53 mutation",
    "t_4_14": "t(4;14)",
    "t_14_16": "t(14;16)",
    "t_14_20": "t(14;20)",
    "gain_1q": "1q gain",
    "amp_1q": "1q amplification",
    "del_1p": "del(1p32)",
    "del_1p_biallelic": "whether del(1p32) is biallelic",
}
"""The cytogenetic findings of criteria 1–3, as a clinician names the test to order."""
CRITERION_FINDINGS = (
    ("del_17p", "tp53_mutation"),
    ("t_4_14", "t_14_16", "t_14_20", "gain_1q", "amp_1q", "del_1p"),
    ("del_1p", "del_1p_biallelic", "gain_1q", "amp_1q"),
)


def to_settle(a: Assessment, values: list[Value]) -> list[str]:
    """What is missing for the criteria still unknown (``values`` in the order of
    :func:`criteria`), named as the test or value to obtain, so that a clinician reading
    "risk unknown" after a FISH panel without TP53 sees "TP53 mutation" first (the most
    frequent reviewer question, review rounds 16 and 20–32)."""
    cg = a.record.cytogenetics
    wanted: list[str] = []
    for fields, value in zip(CRITERION_FINDINGS, values, strict=False):
        if value is not None:
            continue
        if cg is None:
            wanted.append("cytogenetics (FISH, TP53)")
            continue
        wanted += [FINDINGS[f] for f in fields if getattr(cg, f) is None]
        if fields[0] == "del_17p" and cg.del_17p and cg.del_17p_fraction is None:
            wanted.append("the del(17p) clonal fraction")
    if values[3] is None:
        wanted.append("β2-microglobulin and creatinine at diagnosis")
    return list(dict.fromkeys(wanted))


@fact(
    "del17p_at_threshold_boundary",
    definition="del(17p) clonal fraction between 0.20 and 0.21, where IMS/IMWG 2025 ('> 20 %') "
    "and the DMSG text ('≥ 20 %') may disagree",
    needs=("cytogenetics",),
)
def del17p_at_threshold_boundary(a: Assessment) -> tuple[Value, str]:
    cg = a.record.cytogenetics
    if cg is None or cg.del_17p is None:
        return None, "del(17p) not tested"
    if not cg.del_17p:
        return False, "del(17p) absent"
    if cg.del_17p_fraction is None:
        return None, "del(17p) clonal fraction not recorded"
    return at_boundary(cg.del_17p_fraction), del17p_criterion(a)[1]
