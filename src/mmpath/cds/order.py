"""order-select: which regimen is being ordered, and what mmpath says about it.

The regimen is the set of myeloma drugs of the session's draft MedicationRequests
(``context.draftOrders``; a regimen is usually ordered drug by drug, so the newly
selected order is read together with the other unsigned ones), resolved as in FHIR
import. It matches a guideline option with the same drug set; failing that, with the
same drugs other than corticosteroids (said in the card). Refractoriness,
contraindications and intolerances come from the assessment of the patient's record
(IMWG refractoriness, the record's contraindications), drug by drug.
"""

from __future__ import annotations

from typing import Any

from mmpath.assess import Assessment
from mmpath.assess.refractoriness import drug_refractory
from mmpath.cds.cards import OrderCheck
from mmpath.cds.errors import CdsError
from mmpath.fhir.context import Context
from mmpath.fhir.medications import DrugProblem, resolve_drugs
from mmpath.fhir.read import keys_of, validated
from mmpath.fhir.report import ImportReport
from mmpath.recommendation import RecommendationOut
from mmpath.record.model import PatientRecord


def ordered_drugs(context: dict[str, Any]) -> tuple[tuple[str, ...], list[str]] | None:
    """(drugs of the draft orders, selected MedicationRequest references), or None when no
    selected order is a myeloma drug (then mmpath has nothing to say)."""
    selections = context.get("selections")
    draft = context.get("draftOrders")
    if not isinstance(selections, list) or not isinstance(draft, dict):
        raise CdsError(
            400,
            "order-select needs context.selections and context.draftOrders",
            code="required",
            expression=["context.selections", "context.draftOrders"],
        )
    report = ImportReport()
    resources = []
    for i, entry in enumerate(draft.get("entry") or []):
        data = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(data, dict) and data.get("resourceType") in (
            "MedicationRequest",
            "Medication",
        ):
            found = validated(f"draftOrders.entry[{i}]", data, entry.get("fullUrl"), report)
            if found is not None:
                resources.append(found)
    medications = {k: r for r in resources if r.type == "Medication" for k in keys_of(r)}
    ctx = Context(report, None, medications)
    drugs: list[str] = []
    selected: list[str] = []
    selected_myeloma = False
    for resource in resources:
        if resource.type != "MedicationRequest":
            continue
        reference = f"MedicationRequest/{resource.id}"
        model = resource.model
        concepts = [model.medicationCodeableConcept] if model.medicationCodeableConcept else []
        ref = model.medicationReference.reference if model.medicationReference else None
        if ref and ref in medications:
            concepts.append(medications[ref].model.code)
        try:
            names = resolve_drugs(ctx, concepts)
        except DrugProblem:
            continue
        drugs.extend(d for d in names if d not in drugs)
        if reference in selections:
            selected.append(reference)
            selected_myeloma = True
    if not selected_myeloma:
        return None
    return tuple(drugs), selected


def check_order(
    drugs: tuple[str, ...],
    selected: list[str],
    output: RecommendationOut,
    record: PatientRecord,
    assessment: Assessment,
) -> OrderCheck:
    catalogue = assessment.catalogue
    regimen = catalogue.regimen_for_drugs(drugs)
    check = OrderCheck(regimen.id if regimen else " - ".join(drugs), drugs, selected)
    wanted = frozenset(drugs)
    active = catalogue.active_drugs(wanted)
    for result in output.results:
        if result.applicable is False:
            continue
        exact = [o for o in result.options if o.drugs and frozenset(o.drugs) == wanted]
        loose = [
            o
            for o in result.options
            if o.drugs and catalogue.active_drugs(frozenset(o.drugs)) == active
        ]
        for option in exact or loose[:1]:
            check.matches.append((result, option))
        for excluded in result.excluded:
            if excluded.drugs and frozenset(excluded.drugs) == wanted:
                check.excluded.append((result, excluded.reason))
    for drug in drugs:
        value, why = drug_refractory(assessment, drug)
        if value is True:
            check.refractory.append(f"{drug}: {why}")
        reason = assessment.contraindicated(drug)
        if reason:
            check.contraindicated.append(f"{drug}: {reason}")
        if assessment.intolerant(drug):
            check.intolerant.append(drug)
    return check
