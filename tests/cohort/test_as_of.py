"""Decision points see only what was known on their date.

Property: for any synthetic patient and any of its decision dates D, (1) the as-of record
holds nothing dated after D, and (2) it is identical to the as-of record built from the
registry as it stood on D (every later row removed, every later end, stop reason and
response blanked) — so no later data can change how a decision is judged. The line
starts before D do not depend on later data either."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmpath.cohort.decisions import decision_points
from mmpath.cohort.extract import check
from mmpath.cohort.records import PatientData, patients, record_dict, to_record
from mmpath.cohort.synth.generate import Tables, _patient


def _one_patient(seed: int, index: int) -> PatientData:
    tables = Tables()
    _patient(index, seed, tables)
    extract = check(tables.frames())
    assert extract.errors == []
    return next(patients(extract))


def _dates(value: Any) -> list[dt.date]:
    if isinstance(value, dt.date):
        return [value]
    if isinstance(value, dict):
        return [d for v in value.values() for d in _dates(v)]
    if isinstance(value, list):
        return [d for v in value for d in _dates(v)]
    return []


def _snapshot(data: PatientData, day: dt.date) -> PatientData:
    """The registry on ``day``: later rows gone, later ends and responses not yet known."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for table, items in data.rows.items():
        kept = []
        for row in items:
            row = dict(row)
            if table == "treatments":
                if row["start"] > day:
                    continue
                if row["end"] is not None and row["end"] > day:
                    row.update(end=None, stop_reason=None)
                if (row["best_response_date"] or row["end"] or dt.date.max) > day:
                    row.update(best_response=None, best_response_date=None)
            elif table == "procedures":
                if row["date"] > day:
                    continue
                if row["response_date"] is None or row["response_date"] > day:
                    row.update(best_response_after=None, response_date=None)
            elif table == "cytogenetics":
                if (row["date"] or data.diagnosis_date or day) > day:
                    continue
            elif row["date"] > day:
                continue
            kept.append(row)
        rows[table] = kept
    return PatientData(data.patient_id, data.site, data.patient, rows, [])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**6),
    index=st.integers(0, 10**4),
    pick=st.integers(0, 50),
    offset=st.one_of(st.none(), st.integers(0, 4000)),
)
def test_no_data_after_the_decision_date(
    seed: int, index: int, pick: int, offset: int | None
) -> None:
    """``offset`` None: a decision date; else any day after diagnosis (the as-of rules are
    the same, and a day inside a course exercises the blanking of its end and response)."""
    data = _one_patient(seed, index)
    points = decision_points(to_record(data))
    if not points:
        return
    day = points[pick % len(points)].date
    if offset is not None and data.diagnosis_date is not None:
        day = data.diagnosis_date + dt.timedelta(days=offset)
    record, _ = record_dict(data, day)
    assert record["as_of"] == day
    assert all(d <= day for d in _dates(record)), "a date after the decision leaked in"
    assert all(t["start"] < day for t in record.get("treatments", []))
    assert all(p["date"] < day for p in record.get("procedures", []))
    snapshot = _snapshot(data, day)
    assert record_dict(snapshot, day)[0] == record
    earlier = [(p.date, p.event, p.line, p.phase) for p in points if p.date < day]
    seen = decision_points(to_record(snapshot))
    assert [(p.date, p.event, p.line, p.phase) for p in seen if p.date < day] == earlier
