"""Build FHIR R4 / mCODE-style Bundles from patient records (for the round-trip tests).

``to_bundle(record)`` writes what FHIR can carry the way an EHR would (Patient,
Conditions with ICD-10, MedicationStatements per drug with ATC codes, Procedures,
Observations with LOINC / NCIt codes, mCODE CancerDiseaseStatus, genomics observations,
AllergyIntolerance) and returns, next to the bundle, the parts of the record that FHIR
does not carry (``residue``), which the test lays back over the imported record — the
clinician's additions after an import. ``complete`` names empty lists the test tells
the importer are complete.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from mmpath.catalogue import load_catalogue
from mmpath.fhir import codes
from mmpath.record.load import parse_record

ATC_OF = {inn: code for code, inn in reversed(list(codes.ATC_DRUGS.items()))}
LOINC_OF = {
    "serum_m_protein": "33358-3",
    "flc_kappa": "36916-5",
    "flc_lambda": "33944-0",
    "beta2_microglobulin": "1952-1",
    "albumin": "1751-7",
    "ldh": "2532-0",
    "creatinine": "2160-0",
    "creatinine_clearance": "2164-2",
    "calcium": "17861-6",
    "hemoglobin": "718-7",
}
UCUM_OF = {"µmol/L": "umol/L", "mg/24h": "mg/(24.h)", "g/24h": "g/(24.h)"}
ISCN = {
    "del_17p": "del(17)(p13)",
    "t_4_14": "t(4;14)(p16;q32)",
    "t_14_16": "t(14;16)(q32;q23)",
    "t_14_20": "t(14;20)(q32;q12)",
    "t_11_14": "t(11;14)(q13;q32)",
    "gain_1q": "+1q",
    "amp_1q": "amp(1q)",
    "del_1p": "del(1)(p32)",
}
STOP_CODES = {"toxicity": "407563006", "patient_choice": "105480006"}
PROCEDURE_TEXT = {
    "autologous_sct": ("1269349006", "Autologous stem cell transplant"),
    "allogeneic_sct": ("1269349006", "Allogeneic stem cell transplant"),
    "stem_cell_collection": (None, "Stem cell collection (apheresis)"),
    "car_t": (None, "CAR-T cell therapy"),
    "radiotherapy": ("1217123003", "Radiotherapy course of treatment"),
}
# record fields and sub-fields FHIR does not carry: laid back over the imported record
TOP_RESIDUE = (
    "status",
    "frailty",
    "extramedullary",
    "stem_cells",
    "mrd",
    "transplant_eligible",
    "donor_available",
    "asserted",
    "age",
)
COURSE_RESIDUE = ("setting", "line", "cycles")


@dataclass
class Built:
    bundle: dict[str, Any]
    residue: dict[str, Any] = field(default_factory=dict)
    complete: list[str] = field(default_factory=list)


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _subject(pid: str) -> dict[str, str]:
    return {"reference": f"Patient/{pid}"}


def best_response(pid: str, response: str, day: str, focus: dict[str, Any]) -> dict[str, Any]:
    """mmpath's best-response Observation (mmpath/fhir/responses.py) about ``focus``."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "subject": _subject(pid),
        "code": {"coding": [_coding(codes.MMPATH_OBSERVATION, codes.BEST_RESPONSE)]},
        "effectiveDateTime": day,
        "valueCodeableConcept": {"coding": [_coding(codes.IMWG_RESPONSE, response)]},
        "focus": [{"reference": f"{focus['resourceType']}/{focus['id']}"}],
    }


