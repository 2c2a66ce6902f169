"""Facts in a clinician's words, grouped by topic (issue 10).

The clinician-assertion picker lists every true/false fact mmpath derives (about a
hundred); shown as raw names (``lenalidomide_refractory``, ``hbv``) they are hard to
find and easy to misread. Each fact here has a label and a topic; drug exposure and
refractoriness facts are labelled from the drug catalogue (``<drug>_exposed``,
``<drug>_given_before_relapse``, ``<drug>_refractory``, class facts for ``pi``, ``imid`` and ``anti_cd38``).
``tests/web/test_assertion_picker.py`` fails when a boolean fact has no label here, so
a new fact cannot reach the picker as a raw name.

The labels restate each fact's definition (``mmpath.assess`` ``FactSpec.definition``,
where the source is cited); they add no clinical content.
"""

from __future__ import annotations

import re
from functools import cache

#: comorbidity codes (patient-record-v1 vocabulary, in its order) as the form shows them
COMORBIDITIES: dict[str, str] = {
    "heart_failure": "Heart failure",
    "ischemic_heart_disease": "Ischaemic heart disease",
    "arrhythmia": "Arrhythmia",
    "hypertension": "Hypertension",
    "uncontrolled_hypertension": "Uncontrolled hypertension",
    "copd": "COPD",
    "asthma": "Asthma",
    "peripheral_neuropathy": "Peripheral neuropathy",
    "diabetes": "Diabetes",
    "renal_impairment": "Renal impairment",
    "dialysis": "Dialysis",
    "liver_impairment": "Liver impairment",
    "venous_thromboembolism": "Venous thromboembolism",
    "active_infection": "Active infection",
    "hbv": "Hepatitis B (HBV)",
    "hiv": "HIV",
    "dementia": "Dementia",
    "other_malignancy": "Other malignancy",
}

#: topic -> fact -> label, in the order the picker shows them
TOPICS: dict[str, dict[str, str]] = {
    "Disease status and relapse": {
        "newly_diagnosed": "Newly diagnosed (not treated, or first line without progression)",
        "relapsed": "Relapsed or refractory",
        "progressive_disease": "Progressive disease since the latest line (IMWG)",
        "biochemical_relapse": "Biochemical relapse (laboratory only)",
        "clinical_relapse": "Clinical relapse (end-organ damage or plasmacytoma)",
        "paraprotein_rising_rapidly": "Paraprotein rising rapidly",
        "treat_biochemical_relapse": "Treat the biochemical relapse now (clinician's decision)",
        "aggressive_relapse": "Aggressive relapse",
        "indolent_relapse": "Indolent biochemical relapse",
        "aggressive_disease": "Aggressive or extramedullary disease during treatment",
        "relapse_within_24_months": "Relapse within 24 months (allogeneic SCT)",
        "chemosensitive_relapse": "Chemosensitive relapse",
        "progression_on_lenalidomide_maintenance": "Progression on lenalidomide maintenance",
        "extramedullary_disease": "Extramedullary disease now",
        "extraosseous_extramedullary_disease": "Extraosseous extramedullary disease now",
        "paraosseous_extramedullary_disease": "Paraosseous extramedullary disease now",
        "prior_extramedullary_disease": "Earlier extramedullary disease",
        "plasma_cell_leukemia": "Plasma cell leukaemia (primary or secondary)",
        "primary_plasma_cell_leukemia": "Primary plasma cell leukaemia",
    },
    "Risk and cytogenetics": {
        "high_risk_imwg2025": "High risk (IMS/IMWG 2025)",
        "high_risk_cytogenetics": "High-risk cytogenetics (t(4;14), del(17p), 1q gain)",
        "high_risk_dk": "High risk (DMSG pathway)",
        "high_risk_dk_additions": "DMSG additions to high risk",
        "two_or_more_hrcas": "Two or more high-risk cytogenetic abnormalities",
        "del17p_at_threshold_boundary": "del(17p) fraction at the 20 % boundary",
        "t_11_14": "t(11;14)",
    },
    "Fitness and transplant": {
        "frail": "Frail (frailty score ≥ 2)",
        "unfit": "Unfit",
        "younger_patient": "Younger patient",
        "transplant_eligible": "Transplant eligible (clinician's judgement)",
        "transplant_eligible_dmsg": "Transplant eligible (DMSG rule)",
        "asct_candidate": "Candidate for ASCT",
        "prior_asct": "ASCT given",
        "benefit_from_first_hdt": "Benefited from the first high-dose therapy",
        "remission_after_first_asct_3_years": "Remission of 3 years or more after the first ASCT",
        "second_asct_remission_criteria": "Second-ASCT remission criteria met",
        "stem_cells_sufficient": "Enough stored stem cells for an ASCT",
        "stem_cell_collection_failed": "Stem-cell collection failed (not enough for an ASCT)",
        "induction_interrupted": "Induction stopped early for toxicity",
        "anti_cd38_maintenance_completed": "Two years of anti-CD38 maintenance given",
        "second_asct_candidate": "Candidate for a second ASCT",
        "allo_sct_consideration": "Allogeneic SCT to be considered",
        "donor_available": "Allogeneic donor available",
    },
    "Response and MRD": {
        "prior_vgpr_or_better": "VGPR or better reached before",
        "cr_after_asct": "Complete remission after the first ASCT",
        "four_induction_cycles_given": "Four induction cycles given",
        "mrd_negative_after_induction": "MRD negative after induction",
        "mrd_positive_after_hdt": "MRD positive after high-dose therapy",
    },
    "Earlier treatment": {
        "quadruplet_induction": "Quadruplet induction (anti-CD38 + PI + IMiD)",
        "kd_at_first_relapse": "Kd at first relapse",
        "dvd_at_first_relapse": "DVd at first relapse",
        "rd_triplet_at_first_relapse": "Rd-based triplet at first relapse",
        "lenalidomide_retreatment_possible": "Lenalidomide retreatment possible",
        "second_line_sections_apply": "After two lines, not double refractory: apply the "
        "second-line sections (by refractoriness) too (clinician's reading)",
    },
    "Refractoriness": {
        "double_refractory": "Double refractory (PI and IMiD)",
        "triple_class_refractory": "Triple-class refractory (PI, IMiD, anti-CD38)",
    },
    "Drug exposure": {},
    "Contraindications and intolerance": {
        "anti_cd38_contraindicated": "Anti-CD38 antibody contraindicated",
        "lenalidomide_intolerant": "Lenalidomide not tolerated",
    },
    "Comorbidities": {
        **COMORBIDITIES,
        "obstructive_lung_disease": "Obstructive lung disease (COPD or asthma)",
    },
}

