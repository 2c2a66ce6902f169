"""mmpath's best-response Observation (src/mmpath/fhir/responses.py, docs/fhir.md)."""

from __future__ import annotations

from typing import Any

from fhir_import.helpers import PATIENT, bundle, myeloma, reasons, statement
from mmpath.fhir import codes, import_bundle


def response(
    rid: str, value: str, focus: list[str] | None, day: str = "2023-05-01"
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": codes.MMPATH_OBSERVATION, "code": codes.BEST_RESPONSE}]},
        "effectiveDateTime": day,
        "valueCodeableConcept": {"coding": [{"system": codes.IMWG_RESPONSE, "code": value}]},
    }
    if focus is not None:
        resource["focus"] = [{"reference": ref} for ref in focus]
    return resource


VRD = [
    statement("bortezomib", "2023-01-10", "2023-05-01", rid="v"),
    statement("lenalidomide", "2023-01-10", "2023-05-01", rid="r"),
    statement("dexamethasone", "2023-01-10", "2023-05-01", rid="d"),
]
ASCT = {
    "resourceType": "Procedure",
    "id": "asct",
    "status": "completed",
    "subject": {"reference": "Patient/p1"},
    "code": {"text": "Autologous stem cell transplant"},
    "performedDateTime": "2023-06-10",
}


def test_a_response_about_any_drug_of_a_course_is_that_courses_best_response() -> None:
    result = import_bundle(
        bundle(
            PATIENT,
            myeloma(),
            *VRD,
            ASCT,
            response("o1", "VGPR", ["MedicationStatement/r"]),
            response("o2", "CR", ["Procedure/asct"], day="2023-09-01"),
        )
    )
    assert result.record is not None
    assert result.record["treatments"][0]["best_response"] == "VGPR"
    assert result.record["procedures"][0]["best_response_after"] == "CR"
    assert reasons(result.report.as_json()) == {}


def test_of_two_responses_for_one_course_the_better_is_kept_and_the_other_reported() -> None:
    result = import_bundle(
        bundle(
            PATIENT,
            myeloma(),
            *VRD,
            response("o1", "PR", ["MedicationStatement/v"], day="2023-03-01"),
            response("o2", "VGPR", ["MedicationStatement/d"]),
        )
    )
    assert result.record is not None
    assert result.record["treatments"][0]["best_response"] == "VGPR"
    assert reasons(result.report.as_json()) == {"Observation/o1": "superseded"}


def test_a_response_without_a_usable_focus_or_value_is_reported_not_guessed() -> None:
    result = import_bundle(
        bundle(
            PATIENT,
            myeloma(),
            *VRD,
            response("nofocus", "VGPR", None),
            response("elsewhere", "VGPR", ["MedicationStatement/unknown"]),
            response("badvalue", "good", ["MedicationStatement/v"]),
        )
    )
    assert result.record is not None
    assert "best_response" not in result.record["treatments"][0]
    assert reasons(result.report.as_json()) == {
        "Observation/nofocus": "missing_reference",
        "Observation/elsewhere": "missing_reference",
        "Observation/badvalue": "invalid",
    }
