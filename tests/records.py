"""Small builders for patient records in unit tests (patient-record-v1 dicts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mmpath.assess import Assessment
from mmpath.assess.fact import Value
from mmpath.record.load import parse_record
from mmpath.record.model import PatientRecord

AS_OF = dt.date(2026, 11, 1)


def iso(day: dt.date) -> str:
    return day.isoformat()


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def course(
    regimen: str, start: dt.date, end: dt.date | None = None, **fields: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"regimen": regimen, "start": iso(start), **fields}
    if end is not None:
        out["end"] = iso(end)
    return out


def progression(day: dt.date, kind: str = "clinical", **fields: Any) -> dict[str, Any]:
    return {"date": iso(day), "type": kind, **fields}


def lab(day: dt.date, test: str, value: float, unit: str, **fields: Any) -> dict[str, Any]:
    return {"date": iso(day), "test": test, "value": value, "unit": unit, **fields}


def record_dict(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"schema_version": "1", "as_of": iso(AS_OF)}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def record(**fields: Any) -> PatientRecord:
    return parse_record(record_dict(**fields))


def assess(**fields: Any) -> Assessment:
    return Assessment(record(**fields))


def value(name: str, **fields: Any) -> Value:
    return assess(**fields).value(name)
