"""Patient demographics: birth date and administrative gender (FHIR Patient).

``Patient.gender`` male / female / other / unknown maps one to one onto the record's
``sex`` (FHIR's administrative gender is what EHRs hold; the record has no separate
field for it).
"""

from __future__ import annotations

from typing import Any

from mmpath.fhir.context import Context
from mmpath.fhir.read import Resource


def read_patient(ctx: Context, patient: Resource, record: dict[str, Any]) -> None:
    model = patient.model
    ctx.report.patient = patient.source.reference
    if patient.id:
        record["id"] = patient.id
    parts = []
    if model.birthDate is not None:
        day = ctx.day("birth_date", patient.source, model.birthDate)
        if day is not None:
            record["birth_date"] = day.date.isoformat()
            parts.append("birth_date")
    else:
        ctx.report.missing("birth_date", "Patient.birthDate is absent")
    if model.gender in ("male", "female", "other", "unknown"):
        record["sex"] = model.gender
        parts.append("sex")
    if getattr(model, "deceasedBoolean", None) or getattr(model, "deceasedDateTime", None):
        ctx.report.guess("(patient)", patient.source, "the Patient resource says deceased")
    ctx.report.use(patient.source, ", ".join(parts) or "patient identity")
