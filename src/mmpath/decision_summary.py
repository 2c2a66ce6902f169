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
- ``frail`` — frailty, naming the score used.

A pack may decide ``risk`` and ``transplant_eligible`` with its own facts (pack key
``summary``, e.g. the Danish DMSG high-risk group and eligibility rule): when that pack is
the one evaluated, or the only one of those evaluated that applies, the summary shows the
pack's value (its why names the pack and the fact, and keeps mmpath's general value beside
it), so that a branch taken on the pack's reading is never shown next to a different
summary value. With several such packs applying, the general value stays and each pack's
reading is added to its why (:func:`with_pack_readings`).
"""

from __future__ import annotations

from collections.abc import Sequence

from mmpath.assess import Assessment
from mmpath.assess.fact import Value
from mmpath.assess.lines import position
from mmpath.assess.refractoriness import drug_exposed, drug_refractory
from mmpath.engine.pack import Pack
from mmpath.recommendation import ResultOut, SummaryItemOut

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


def decision_summary(a: Assessment) -> dict[str, SummaryItemOut]:
    """The summary items, in :data:`ORDER`."""
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
    return {name: items[name] for name in ORDER}


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


def _refractoriness(a: Assessment) -> dict[str, SummaryItemOut]:
    if a.record.treatments is None:
        why = "treatment history not recorded"
        return {
            key: SummaryItemOut(value=None, why=why)
            for key in ("refractory", "refractory_unknown", "exposed", "exposed_unknown")
        }
    drugs = sorted({d for c in a.courses for d in a.catalogue.active_drugs(c.drugs)})
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
    exposed = [d for d in drugs if drug_exposed(a, d)[0] is True]
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
    if imwg.value is True or pcl.value is True:
        return SummaryItemOut(value="high", why=why)
    if imwg.value is False:
        return SummaryItemOut(value="standard", why=why)
    return SummaryItemOut(value=None, why=why)


def _transplant(a: Assessment) -> SummaryItemOut:
    generic = a.get("transplant_eligible")
    dmsg = a.get("transplant_eligible_dmsg")
    why = ("asserted by the clinician: " if generic.asserted else "") + generic.why
    if a.record.transplant_eligible is None and not generic.asserted:
        shown = "unknown" if dmsg.value is None else str(dmsg.value).lower()
        why += f" (the Danish DMSG rule, dk-ndmm-te's own, would give {shown}: {dmsg.why})"
    return SummaryItemOut(value=generic.value, why=why)


def _shown(item: str, value: Value) -> Value:
    if item == "risk":
        return {True: "high", False: "standard"}.get(value) if isinstance(value, bool) else None
    return value


def with_pack_readings(
    summary: dict[str, SummaryItemOut],
    a: Assessment,
    packs: Sequence[Pack],
    results: Sequence[ResultOut],
) -> dict[str, SummaryItemOut]:
    """``summary`` with the items packs decide by their own facts (see the module docstring)."""
    readers = [(p, r) for p, r in zip(packs, results, strict=True) if p.summary is not None]
    if not readers:
        return summary
    if len(packs) > 1:
        applying = [(p, r) for p, r in readers if r.applicable is not False]
        readers = applying
    updated = dict(summary)
    decides = len(readers) == 1
    for pack, _ in readers:
        assert pack.summary is not None
        for item, fact_name in pack.summary.items():
            general = updated[item]
            f = a.get(fact_name)
            value = _shown(item, f.value)
            asserted = "asserted by the clinician: " if f.asserted else ""
            reading = f"{pack.id}'s own reading ({fact_name}): {asserted}{f.why}"
            if decides:
                shown = "unknown" if general.value is None else general.value
                why = f"{reading} [mmpath's general summary, not this guideline's: {shown}: {general.why}]"
                updated[item] = SummaryItemOut(value=value, why=why, warnings=general.warnings)
            else:
                shown = "unknown" if value is None else value
                updated[item] = SummaryItemOut(
                    value=general.value,
                    why=f"{general.why} [{pack.id} reads it as {shown}: {reading}]",
                    warnings=general.warnings,
                )
    return updated