#: the class prefixes of class facts (``pi_refractory``) as words
_CLASSES = {
    "pi": "Proteasome inhibitor (any)",
    "imid": "IMiD (any)",
    "anti_cd38": "Anti-CD38 antibody (any)",
}
_DRUG_FACT = re.compile(r"^(?P<drug>.+)_(?P<kind>exposed|refractory|given_before_relapse)$")
OTHER = "Other"


def _drug_words(name: str) -> str | None:
    if name in _CLASSES:
        return _CLASSES[name]
    from mmpath.catalogue import load_catalogue

    if load_catalogue().drug(name) is not None:
        return name[:1].upper() + name[1:]
    return None


def _drug_fact(name: str) -> tuple[str, str] | None:
    """``lenalidomide_refractory`` -> (Refractoriness, Lenalidomide refractory)."""
    match = _DRUG_FACT.match(name)
    if match is None:
        return None
    words = _drug_words(match["drug"])
    if words is None:
        return None
    if match["kind"] == "refractory":
        return "Refractoriness", f"{words} refractory"
    if match["kind"] == "given_before_relapse":
        return "Drug exposure", f"{words}: received before this relapse"
    return "Drug exposure", f"{words}: received"


@cache
def _index() -> dict[str, tuple[str, str]]:
    return {
        fact: (topic, label) for topic, facts in TOPICS.items() for fact, label in facts.items()
    }


def topic_and_label(name: str) -> tuple[str, str] | None:
    """The topic and label of fact ``name``; None when it has none (a new fact)."""
    return _index().get(name) or _drug_fact(name)


def picker_groups(names: tuple[str, ...]) -> list[tuple[str, list[tuple[str, str]]]]:
    """``names`` as (topic, [(fact, label)]) in topic order; drug facts sorted by label;
    a fact without a label goes to "Other" under its name (the test forbids that)."""
    grouped: dict[str, list[tuple[str, str]]] = {topic: [] for topic in (*TOPICS, OTHER)}
    for name in names:
        topic, label = topic_and_label(name) or (OTHER, name.replace("_", " "))
        grouped[topic].append((name, label))
    order = {fact: i for i, fact in enumerate(f for facts in TOPICS.values() for f in facts)}
    out = []
    for topic, rows in grouped.items():
        rows.sort(key=lambda row: (order.get(row[0], len(order)), row[1].lower()))
        if rows:
            out.append((topic, rows))
    return out
