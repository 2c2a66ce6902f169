"""One patient of an extract as patient-record-v1: the whole history, or *as of* a date.

As of a decision date ``D`` the record holds only what was known on ``D``:

- treatments and procedures that started *before* ``D`` (what starts on ``D`` is the
  decision being judged); a course still running on ``D`` loses its ``end`` and
  ``stop_reason`` (it is ongoing at ``as_of``); when no course started before ``D`` but
  the course starting on ``D`` is numbered line 2 or later, the treatments are not
  recorded (unknown), not ``[]``;
- a course's ``best_response`` when its ``best_response_date`` is on or before ``D`` or,
  without that date, when the course ended on or before ``D``; a procedure's
  ``best_response_after`` only when its ``response_date`` is on or before ``D`` (a response
  without a date cannot be placed in time, so it is not used);
- labs, progressions and MRD results dated on or before ``D``;
- the latest cytogenetics dated on or before ``D`` (an undated result counts as taken at
  diagnosis: used when the diagnosis is on or before ``D`` or its date is unknown);
- the ``patients`` row (demographics, ECOG, comorbidities, eligibility) as recorded: the
  extract gives these once, undated, and they are used at every decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, TypeVar

import polars as pl
from pydantic import ValidationError

from mmpath.cohort.extract import ROW, Extract, ExtractProblem
from mmpath.record.errors import problems_from
from mmpath.record.model import Cytogenetics, PatientRecord, Procedure, Treatment

Row = dict[str, Any]

PATIENT_FIELDS = {
    "birth_date": "birth_date",
    "sex": "sex",
    "weight_kg": "weight_kg",
    "height_cm": "height_cm",
    "ecog": "ecog",
    "comorbidities": "comorbidities",
    "extramedullary": "extramedullary",
    "transplant_eligible": "transplant_eligible",
    "donor_available": "donor_available",
    "contraindications": "contraindications",
    "intolerances": "intolerances",
    "region": "region",
}
FRAILTY = ("charlson_index", "katz_adl", "lawton_iadl")
DIAGNOSIS = {
    "date": "diagnosis_date",
    "isotype": "isotype",
    "iss": "iss",
    "r_iss": "r_iss",
    "plasma_cell_leukemia": "plasma_cell_leukemia",
}
TREATMENT_FIELDS = (
    "regimen",
    "drugs",
    "start",
    "end",
    "setting",
    "line",
    "best_response",
    "stop_reason",
    "cycles",
)
LIST_TABLES = ("treatments", "procedures", "progressions", "labs", "mrd")


@dataclass
class PatientData:
    """A patient's rows from every table (plain Python values; picklable)."""

    patient_id: str
    site: str
    patient: Row
    rows: dict[str, list[Row]] = field(default_factory=dict)
    """Per table; a table absent from the extract is absent here (not recorded)."""
    decisions: list[Row] = field(default_factory=list)

    def rows_of(self, table: str) -> list[Row] | None:
        return self.rows.get(table)

    @property
    def diagnosis_date(self) -> dt.date | None:
        value = self.patient.get("diagnosis_date")
        return value if isinstance(value, dt.date) else None


def patients(extract: Extract) -> Iterator[PatientData]:
    """Every patient of a checked extract, in patient_id order, with their rows."""
    grouped: dict[str, Iterator[tuple[str, list[Row]]]] = {}
    for table, frame in extract.tables.items():
        if table == "patients":
            continue
        grouped[table] = _groups(by_patient(frame, ROW))
    heads: dict[str, tuple[str, list[Row]] | None] = {t: next(g, None) for t, g in grouped.items()}
    for patient in by_patient(extract.tables["patients"], ROW).iter_rows(named=True):
        pid = patient["patient_id"]
        data = PatientData(pid, patient["site"], patient)
        for table, iterator in grouped.items():
            rows: list[Row] = []
            head = heads[table]
            while head is not None and head[0] < pid:  # rows of an unknown patient: checked before
                head = next(iterator, None)
            if head is not None and head[0] == pid:
                rows = head[1]
                head = next(iterator, None)
            heads[table] = head
            if table == "decisions":
                data.decisions = rows
            else:
                data.rows[table] = rows
        yield data


def by_patient(frame: pl.DataFrame, then: str) -> pl.DataFrame:
    """``frame`` sorted by patient_id, then ``then`` (stable); ``frame`` itself, not a
    copy, when it already is (as extracts written patient by patient are): a ``then``
    that increases down the whole frame increases within each patient too."""
    if frame.get_column("patient_id").is_sorted() and frame.get_column(then).is_sorted():
        return frame
    return frame.sort("patient_id", then, maintain_order=True)


def patients_between(frame: pl.DataFrame, first: str, last: str) -> pl.DataFrame:
    """The rows of ``frame`` (sorted by patient_id) of the patients ``first`` to ``last``:
    a contiguous stretch, not a copy."""
    column = frame.get_column("patient_id")
    low = int(column.search_sorted(first, side="left"))
    high = int(column.search_sorted(last, side="right"))
    return frame.slice(low, high - low)


