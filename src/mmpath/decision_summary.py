"""The decision summary: the branch-deciding facts at a glance, once per record.

recommendation-v1, "Additions in 1.1": ``summary`` maps a name to ``{value, why}``. Shown at
the top of every output (CLI text, JSON, web result page, print summary, PDF) so that a
misrouted patient is visible at once. Every item is read from the :class:`Assessment`; none
is per guideline.

- ``prior_lines``, ``current_line`` — the position in the lines of therapy (``assess.lines``);
  ``why`` lists the derived lines.
- ``relapse_type`` — ``biochemical`` / ``clinical`` / null (``clinical_relapse``).
- ``refractory`` / ``refractory_unknown`` — drugs (INN) and classes (``proteasome_inhibitor``,
  ``imid``, ``anti_cd38``) the patient is refractory to / for which it is unknown (IMWG).
- ``exposed`` / ``exposed_unknown`` — likewise for exposure.
- ``creatinine_clearance`` — mL/min, ``"dialysis"``, or null.
- ``risk`` — ``high`` / ``standard`` / null: IMS/IMWG 2025 high risk, or plasma cell
  leukaemia (IMWG 2021).
- ``transplant_eligible`` — the clinician's judgement (and what the DMSG rule would say).

A guideline may define risk or eligibility its own way: its pack names the facts it decides
them with (pack key ``summary``; dk-ndmm-te: ``high_risk_dk`` — the DMSG reading of IMS/IMWG
2025 with del(17p) ≥ 20 %, ≥ 2 HRCAs and the DMSG additions — and
``transplant_eligible_dmsg``). When the output is for ONE guideline whose pack names such a
fact, or when several guidelines are evaluated and that pack is the only one naming it that
applies to the patient, the item shows that guideline's value (the branch it actually took)
and names the general one in ``why``; otherwise the general value is shown and each
guideline's own reading is named in ``why``.
- ``frail`` — frailty, naming the score used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mmpath.assess import Assessment
from mmpath.assess.fact import in_words
from mmpath.assess.lines import position
from mmpath.assess.refractoriness import drug_refractory
from mmpath.recommendation import ResultOut, SummaryItemOut

if TYPE_CHECKING:
    from mmpath.engine.pack import Pack

CLASS_FACTS = {"proteasome_inhibitor": "pi", "imid": "imid", "anti_cd38": "anti_cd38"}
"""Class codes shown in the summary and the prefix of their facts (``pi_refractory``)."""
ORDER = (
    "prior_lines",
    "current_line",
    "relapse_type",
    "refractory",
    "refractory_unknown",
    "exposed",
    "exposed_unknown",
    "creatinine_clearance",
    "risk",
    "transplant_eligible",
    "frail",
)
GUIDELINE_READINGS = ("risk", "transplant_eligible")
"""Summary items a guideline may define its own way (pack key ``summary``)."""


def decision_summary(
    a: Assessment, packs: Sequence[Pack] = (), results: Sequence[ResultOut] = ()
) -> dict[str, SummaryItemOut]:
    """The summary items, in :data:`ORDER`; ``packs``: the guidelines evaluated, ``results``
    their results (whether each applies)."""
    found = position(a)
    prior = a.get("prior_lines")
    items = {
        "prior_lines": SummaryItemOut(
            value=found.prior, why=found.why, warnings=list(prior.warnings)
        ),
        "current_line": SummaryItemOut(
            value=found.current, why=found.why, warnings=list(prior.warnings)
        ),
        "relapse_type": _relapse_type(a),
        **_refractoriness(a),
        "creatinine_clearance": _kidney(a),
        "risk": _risk(a),
        "transplant_eligible": _transplant(a),
        "frail": _item(a, "frail"),
    }
    applies = {r.guideline.id: r.applicable for r in results}
    for name in GUIDELINE_READINGS:
        items[name] = _guideline_reading(a, name, items[name], packs, applies)
    return {name: items[name] for name in ORDER}


def _shown(name: str, value: object) -> object:
    if name == "risk" and isinstance(value, bool):
        return "high" if value else "standard"
    return value


def _guideline_reading(
    a: Assessment,
    name: str,
    general: SummaryItemOut,
    packs: Sequence[Pack],
    applies: dict[str, bool | None],
) -> SummaryItemOut:
    """``general``, or the guideline's own value when one guideline reads its own fact (the
    only guideline evaluated, or the only reader among several that applies)."""
    readers = [
        (p, f)
        for p in packs
        if p.summary is not None
        for item, f in p.summary.items()
        if item == name
    ]
    if not readers:
        return general
    applying = [(p, f) for p, f in readers if applies.get(p.id) is True]
    deciding = readers if len(packs) == 1 else applying
    if len(deciding) == 1:
        pack, fact_name = deciding[0]
        own = a.get(fact_name)
        value = _shown(name, own.value)
        why = (
            f"{pack.id} reads this its own way ({fact_name}): {own.why}. "
            f"In general (shown for other guidelines): {in_words(general.value)}"
            f" — {general.why}"
        )
        warnings = [*general.warnings, *own.warnings]
        if value != general.value:
            warnings.append(
                f"{pack.id}'s own {name.replace('_', ' ')} ({in_words(value)}) differs from the "
                f"general one ({in_words(general.value)}); this output follows {pack.id}"
            )
        return SummaryItemOut(value=value, why=why, warnings=warnings)
    own_values = "; ".join(
        f"{p.id} reads its own ({f}): {in_words(_shown(name, a.value(f)))}" for p, f in readers
    )
    return SummaryItemOut(
        value=general.value, why=f"{general.why} | {own_values}", warnings=general.warnings
    )


def _item(a: Assessment, name: str) -> SummaryItemOut:
    f = a.get(name)
    why = ("asserted by the clinician: " if f.asserted else "") + f.why
    return SummaryItemOut(value=f.value, why=why, warnings=list(f.warnings))


def _relapse_type(a: Assessment) -> SummaryItemOut:
    relapsed = a.get("relapsed")
    clinical = a.get("clinical_relapse")
    warnings = list(relapsed.warnings)
    if relapsed.value is False:
        return SummaryItemOut(value=None, why=f"not relapsed: {relapsed.why}", warnings=warnings)
    if clinical.value is None:
        return SummaryItemOut(value=None, why=clinical.why, warnings=warnings)
    kind = "clinical" if clinical.value else "biochemical"
    return SummaryItemOut(value=kind, why=clinical.why, warnings=warnings)


def _refractoriness_without_history(a: Assessment, asserted: set[str]) -> dict[str, SummaryItemOut]:
    """Treatment history not recorded: only the clinician's assertions are known (review
    r81-12: lenalidomide refractoriness asserted for a referral without the history was not
    listed). The lists are then what is known, not all there is."""
    why = "treatment history not recorded"
    refractory = [d for d in sorted(asserted) if a.value(f"{d}_refractory") is True]
    refractory += [
        k for k, prefix in CLASS_FACTS.items() if a.value(f"{prefix}_refractory") is True
    ]
    out = {
        key: SummaryItemOut(value=None, why=why)
        for key in ("refractory", "refractory_unknown", "exposed", "exposed_unknown")
    }
    if refractory:
        out["refractory"] = SummaryItemOut(
            value=refractory,
            why=f"{why}; asserted by the clinician: "
            + "; ".join(f"{d}: {a.get(f'{d}_refractory').why}" for d in sorted(asserted)),
        )
    return out


def _refractoriness(a: Assessment) -> dict[str, SummaryItemOut]:
    # a clinician's assertion (``<inn>_refractory``) is listed even for a drug not recorded
    asserted = {
        name.removesuffix("_refractory")
        for name, value in (a.record.asserted or {}).items()
        if value is not None
        and name.endswith("_refractory")
        and name.removesuffix("_refractory") in a.catalogue.drugs
    }
    if a.record.treatments is None:
        return _refractoriness_without_history(a, asserted)
    given = {d for c in a.courses for d in a.catalogue.anti_myeloma_drugs(c.drugs)}
    drugs = sorted(given | asserted)
    refractory: list[str] = []
    unknown: list[str] = []
    reasons: list[str] = []
    unknown_reasons: list[str] = []
    for drug in drugs:
        value, why = drug_refractory(a, drug)
        if value is True:
            refractory.append(drug)
            reasons.append(f"{drug}: {why}")
        elif value is None:
            unknown.append(drug)
            unknown_reasons.append(f"{drug}: {why}")
    exposed = [d for d in drugs if a.exposed_to(d)]  # drug_exposed: True iff a course gave it
    for klass, prefix in CLASS_FACTS.items():
        value = a.value(f"{prefix}_refractory")
        if value is True:
            refractory.append(klass)
        elif value is None:
            unknown.append(klass)
        if a.value(f"{prefix}_exposed") is True:
            exposed.append(klass)
    definition = (
        "IMWG (Rajkumar 2011): no response (< MR) or progression on therapy or within 60 days"
    )
    return {
        "refractory": SummaryItemOut(
            value=refractory,
            why="; ".join(reasons) or f"refractory to none of the drugs given ({definition})",
        ),
        "refractory_unknown": SummaryItemOut(
            value=unknown,
            why="; ".join(unknown_reasons) or "refractoriness is known for every drug given",
        ),
        "exposed": SummaryItemOut(
            value=exposed,
            why="; ".join(c.label() for c in a.courses) or "no treatment recorded",
        ),
        "exposed_unknown": SummaryItemOut(
            value=[], why="the treatment history is recorded: exposure is known for every drug"
        ),
    }


def _kidney(a: Assessment) -> SummaryItemOut:
    if a.value("dialysis") is True:
        return SummaryItemOut(
            value="dialysis",
            why="on dialysis: Cockcroft–Gault not used; the lowest band of every dose table",
        )
    crcl = a.get("creatinine_clearance")
    return SummaryItemOut(value=crcl.value, why=crcl.why)


def _risk(a: Assessment) -> SummaryItemOut:
    imwg = a.get("high_risk_imwg2025")
    pcl = a.get("plasma_cell_leukemia")
    why = f"IMS/IMWG 2025 (Avet-Loiseau 2025): {imwg.why}; plasma cell leukaemia (IMWG 2021): {pcl.why}"
    warnings = []
    if a.value("del17p_at_threshold_boundary") is True:
        warnings.append(
            "del(17p) clonal fraction at the 20 % boundary: IMS/IMWG 2025 '> 20 %' (used) "
            "and the DMSG text '≥ 20 %' disagree — assert high_risk_imwg2025 to follow the other"
        )
    if imwg.value is True or pcl.value is True:
        return SummaryItemOut(value="high", why=why, warnings=warnings)
    if imwg.value is False:
        return SummaryItemOut(value="standard", why=why, warnings=warnings)
    return SummaryItemOut(value=None, why=why, warnings=warnings)


def _transplant(a: Assessment) -> SummaryItemOut:
    generic = a.get("transplant_eligible")
    dmsg = a.get("transplant_eligible_dmsg")
    why = ("asserted by the clinician: " if generic.asserted else "") + generic.why
    if a.record.transplant_eligible is None and not generic.asserted:
        shown = in_words(dmsg.value)
        why += f" (the Danish DMSG rule, dk-ndmm-te's own, would give {shown}: {dmsg.why})"
    return SummaryItemOut(value=generic.value, why=why)
