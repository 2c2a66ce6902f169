"""mCODE CancerDiseaseStatus (LOINC 97509-4) as progression events.

"Patient's condition worsened" (SNOMED CT 271299001) is a progression on the
observation's date. The record needs its type: mCODE's ``evidenceType`` extension says
what the judgement rests on — imaging, symptoms or examination make it a clinical
progression, laboratory data only a biochemical one (mmpath's reading, reported as a
guess). A worsening without evidence, or with evidence of both or neither kind, is
``ambiguous``: it is not imported, and the report says to add it with its type (mmpath
may still derive progression from the M-protein series). Other statuses (improved,
stable, remission, undetermined) are not progression events and are reported.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mmpath.fhir import codes
from mmpath.fhir.context import Context
from mmpath.fhir.read import Resource
from mmpath.fhir.values import codings, describe


def _evidence(model: Any) -> set[str]:
    found: set[str] = set()
    for extension in model.extension or []:
        if extension.url == codes.EVIDENCE_EXTENSION:
            found |= {
                c.code
                for c in codings(extension.valueCodeableConcept)
                if c.system == codes.SNOMED and c.code
            }
    return found


def read_disease_status(ctx: Context, resource: Resource, day: dt.date) -> dict[str, Any] | None:
    model = resource.model
    values = {c.code for c in codings(model.valueCodeableConcept) if c.system == codes.SNOMED}
    if codes.WORSENED not in values:
        known = sorted(
            codes.DISEASE_STATUS_OTHER[v] for v in values if v in codes.DISEASE_STATUS_OTHER
        )
        if known:
            ctx.report.skip(
                resource.source,
                "out_of_scope",
                f"disease status {', '.join(known)}: not a progression event",
            )
        else:
            ctx.report.skip(
                resource.source,
                "unknown_code",
                f"disease status value {describe(model.valueCodeableConcept)} is not in mCODE's "
                "ConditionStatusTrendVS",
            )
        return None
    evidence = _evidence(model)
    clinical = bool(evidence & codes.EVIDENCE_CLINICAL)
    biochemical = bool(evidence & codes.EVIDENCE_BIOCHEMICAL)
    if clinical == biochemical:
        why = "no evidenceType" if not evidence else "its evidenceType does not settle the type"
        ctx.report.skip(
            resource.source,
            "ambiguous",
            f"progression on {day}: {why}; add it to the record as biochemical or clinical",
        )
        return None
    kind = "clinical" if clinical else "biochemical"
    ctx.report.guess(
        "progressions",
        resource.source,
        f"type {kind} read from mCODE evidenceType "
        f"({'imaging, symptoms or examination' if clinical else 'laboratory data only'})",
    )
    return {"date": day.isoformat(), "type": kind}