def _groups(frame: pl.DataFrame) -> Iterator[tuple[str, list[Row]]]:
    for pid, rows in groupby(frame.iter_rows(named=True), key=lambda r: str(r["patient_id"])):
        yield pid, list(rows)


def _clean(row: Row, names: tuple[str, ...]) -> Row:
    return {n: row[n] for n in names if row.get(n) is not None}


def record_dict(
    data: PatientData, as_of: dt.date | None = None
) -> tuple[Row, dict[str, tuple[str, int]]]:
    """The patient-record-v1 dict (all of it, or as of ``as_of``) and where each list item
    came from (``"treatments[2]"`` -> ``("treatments", row)``)."""
    p = data.patient
    record: Row = {"schema_version": "1", "id": data.patient_id}
    sources: dict[str, tuple[str, int]] = {}
    if as_of is not None:
        record["as_of"] = as_of
    for name, column in PATIENT_FIELDS.items():
        if p.get(column) is not None:
            record[name] = p[column]
    frailty = _clean(p, FRAILTY)
    if frailty:
        record["frailty"] = frailty
    diagnosis = {k: p[c] for k, c in DIAGNOSIS.items() if p.get(c) is not None}
    if diagnosis:
        record["diagnosis"] = diagnosis

    def known(day: dt.date | None) -> bool:
        return as_of is None or (day is not None and day <= as_of)

    def started(day: dt.date) -> bool:
        return as_of is None or day < as_of

    treatments = data.rows_of("treatments")
    if treatments is not None:
        courses: list[Row] = []
        for row in treatments:
            if not started(row["start"]):
                continue
            course = _clean(row, TREATMENT_FIELDS)
            if as_of is not None:
                if row["end"] is not None and row["end"] > as_of:
                    course.pop("end", None)
                    course.pop("stop_reason", None)
                response_day = row["best_response_date"] or row["end"]
                if not known(response_day):
                    course.pop("best_response", None)
            sources[f"treatments[{len(courses)}]"] = ("treatments", row[ROW])
            courses.append(course)
        if courses or not _later_line_starts(treatments, as_of):
            record["treatments"] = courses
    procedures = data.rows_of("procedures")
    if procedures is not None:
        out: list[Row] = []
        for row in procedures:
            if not started(row["date"]):
                continue
            item = _clean(row, ("type", "date", "best_response_after"))
            if as_of is not None and not known(row["response_date"]):
                item.pop("best_response_after", None)
            sources[f"procedures[{len(out)}]"] = ("procedures", row[ROW])
            out.append(item)
        record["procedures"] = out
    for table, names in (
        ("progressions", ("date", "type", "features")),
        ("labs", ("date", "test", "value", "unit", "upper_limit")),
        ("mrd", ("date", "result", "sensitivity")),
    ):
        rows = data.rows_of(table)
        if rows is None:
            continue
        items: list[Row] = []
        for row in rows:
            if known(row["date"]):
                sources[f"{table}[{len(items)}]"] = (table, row[ROW])
                items.append(_clean(row, names))
        record[table] = items
    cytogenetics = _cytogenetics(data, as_of)
    if cytogenetics is not None:
        sources["cytogenetics"] = ("cytogenetics", cytogenetics[ROW])
        record["cytogenetics"] = {
            k: v for k, v in cytogenetics.items() if k not in {ROW, "patient_id"} and v is not None
        }
    return record, sources


def _later_line_starts(treatments: list[Row], as_of: dt.date | None) -> bool:
    """Whether the decision on ``as_of`` starts a course the extract numbers line 2 or later
    while no course before it is held: earlier lines were given that the extract does not
    hold (a referred patient), so the history before the decision is unknown (treatments not
    recorded), not empty — ``[]`` would say the patient was never treated (review r95-12)."""
    return as_of is not None and any(
        row["start"] == as_of and (row["line"] or 1) > 1 for row in treatments
    )


def _cytogenetics(data: PatientData, as_of: dt.date | None) -> Row | None:
    rows = data.rows_of("cytogenetics") or []
    diagnosis = data.diagnosis_date
    dated = []
    for row in rows:
        day = row["date"] or diagnosis
        if as_of is None or day is None or day <= as_of:
            dated.append((day or dt.date.min, row[ROW], row))
    return max(dated, key=lambda item: (item[0], item[1]))[2] if dated else None


def to_record(data: PatientData, as_of: dt.date | None = None) -> PatientRecord:
    """The validated record; ``RecordProblems`` names table, row and column on failure."""
    record, sources = record_dict(data, as_of)
    try:
        return PatientRecord.model_validate(record)
    except ValidationError as error:
        raise RecordProblems(
            [_locate(data, str(p.path), p.message, sources) for p in problems_from(error)]
        ) from None


