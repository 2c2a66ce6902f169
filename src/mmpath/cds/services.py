"""The services mmpath offers and the FHIR data each asks the EHR to prefetch.

Prefetch templates use only what CDS Hooks allows ("Prefetch query restrictions"):
instance reads, type-level searches by patient, token search parameters with equality.
Observations are limited to the codes mmpath reads (``mmpath.fhir.codes``), so an EHR
does not send a patient's whole laboratory history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mmpath.fhir import codes

PATIENT = "{{context.patientId}}"


def _observation_codes() -> str:
    loinc = sorted(
        {
            *codes.LAB_LOINC,
            codes.ECOG_LOINC,
            codes.WEIGHT_LOINC,
            codes.HEIGHT_LOINC,
            codes.DISEASE_STATUS_LOINC,
            codes.VARIANT_LOINC,
        }
    )
    ncit = sorted({codes.ISS_CODE, codes.RISS_CODE})
    own = [f"{codes.MMPATH_OBSERVATION}|{codes.BEST_RESPONSE}"]
    return ",".join(
        [f"{codes.LOINC}|{c}" for c in loinc] + [f"{codes.NCIT}|{c}" for c in ncit] + own
    )


PREFETCH: dict[str, str] = {
    "patient": f"Patient/{PATIENT}",
    "conditions": f"Condition?patient={PATIENT}",
    "medicationStatements": f"MedicationStatement?patient={PATIENT}",
    "medicationRequests": f"MedicationRequest?patient={PATIENT}",
    "medicationAdministrations": f"MedicationAdministration?patient={PATIENT}",
    "observations": f"Observation?patient={PATIENT}&code={_observation_codes()}",
    "procedures": f"Procedure?patient={PATIENT}",
    "allergies": f"AllergyIntolerance?patient={PATIENT}",
}

USAGE = (
    "Every call carries the EHR's signed JWT (issuer on mmpath's allow-list). The "
    "prefetch keys are all needed; what the EHR does not prefetch mmpath fetches from "
    "fhirServer with fhirAuthorization, else it answers 412."
)


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str

    def discovery(self) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "prefetch": dict(PREFETCH),
            "usageRequirements": USAGE,
        }


SERVICES: dict[str, Service] = {
    s.id: s
    for s in (
        Service(
            "mmpath-patient-view",
            "patient-view",
            "mmpath: myeloma treatment options",
            "The treatment options published myeloma guidelines give for this patient now, "
            "ranked as each guideline ranks them, with reasons, cautions and what is missing.",
        ),
        Service(
            "mmpath-order-select",
            "order-select",
            "mmpath: is this myeloma regimen among the options?",
            "For a selected myeloma drug order: is the regimen among the guideline options for "
            "this patient, in which tier, with which cautions; critical when the patient is "
            "refractory to, or must not get, an ordered drug.",
        ),
    )
}
