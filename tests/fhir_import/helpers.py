"""Small builders of FHIR resources for the import tests."""

from __future__ import annotations

import json
from typing import Any

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
UCUM = "http://unitsofmeasure.org"
PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1955-05-05", "gender": "male"}


def bundle(*resources: dict[str, Any], kind: str = "collection") -> str:
    return json.dumps(
        {"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in resources]}
    )


def myeloma(onset: str = "2022-01-10", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "dx",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": ICD10, "code": "C90.0"}]},
        "onsetDateTime": onset,
        **extra,
    }


def lab(
    code: str, value: float, unit: str, day: str = "2026-10-01", rid: str = "lab"
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": day,
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "valueQuantity": {"value": value, "system": UCUM, "code": unit, "unit": unit},
    }


def statement(
    drug: str, start: str, end: str | None = None, rid: str = "ms", **extra: Any
) -> dict[str, Any]:
    period = {"start": start, **({"end": end} if end else {})}
    return {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": "completed" if end else "active",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": drug},
        "effectivePeriod": period,
        **extra,
    }


def administration(drug: str, day: str, rid: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationAdministration",
        "id": rid,
        "status": "completed",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": drug},
        "effectiveDateTime": day,
    }


def reasons(report: dict[str, Any]) -> dict[str, str]:
    """resource -> reason of every unused resource."""
    return {u["resource"]: u["reason"] for u in report["unused"]}