class RecordProblems(ValueError):
    def __init__(self, problems: list[ExtractProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def _locate(
    data: PatientData, path: str, message: str, sources: dict[str, tuple[str, int]]
) -> ExtractProblem:
    """Map a record path (``treatments[1].end``) back to the extract's table, row, column."""
    head, _, column = path.partition(".")
    if head in sources:
        table, row = sources[head]
        return ExtractProblem("error", table, row, column or None, None, message, data.patient_id)
    top = path.split(".")[-1]
    column = DIAGNOSIS.get(top, top) if path.startswith("diagnosis") else top
    return ExtractProblem(
        "error", "patients", data.patient[ROW], column, None, message, data.patient_id
    )


class AsOf:
    """As-of records of one patient built from the patient's validated whole record.

    ``to_record(data, D)`` builds the record dict and validates it with pydantic (about a
    millisecond per decision). The as-of record only *drops* what was not known on ``D``
    (module docstring), so it can be assembled from the whole record's already validated
    items: the same item objects (models are frozen) for the labs, progressions, MRD
    results, procedures and courses kept unchanged, a copy without ``end`` /
    ``stop_reason`` / ``best_response`` (or ``best_response_after``) where the as-of rules
    drop them, the latest cytogenetics as of ``D`` (validated once per row), ``as_of`` =
    ``D``. Field by field the same rules and the same values as :func:`record_dict`, with
    the same set fields. The item validators cannot fail on an item they passed whole
    (dropping ``end`` removes the only check the dropped fields take part in); the
    record's own consistency check (``PatientRecord._consistent``: nothing after ``as_of``,
    nothing before the birth date) is run on every as-of record, and on any failure the
    record is built by :func:`to_record`, which raises the located problems exactly as the
    reference backend gets them. ``tests/cohort/test_projection.py`` checks the records
    equal ``to_record``'s (values and set fields) at every decision of synthetic cohorts.
    """

    def __init__(self, data: PatientData, whole: PatientRecord) -> None:
        self.data = data
        self.whole = whole
        self._cytogenetics: dict[int, Cytogenetics] = {}

    def record(self, as_of: dt.date) -> PatientRecord:
        try:
            record = self._assemble(as_of)
            for check in _RECORD_CHECKS:
                check(record)
        except Exception:
            return to_record(self.data, as_of)
        return record

    def _assemble(self, as_of: dt.date) -> PatientRecord:
        data, whole = self.data, self.whole
        values = dict(whole.__dict__)
        fields = set(whole.model_fields_set) | {"as_of"}
        values["as_of"] = as_of

        def known(day: dt.date | None) -> bool:
            return day is not None and day <= as_of

        if whole.treatments is not None:
            rows = data.rows_of("treatments") or []
            courses: list[Treatment] = []
            for row, course in zip(rows, whole.treatments, strict=True):
                if not row["start"] < as_of:
                    continue
                drop: set[str] = set()
                if row["end"] is not None and row["end"] > as_of:
                    drop |= {"end", "stop_reason"}
                if not known(row["best_response_date"] or row["end"]):
                    drop.add("best_response")
                courses.append(_without(course, drop))
            if courses or not _later_line_starts(rows, as_of):
                values["treatments"] = courses
            else:  # as record_dict: earlier lines the extract does not hold
                values["treatments"] = None
                fields.discard("treatments")
        if whole.procedures is not None:
            rows = data.rows_of("procedures") or []
            procedures: list[Procedure] = []
            for row, procedure in zip(rows, whole.procedures, strict=True):
                if not row["date"] < as_of:
                    continue
                drop = set() if known(row["response_date"]) else {"best_response_after"}
                procedures.append(_without(procedure, drop))
            values["procedures"] = procedures
        for table in ("progressions", "labs", "mrd"):
            items = getattr(whole, table)
            if items is None:
                continue
            rows = data.rows_of(table) or []
            values[table] = [
                item for row, item in zip(rows, items, strict=True) if known(row["date"])
            ]
        chosen = _cytogenetics(data, as_of)
        if chosen is None:
            values["cytogenetics"] = None
            fields.discard("cytogenetics")
        else:
            found = self._cytogenetics.get(chosen[ROW])
            if found is None:
                found = self._cytogenetics[chosen[ROW]] = Cytogenetics.model_validate(
                    {
                        k: v
                        for k, v in chosen.items()
                        if k not in {ROW, "patient_id"} and v is not None
                    }
                )
            values["cytogenetics"] = found
            fields.add("cytogenetics")
        return PatientRecord.model_construct(_fields_set=fields, **values)


_RECORD_CHECKS = tuple(
    v.func for v in PatientRecord.__pydantic_decorators__.model_validators.values()
)
"""The record-level validators (``_consistent``), run on every assembled as-of record."""
assert all(
    v.info.mode == "after" for v in PatientRecord.__pydantic_decorators__.model_validators.values()
)

_Item = TypeVar("_Item", Treatment, Procedure)


def _without(item: _Item, drop: set[str]) -> _Item:
    """``item`` without the fields ``drop`` (as if never given); ``item`` itself if none is
    set."""
    drop &= item.model_fields_set
    if not drop:
        return item
    values: dict[str, Any] = {k: (None if k in drop else v) for k, v in item.__dict__.items()}
    return type(item).model_construct(_fields_set=item.model_fields_set - drop, **values)
