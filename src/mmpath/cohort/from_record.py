"""One patient-record-v1 as the rows of a registry extract (docs/cohort.md, "Extract format").

The cohort evaluation judges every decision of a history *as of* its date
(:mod:`mmpath.cohort.records`); this turns a whole-history record into the same
:class:`~mmpath.cohort.records.PatientData` an extract row set gives, so one record can be
judged decision by decision (independent review of concordance, ``mmpath review``).

The extract dates what a record leaves undated, and this module must not guess those dates:

- a course's ``best_response`` is known from its ``end`` unless ``known_from`` gives the
  date (key ``"treatments[i]"``); a running course's response is not known before
  ``known_from`` says so;
- a procedure's ``best_response_after`` is used only from the date ``known_from`` gives
  (key ``"procedures[i]"``): the extract's rule, a response without a date is not placed in
  time.

Fields the extract has no column for (``age``, ``stem_cells``, ``status``, ``asserted``)
are refused, naming them: leaving them out would judge a different patient.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from mmpath.cohort.extract import ROW
from mmpath.cohort.records import PatientData
from mmpath.record.model import PatientRecord

NOT_IN_EXTRACT = ("age", "stem_cells", "status", "asserted")
"""Record fields a registry extract cannot hold (docs/cohort.md)."""


class NotAnExtract(ValueError):
    """The record holds something the extract format cannot."""


def patient_data(
    record: PatientRecord, known_from: dict[str, dt.date] | None = None, site: str = "review"
) -> PatientData:
    """``record`` (the whole history) as one patient's extract rows."""
    held = [name for name in NOT_IN_EXTRACT if getattr(record, name) is not None]
    if held:
        raise NotAnExtract(
            f"{', '.join(held)}: a registry extract has no column for "
            f"{'this field' if len(held) == 1 else 'these fields'}; leave "
            f"{'it' if len(held) == 1 else 'them'} out of a record judged decision by decision"
        )
    known = dict(known_from or {})
    unknown_keys = [
        key
        for key in known
        if not _indexes(key, "treatments", record.treatments)
        and not _indexes(key, "procedures", record.procedures)
    ]
    if unknown_keys:
        raise NotAnExtract(
            f"known_from: {', '.join(unknown_keys)}: expected treatments[i] or procedures[i] "
            "of the record"
        )
    diagnosis = record.diagnosis
    frailty = record.frailty
    patient: dict[str, Any] = {
        ROW: 0,
        "patient_id": record.id or "patient",
        "site": site,
        "region": record.region,
        "birth_date": record.birth_date,
        "sex": record.sex,
        "diagnosis_date": diagnosis.date if diagnosis else None,
        "isotype": diagnosis.isotype if diagnosis else None,
        "iss": diagnosis.iss if diagnosis else None,
        "r_iss": diagnosis.r_iss if diagnosis else None,
        "plasma_cell_leukemia": diagnosis.plasma_cell_leukemia if diagnosis else None,
        "weight_kg": record.weight_kg,
        "height_cm": record.height_cm,
        "ecog": record.ecog,
        "charlson_index": frailty.charlson_index if frailty else None,
        "katz_adl": frailty.katz_adl if frailty else None,
        "lawton_iadl": frailty.lawton_iadl if frailty else None,
        "comorbidities": record.comorbidities,
        "extramedullary": record.extramedullary,
        "transplant_eligible": record.transplant_eligible,
        "donor_available": record.donor_available,
        "contraindications": record.contraindications,
        "intolerances": record.intolerances,
    }
    rows: dict[str, list[dict[str, Any]]] = {}
    if record.treatments is not None:
        rows["treatments"] = [
            {
                ROW: i,
                **_fields(t),
                "best_response_date": known.get(f"treatments[{i}]"),
            }
            for i, t in enumerate(record.treatments)
        ]
    if record.procedures is not None:
        rows["procedures"] = [
            {ROW: i, **_fields(p), "response_date": known.get(f"procedures[{i}]")}
            for i, p in enumerate(record.procedures)
        ]
    for table in ("progressions", "labs", "mrd"):
        items = getattr(record, table)
        if items is not None:
            rows[table] = [{ROW: i, **_fields(item)} for i, item in enumerate(items)]
    if record.cytogenetics is not None:
        rows["cytogenetics"] = [{ROW: 0, **_fields(record.cytogenetics)}]
    return PatientData(patient["patient_id"], site, patient, rows)


def _fields(model: BaseModel) -> dict[str, Any]:
    """The model's values as Python objects (dates stay dates: ``model_dump`` would write
    them as text)."""
    return {name: getattr(model, name) for name in type(model).model_fields}


def _indexes(key: str, table: str, items: list[Any] | None) -> bool:
    prefix = f"{table}["
    if not key.startswith(prefix) or not key.endswith("]") or items is None:
        return False
    index = key[len(prefix) : -1]
    return index.isdigit() and int(index) < len(items)