def to_bundle(record: dict[str, Any]) -> Built:
    parse_record(record)  # only valid records
    pid = str(record.get("id") or "patient-1").replace(" ", "-")[:60]
    catalogue = load_catalogue()
    entries: list[dict[str, Any]] = []
    residue: dict[str, Any] = {k: copy.deepcopy(record[k]) for k in TOP_RESIDUE if k in record}
    complete: list[str] = []
    counter = iter(range(1, 100_000))
    as_of = record.get("as_of", "2026-11-01")

    def add(resource: dict[str, Any]) -> None:
        resource.setdefault("id", f"{resource['resourceType'].lower()}-{next(counter)}")
        entries.append({"fullUrl": f"urn:uuid:{pid}-{resource['id']}", "resource": resource})

    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid,
        "meta": {
            "profile": ["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-patient"]
        },
    }
    if "birth_date" in record:
        patient["birthDate"] = record["birth_date"]
    if "sex" in record:
        patient["gender"] = record["sex"]
    add(patient)

    def observation(code: dict[str, Any], day: str, **value: Any) -> dict[str, Any]:
        obs = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [code]},
            "subject": _subject(pid),
            "effectiveDateTime": day,
            **value,
        }
        add(obs)
        return obs

    diagnosis = record.get("diagnosis") or {}
    if diagnosis.get("date"):
        add(
            {
                "resourceType": "Condition",
                "subject": _subject(pid),
                "meta": {
                    "profile": [
                        "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"
                    ]
                },
                "clinicalStatus": {
                    "coding": [
                        _coding(
                            "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"
                        )
                    ]
                },
                "verificationStatus": {
                    "coding": [
                        _coding(
                            "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                            "confirmed",
                        )
                    ]
                },
                "code": {"coding": [_coding(codes.ICD10, "C90.0", "Multiple myeloma")]},
                "onsetDateTime": diagnosis["date"],
            }
        )
        if diagnosis.get("plasma_cell_leukemia"):
            add(
                {
                    "resourceType": "Condition",
                    "subject": _subject(pid),
                    "code": {"coding": [_coding(codes.ICD10, "C90.1", "Plasma cell leukaemia")]},
                    "onsetDateTime": diagnosis["date"],
                }
            )
    kept = {
        k: v
        for k, v in diagnosis.items()
        if k in ("isotype",)
        or (k == "plasma_cell_leukemia" and v is False)
        or (
            k != "date"
            and not diagnosis.get("date")
            and k in ("iss", "r_iss", "plasma_cell_leukemia")
        )
    }
    if kept:
        residue["diagnosis"] = kept
    stage_day = diagnosis.get("date") or as_of
    if diagnosis.get("date"):
        for name, code, table in (
            ("iss", codes.ISS_CODE, codes.ISS_VALUES),
            ("r_iss", codes.RISS_CODE, codes.RISS_VALUES),
        ):
            if diagnosis.get(name) is not None:
                value = next(c for c, v in table.items() if v == diagnosis[name])
                observation(
                    _coding(codes.NCIT, code),
                    stage_day,
                    valueCodeableConcept={"coding": [_coding(codes.NCIT, value)]},
                )

    comorbidities = record.get("comorbidities")
    if comorbidities == []:
        add(
            {
                "resourceType": "List",
                "status": "current",
                "mode": "snapshot",
                "subject": _subject(pid),
                "code": {"coding": [_coding(codes.LOINC, "11450-4", "Problem list")]},
                "emptyReason": {
                    "coding": [
                        _coding(
                            "http://terminology.hl7.org/CodeSystem/list-empty-reason", "nilknown"
                        )
                    ]
                },
            }
        )
    for name in comorbidities or []:
        prefixes = codes.COMORBIDITY_ICD10.get(name) or (
            ("C50",) if name == "other_malignancy" else None
        )
        if prefixes is None:
            residue.setdefault("comorbidities_extra", []).append(name)
            continue
        add(
            {
                "resourceType": "Condition",
                "subject": _subject(pid),
                "code": {"coding": [_coding(codes.ICD10, prefixes[0])]},
                "onsetDateTime": stage_day,
            }
        )

    if record.get("ecog") is not None:
        observation(_coding(codes.LOINC, codes.ECOG_LOINC), as_of, valueInteger=record["ecog"])
    for name, loinc, unit in (
        ("weight_kg", codes.WEIGHT_LOINC, "kg"),
        ("height_cm", codes.HEIGHT_LOINC, "cm"),
    ):
        if record.get(name) is not None:
            observation(
                _coding(codes.LOINC, loinc),
                as_of,
                valueQuantity={
                    "value": record[name],
                    "unit": unit,
                    "system": codes.UCUM,
                    "code": unit,
                },
            )

    for lab in record.get("labs") or []:
        loinc = LOINC_OF.get(lab["test"])
        if loinc is None:
            residue.setdefault("labs", []).append(lab)
            continue
        unit = UCUM_OF.get(lab["unit"], lab["unit"])
        obs = observation(
            _coding(codes.LOINC, loinc),
            lab["date"],
            valueQuantity={"value": lab["value"], "unit": unit, "system": codes.UCUM, "code": unit},
        )
        if "upper_limit" in lab:
            obs["referenceRange"] = [
                {"high": {"value": lab["upper_limit"], "system": codes.UCUM, "code": unit}}
            ]

    cyto = record.get("cytogenetics")
    if cyto:
        day = cyto.get("date") or as_of
        residue["cytogenetics"] = {
            k: cyto.get(k) for k in ("date", "method", "del_17p_fraction", "del_1p_biallelic")
        }
        for name, iscn in ISCN.items():
            if cyto.get(name) is None:
                continue
            obs = observation(
                _coding(codes.LOINC, codes.VARIANT_LOINC, "Genetic variant assessment"),
                day,
                valueCodeableConcept={
                    "coding": [_coding(codes.LOINC, codes.PRESENT if cyto[name] else codes.ABSENT)]
                },
                component=[
                    {"code": {"coding": [_coding(codes.LOINC, "81291-2")]}, "valueString": iscn}
                ],
            )
            if cyto.get("method"):
                obs["method"] = {"text": cyto["method"]}
        if cyto.get("tp53_mutation") is not None:
            observation(
                _coding(codes.LOINC, codes.VARIANT_LOINC),
                day,
                valueCodeableConcept={
                    "coding": [
                        _coding(
                            codes.LOINC, codes.PRESENT if cyto["tp53_mutation"] else codes.ABSENT
                        )
                    ]
                },
                component=[
                    {
                        "code": {"coding": [_coding(codes.LOINC, "48018-6")]},
                        "valueCodeableConcept": {
                            "coding": [_coding(codes.HGNC, "HGNC:11998", "TP53")]
                        },
                    }
                ],
            )

    treatments = record.get("treatments")
    if treatments == []:
        add(
            {
                "resourceType": "List",
                "status": "current",
                "mode": "snapshot",
                "subject": _subject(pid),
                "code": {"coding": [_coding(codes.LOINC, "10160-0")]},
                "emptyReason": {
                    "coding": [
                        _coding(
                            "http://terminology.hl7.org/CodeSystem/list-empty-reason", "nilknown"
                        )
                    ]
                },
            }
        )
    course_residue = []
    for course in treatments or []:
        if course.get("drugs"):  # the drugs given win over an (ambiguous) regimen name
            drugs = tuple(catalogue.drug(d) or d for d in course["drugs"])
        else:
            drugs = catalogue.drugs_of(course["regimen"]) or ()
        extra = {k: course[k] for k in COURSE_RESIDUE if k in course}
        stop = course.get("stop_reason")
        if stop in ("completed", "other"):
            extra["stop_reason"] = stop
        course_residue.append({"start": course["start"], "drugs": sorted(drugs), "fields": extra})
        for drug in drugs:
            concept: dict[str, Any] = {"text": drug}
            if drug in ATC_OF:
                concept["coding"] = [_coding(codes.ATC, ATC_OF[drug], drug)]
            statement: dict[str, Any] = {
                "resourceType": "MedicationStatement",
                "subject": _subject(pid),
                "status": "completed" if course.get("end") else "active",
                "medicationCodeableConcept": concept,
                "effectivePeriod": {
                    "start": course["start"],
                    **({"end": course["end"]} if course.get("end") else {}),
                },
            }
            if stop in STOP_CODES:
                statement["statusReason"] = [{"coding": [_coding(codes.SNOMED, STOP_CODES[stop])]}]
            elif stop == "progression":
                statement["statusReason"] = [{"text": "Disease progression"}]
            add(statement)
        if course.get("best_response"):
            day = course.get("best_response_date") or course.get("end") or course["start"]
            add(best_response(pid, course["best_response"], day, entries[-1]["resource"]))
    if course_residue:
        residue["treatments"] = course_residue

    procedures = record.get("procedures")
    if procedures == []:
        add(
            {
                "resourceType": "List",
                "status": "current",
                "mode": "snapshot",
                "subject": _subject(pid),
                "code": {"coding": [_coding(codes.LOINC, "47519-4")]},
                "emptyReason": {
                    "coding": [
                        _coding(
                            "http://terminology.hl7.org/CodeSystem/list-empty-reason", "nilknown"
                        )
                    ]
                },
            }
        )
    for procedure in procedures or []:
        snomed, text = PROCEDURE_TEXT[procedure["type"]]
        code: dict[str, Any] = {"text": text}
        if snomed:
            code["coding"] = [_coding(codes.SNOMED, snomed)]
        add(
            {
                "resourceType": "Procedure",
                "status": "completed",
                "subject": _subject(pid),
                "code": code,
                "performedDateTime": procedure["date"],
            }
        )
        if "best_response_after" in procedure:
            day = procedure.get("response_date") or procedure["date"]
            add(best_response(pid, procedure["best_response_after"], day, entries[-1]["resource"]))

    progressions = record.get("progressions")
    if progressions == []:
        complete.append("progressions")
    for progression in progressions or []:
        evidence = "711015009" if progression["type"] == "clinical" else "386344002"
        obs = observation(
            _coding(codes.LOINC, codes.DISEASE_STATUS_LOINC),
            progression["date"],
            valueCodeableConcept={"coding": [_coding(codes.SNOMED, codes.WORSENED)]},
        )
        obs["extension"] = [
            {
                "url": codes.EVIDENCE_EXTENSION,
                "valueCodeableConcept": {"coding": [_coding(codes.SNOMED, evidence)]},
            }
        ]
        if progression.get("features"):
            residue.setdefault("progression_features", {})[progression["date"]] = progression[
                "features"
            ]

    for name, kind in (("contraindications", "allergy"), ("intolerances", "intolerance")):
        for entry in record.get(name) or []:
            inn = catalogue.drug(entry)
            if inn is None:  # a class code (anti_cd38, ...): no FHIR substance for it
                residue.setdefault(name, []).append(entry)
                continue
            add(
                {
                    "resourceType": "AllergyIntolerance",
                    "patient": _subject(pid),
                    "type": kind,
                    "category": ["medication"],
                    "code": {"text": inn},
                }
            )
        if record.get(name) == []:
            residue[name] = []
    return Built(
        {"resourceType": "Bundle", "type": "collection", "entry": entries}, residue, complete
    )


