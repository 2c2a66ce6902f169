"""FHIR import: mapping, absent vs none, the report, and bad or hostile input."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from fhir_import.helpers import (
    ICD10,
    LOINC,
    PATIENT,
    SNOMED,
    administration,
    bundle,
    lab,
    myeloma,
    reasons,
    statement,
)
from mmpath.fhir import FhirInputError, import_bundle, import_fhir
from mmpath.record.decode import MAX_ITEMS


def imported(*resources: dict[str, Any], **options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    result = import_bundle(bundle(PATIENT, *resources), **options)
    assert result.record is not None, result.problems
    return result.record, result.report.as_json()


def accounted(report: dict[str, Any]) -> set[str]:
    return {u["resource"] for u in report["used"]} | {u["resource"] for u in report["unused"]}


def test_patient_diagnosis_and_labs_with_units_converted() -> None:
    record, report = imported(
        myeloma(),
        lab("14682-9", 0.177, "mmol/L", rid="crea"),  # creatinine, mmol/L -> umol/L
        lab("2532-0", 5.0, "ukat/L", rid="ldh"),  # LDH, µkat/L -> U/L
        lab("33358-3", 1.8, "g/dL", rid="mprot"),
    )
    assert record["birth_date"] == "1955-05-05" and record["sex"] == "male"
    assert record["diagnosis"] == {"date": "2022-01-10"}
    labs = {lab_["test"]: lab_ for lab_ in record["labs"]}
    assert labs["creatinine"]["unit"] == "umol/L" and labs["creatinine"]["value"] == pytest.approx(
        177
    )
    assert labs["ldh"]["unit"] == "U/L" and labs["ldh"]["value"] == pytest.approx(300)
    assert labs["serum_m_protein"]["value"] == 1.8
    assert report["unused"] == []
    assert accounted(report) == {
        "Patient/p1",
        "Condition/dx",
        "Observation/crea",
        "Observation/ldh",
        "Observation/mprot",
    }


def test_unconvertible_unit_is_reported_not_assumed() -> None:
    record, report = imported(myeloma(), lab("718-7", 7.0, "mg/mL", rid="hb"))
    assert "labs" not in record
    assert reasons(report)["Observation/hb"] == "invalid"
    assert "cannot be converted" in report["unused"][0]["detail"]


def test_plasma_cell_leukaemia_and_snomed_myeloma() -> None:
    pcl = {
        "resourceType": "Condition",
        "id": "pcl",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": ICD10, "code": "C90.10"}]},
        "onsetDateTime": "2023-02-01",
    }
    snomed = myeloma(
        code={"coding": [{"system": SNOMED, "code": "109989006"}]}, onsetDateTime="2023-01-15"
    )
    record, _report = imported(pcl, snomed)
    assert record["diagnosis"] == {"date": "2023-01-15", "plasma_cell_leukemia": True}


def test_absent_is_not_none_unless_the_input_says_complete() -> None:
    record, report = imported(myeloma())
    assert "treatments" not in record and "comorbidities" not in record
    assert {"treatments", "comorbidities", "procedures", "progressions"} <= {
        a["field"] for a in report["absent"]
    }
    nil = {
        "resourceType": "List",
        "id": "meds",
        "status": "current",
        "mode": "snapshot",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": LOINC, "code": "10160-0"}]},
        "emptyReason": {"coding": [{"code": "nilknown"}]},
    }
    record, _report = imported(myeloma(), nil)
    assert record["treatments"] == []
    record, _report = imported(myeloma(), complete=["procedures"])
    assert record["procedures"] == [] and "treatments" not in record


def test_unknown_complete_list_is_refused() -> None:
    with pytest.raises(FhirInputError) as error:
        import_bundle(bundle(PATIENT), complete=["labs"])
    assert error.value.problems[0].path == "complete"


def test_regimen_named_in_text_and_drug_codes() -> None:
    vrd = statement("VRd", "2024-01-08", "2024-05-01", rid="vrd")
    coded = statement("x", "2024-09-10", rid="len")
    coded["medicationCodeableConcept"] = {
        "coding": [{"system": "http://www.whocc.no/atc", "code": "L04AX04"}]
    }
    record, _report = imported(myeloma(), vrd, coded)
    assert [t.get("regimen") for t in record["treatments"]] == ["VRd", "lenalidomide"]
    assert record["treatments"][0]["end"] == "2024-05-01" and "end" not in record["treatments"][1]


def test_code_that_disagrees_with_its_name_is_ambiguous() -> None:
    wrong = statement("bortezomib", "2024-01-08", rid="wrong")
    wrong["medicationCodeableConcept"]["coding"] = [
        {"system": "http://www.whocc.no/atc", "code": "L04AX04"}
    ]
    record, report = imported(myeloma(), wrong)
    assert "treatments" not in record
    assert reasons(report)["MedicationStatement/wrong"] == "ambiguous"


def test_non_myeloma_drug_and_stopped_without_end() -> None:
    other = statement("amoxicillin 500 mg", "2024-01-08", rid="amox")
    stopped = statement("lenalidomide", "2024-01-08", rid="stop")
    stopped["status"] = "stopped"
    _record, report = imported(myeloma(), other, stopped)
    assert reasons(report) == {
        "MedicationStatement/amox": "out_of_scope",
        "MedicationStatement/stop": "ambiguous",
    }


def test_administrations_per_dose_become_one_course_and_stop_reason() -> None:
    doses = [administration("daratumumab", f"2025-0{m}-01", f"d{m}") for m in range(1, 7)]
    doses += [administration("pomalidomide", f"2025-0{m}-02", f"p{m}") for m in range(1, 7)]
    doses += [administration("dexamethasone", f"2025-0{m}-02", f"x{m}") for m in range(1, 7)]
    record, report = imported(myeloma(), *doses)
    assert record["treatments"] == [{"regimen": "DPd", "start": "2025-01-01", "end": "2025-06-02"}]
    assert any(g["field"] == "treatments[0].end" for g in report["guesses"])


def test_drug_stopped_for_toxicity_while_its_partner_runs_on_ends_the_course() -> None:
    """Lenalidomide stopped for toxicity while daratumumab maintenance, recorded as one
    statement with no end, goes on: the D-R course ends with the stop reason (it was lost
    in one running course) and daratumumab continues as the next course."""
    stopped = statement("lenalidomide", "2024-01-10", "2024-06-30", rid="len")
    stopped["status"] = "stopped"
    stopped["statusReason"] = [{"coding": [{"system": SNOMED, "code": "407563006"}]}]
    dara = statement("daratumumab", "2024-01-10", rid="dara")
    record, report = imported(myeloma(), stopped, dara, as_of=dt.date(2025, 1, 1))
    assert record["treatments"] == [
        {"regimen": "D-R", "start": "2024-01-10", "end": "2024-06-30", "stop_reason": "toxicity"},
        {"regimen": "daratumumab", "start": "2024-07-01"},
    ]
    assert {u["resource"] for u in report["used"]} >= {
        "MedicationStatement/len",
        "MedicationStatement/dara",
    }
    # without a reason the stop is not a split: the course runs on as one
    plain = statement("lenalidomide", "2024-01-10", "2024-06-30", rid="len")
    record, _ = imported(myeloma(), plain, dara, as_of=dt.date(2025, 1, 1))
    assert record["treatments"] == [{"regimen": "D-R", "start": "2024-01-10"}]


def test_progression_from_disease_status_needs_its_evidence_type() -> None:
    base = {
        "resourceType": "Observation",
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": LOINC, "code": "97509-4"}]},
        "effectiveDateTime": "2026-09-01",
        "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "271299001"}]},
    }
    lab_only = {
        **base,
        "id": "bio",
        "extension": [
            {
                "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-disease-status-evidence-type",
                "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "386344002"}]},
            }
        ],
    }
    record, report = imported(myeloma(), {**base, "id": "none"}, lab_only)
    assert record["progressions"] == [{"date": "2026-09-01", "type": "biochemical"}]
    assert reasons(report)["Observation/none"] == "ambiguous"
    stable = {
        **base,
        "id": "stable",
        "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "359746009"}]},
    }
    _record, report = imported(myeloma(), stable)
    assert reasons(report)["Observation/stable"] == "out_of_scope"


def test_cytogenetics_from_iscn() -> None:
    def variant(rid: str, iscn: str, present: bool) -> dict[str, Any]:
        return {
            "resourceType": "Observation",
            "id": rid,
            "status": "final",
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": "2022-01-20",
            "code": {"coding": [{"system": LOINC, "code": "69548-6"}]},
            "valueCodeableConcept": {
                "coding": [{"system": LOINC, "code": "LA9633-4" if present else "LA9634-2"}]
            },
            "component": [
                {"code": {"coding": [{"system": LOINC, "code": "81291-2"}]}, "valueString": iscn}
            ],
        }

    record, report = imported(
        myeloma(),
        variant("a", "t(4;14)(p16;q32)", True),
        variant("b", "del(17)(p13)", False),
        variant("c", "t(8;14)", True),
    )
    assert record["cytogenetics"] == {"date": "2022-01-20", "t_4_14": True, "del_17p": False}
    assert reasons(report)["Observation/c"] == "unknown_code"


def test_partial_dates_are_guesses() -> None:
    record, report = imported(myeloma(onset="2022-03"))
    assert record["diagnosis"]["date"] == "2022-03-01"
    assert any(
        g["field"] == "diagnosis.date" and "2022-03" in g["detail"] for g in report["guesses"]
    )


def test_latest_ecog_wins_older_is_superseded() -> None:
    def ecog(rid: str, day: str, value: int) -> dict[str, Any]:
        return {
            "resourceType": "Observation",
            "id": rid,
            "status": "final",
            "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": LOINC, "code": "89247-1"}]},
            "effectiveDateTime": day,
            "valueInteger": value,
        }

    record, report = imported(myeloma(), ecog("old", "2025-01-01", 0), ecog("new", "2026-01-01", 2))
    assert record["ecog"] == 2
    assert reasons(report)["Observation/old"] == "superseded"


def test_as_of_excludes_later_data() -> None:
    record, report = imported(
        myeloma(),
        lab("718-7", 11.0, "g/dL", "2026-12-01", rid="late"),
        as_of=dt.date(2026, 11, 1),
        region="NL",
    )
    assert record["as_of"] == "2026-11-01" and record["region"] == "NL" and "labs" not in record
    assert reasons(report)["Observation/late"] == "out_of_scope"


def test_allergy_and_intolerance() -> None:
    allergy = {
        "resourceType": "AllergyIntolerance",
        "id": "a",
        "patient": {"reference": "Patient/p1"},
        "type": "allergy",
        "category": ["medication"],
        "code": {"text": "Darzalex"},
    }
    intolerance = {**allergy, "id": "i", "type": "intolerance", "code": {"text": "lenalidomide"}}
    untyped = {**allergy, "id": "u", "type": None}
    record, report = imported(
        myeloma(), allergy, intolerance, {k: v for k, v in untyped.items() if v is not None}
    )
    assert record["contraindications"] == ["daratumumab"] and record["intolerances"] == [
        "lenalidomide"
    ]
    assert reasons(report)["AllergyIntolerance/u"] == "ambiguous"


# -- malformed and hostile input --------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("not json", "not valid JSON"),
        ('{"resourceType": "Bundle", "type": "history", "entry": []}', "Bundle.type 'history'"),
        ('{"resourceType": "Bundel", "type": "collection"}', "no Patient"),
        (
            '{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient", "birthDate": NaN}}]}',
            "NaN",
        ),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (b"\xff\xfe{}", "not UTF-8"),
        ('{"resourceType": "Bundle", "type": "collection", "entry": "x"}', "entry must be a list"),
    ],
)
def test_input_that_cannot_be_imported_gets_a_clear_error(raw: str | bytes, expected: str) -> None:
    with pytest.raises(FhirInputError) as error:
        import_fhir(raw)
    assert expected in str(error.value)


def test_wrong_and_invalid_resources_are_reported_each() -> None:
    raw = bundle(
        PATIENT,
        {"resourceType": "Spaceship", "id": "s"},
        {
            "resourceType": "Encounter",
            "id": "e",
            "status": "finished",
            "class": {"code": "AMB"},
            "subject": {"reference": "Patient/p1"},
        },
        {"resourceType": "Observation", "id": "bad", "status": "final", "code": 5},
        lab("718-7", 11.0, "g/dL", rid="orphan") | {"subject": {"reference": "Patient/zz"}},
        lab("1234-5", 1.0, "g/L", rid="unknown"),
    )
    report = import_bundle(raw).report.as_json()
    assert reasons(report) == {
        "Spaceship/s": "invalid",
        "Encounter/e": "out_of_scope",
        "Observation/bad": "invalid",
        "Observation/orphan": "missing_reference",
        "Observation/unknown": "unknown_code",
    }
    assert "Patient/zz" in next(
        u["detail"] for u in report["unused"] if u["resource"] == "Observation/orphan"
    )


def _haemoglobin_series(n: int) -> list[dict[str, Any]]:
    return [
        lab(
            "718-7",
            10 + (i % 30) / 10,
            "g/dL",
            (dt.date(1990, 1, 1) + dt.timedelta(days=i)).isoformat(),  # all before today
            f"o{i}",
        )
        for i in range(n)
    ]


def test_ten_thousand_observations() -> None:
    """A hostile size: every resource is read and reported, and the record's list limit
    (record/decode.py, docs/security.md) refuses it with the field, nothing half-built."""
    result = import_bundle(bundle(PATIENT, myeloma(), *_haemoglobin_series(10_000)))
    assert result.record is None
    assert [(p.path, p.message) for p in result.problems] == [
        ("labs", f"more than {MAX_ITEMS} items (10000)")
    ]
    assert len(result.report.used) == 10_002  # speed is measured in bench/, not here
    full = import_bundle(bundle(PATIENT, myeloma(), *_haemoglobin_series(MAX_ITEMS)))
    assert full.record is not None and len(full.record["labs"]) == MAX_ITEMS


def test_two_patients_need_ndjson_or_import_fhir() -> None:
    other = {"resourceType": "Patient", "id": "p2", "gender": "female"}
    with pytest.raises(FhirInputError, match="2 patients"):
        import_bundle(bundle(PATIENT, other))
    ndjson = "\n".join(json.dumps(r) for r in (PATIENT, other, myeloma()))
    results = import_fhir(ndjson)
    assert [r.report.patient for r in results] == ["Patient/p1", "Patient/p2"]
    assert results[0].record is not None and "diagnosis" in results[0].record


def test_transaction_and_searchset_bundles() -> None:
    for kind in ("transaction", "searchset"):
        result = import_bundle(bundle(PATIENT, myeloma(), kind=kind))
        assert result.record is not None and result.record["diagnosis"]["date"] == "2022-01-10"


def test_invalid_assembled_record_names_field_and_resource() -> None:
    treatment = statement("lenalidomide", "2024-01-08", rid="len")
    result = import_bundle(
        bundle(PATIENT | {"birthDate": "2025-01-01"}, myeloma(), treatment),
        as_of=dt.date(2024, 6, 1),
    )
    assert result.record is None
    assert any(p.path == "birth_date" for p in result.problems)


def test_absolute_references_and_contained_medication() -> None:
    request = {
        "resourceType": "MedicationRequest",
        "id": "mr",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "https://ehr.test/fhir/Patient/p1"},
        "contained": [
            {
                "resourceType": "Medication",
                "id": "med",
                "code": {
                    "coding": [
                        {
                            "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                            "code": "358258",
                            "display": "bortezomib",
                        }
                    ]
                },
            }
        ],
        "medicationReference": {"reference": "#med"},
        "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-02-01"}}}}],
    }
    record, report = imported(myeloma(), request)
    assert record["treatments"] == [{"regimen": "bortezomib", "start": "2025-02-01"}]
    assert any(
        g["field"] == "treatments[0]" and "orders only" in g["detail"] for g in report["guesses"]
    )