def overlay(
    imported: dict[str, Any], original: dict[str, Any], residue: dict[str, Any]
) -> dict[str, Any]:
    """The imported record with the clinician's additions (``residue``) laid over it."""
    out = copy.deepcopy(imported)
    for key in TOP_RESIDUE:
        if key in residue:
            out[key] = residue[key]
    if "diagnosis" in residue:
        out["diagnosis"] = {**out.get("diagnosis", {}), **residue["diagnosis"]}
    if "comorbidities_extra" in residue:
        out["comorbidities"] = sorted(
            set(out.get("comorbidities", [])) | set(residue["comorbidities_extra"])
        )
    if "labs" in residue:
        out["labs"] = out.get("labs", []) + residue["labs"]
    if "cytogenetics" in residue:
        cyto = out.setdefault("cytogenetics", {})
        for key, value in residue["cytogenetics"].items():
            if value is None:
                cyto.pop(key, None)
            else:
                cyto[key] = value
    for course in out.get("treatments", []):
        drugs = (
            sorted(course["drugs"])
            if course.get("drugs")
            else sorted(load_catalogue().drugs_of(course["regimen"]) or ())
        )
        for given in residue.get("treatments", []):
            if given["start"] == course["start"] and given["drugs"] == drugs:
                course.update(given["fields"])
    for progression in out.get("progressions", []):
        features = residue.get("progression_features", {}).get(progression["date"])
        if features:
            progression["features"] = features
    for name in ("contraindications", "intolerances"):
        if name in residue:
            out[name] = sorted(set(out.get(name, [])) | set(residue[name]))
    if "id" in original:
        out["id"] = original["id"]
    return out
