"""A patient-record-v1 history judged decision by decision (``cohort.from_record``, used by
review decision cases): the record, turned back into extract rows, gives every decision the
same as-of record the extract it came from gives — so a reviewer's history is judged exactly
as a registry's."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmpath.cohort.backend import evaluate_patient
from mmpath.cohort.decisions import decision_points
from mmpath.cohort.from_record import NotAnExtract, patient_data
from mmpath.cohort.records import PatientData, record_dict, to_record
from mmpath.engine.vignettes import run_vignette
from mmpath.record.load import parse_record

from .test_as_of import _one_patient


def _known_from(data: PatientData) -> dict[str, dt.date]:
    """The response dates the extract holds, by the whole record's list positions."""
    known = {}
    for i, row in enumerate(data.rows_of("treatments") or []):
        if row["best_response_date"] is not None:
            known[f"treatments[{i}]"] = row["best_response_date"]
    for i, row in enumerate(data.rows_of("procedures") or []):
        if row["response_date"] is not None:
            known[f"procedures[{i}]"] = row["response_date"]
    return known


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), index=st.integers(0, 10**4))
def test_a_record_judged_as_the_extract_it_came_from(seed: int, index: int) -> None:
    data = _one_patient(seed, index)
    whole = to_record(data)
    again = patient_data(whole, _known_from(data), site=data.site)
    for point in decision_points(whole):
        assert record_dict(again, point.date)[0] == record_dict(data, point.date)[0]


RECORD = {
    "schema_version": "1",
    "id": "p1",
    "as_of": "2026-06-01",
    "region": "NL",
    "birth_date": "1955-01-01",
    "diagnosis": {"date": "2022-01-10"},
    "comorbidities": [],
    "treatments": [
        {
            "regimen": "VRd",
            "drugs": ["bortezomib", "lenalidomide", "dexamethasone"],
            "start": "2022-02-01",
            "end": "2022-08-01",
            "best_response": "VGPR",
            "stop_reason": "completed",
        },
        {
            "regimen": "R",
            "drugs": ["lenalidomide"],
            "start": "2022-08-15",
            "end": "2024-03-01",
            "setting": "maintenance",
            "stop_reason": "progression",
        },
        {
            "regimen": "DKd",
            "drugs": ["daratumumab", "carfilzomib", "dexamethasone"],
            "start": "2024-03-15",
        },
    ],
    "progressions": [{"date": "2024-03-01", "type": "biochemical"}],
}


def test_fields_a_registry_cannot_hold_are_refused_by_name() -> None:
    with pytest.raises(NotAnExtract, match="age, asserted"):
        patient_data(
            parse_record({**RECORD, "birth_date": None, "age": 70, "asserted": {"frail": True}})
        )
    with pytest.raises(NotAnExtract, match=r"known_from: treatments\[7\]"):
        patient_data(parse_record(RECORD), {"treatments[7]": dt.date(2022, 9, 1)})


def test_a_response_is_known_from_the_end_or_the_date_given() -> None:
    record = parse_record(RECORD)
    day = dt.date(2022, 8, 15)
    assert record_dict(patient_data(record), day)[0]["treatments"][0]["best_response"] == "VGPR"
    later = patient_data(record, {"treatments[0]": dt.date(2022, 9, 1)})
    assert "best_response" not in record_dict(later, day)[0]["treatments"][0]


def test_each_decision_of_the_history_is_classified() -> None:
    rows = evaluate_patient(patient_data(parse_record(RECORD)), ["nl-rrmm"]).rows
    assert [(r["decision_date"].isoformat(), r["line"], r["classification"]) for r in rows] == [
        ("2022-02-01", 1, "not_covered"),  # a relapse protocol at first-line induction
        ("2024-03-15", 2, "off_pathway"),  # DKd: named, not reimbursed in the Netherlands
    ]


def _case(tmp_path: Path, expect: dict[str, object], **extra: object) -> Path:
    path = tmp_path / "01-case.json"
    path.write_text(
        json.dumps(
            {
                "id": "t1",
                "title": "a history",
                "guideline": "nl-rrmm",
                "cites": [{"quote": "daratumumab", "english": "daratumumab"}],
                "reasoning": "-",
                "severity_if_wrong": "wrong",
                "record": RECORD,
                "expect": expect,
                **extra,
            }
        ),
        "utf-8",
    )
    return path


def test_a_decision_case_agrees_and_disagrees(tmp_path: Path) -> None:
    agree = {
        "decisions": [
            {"date": "2022-02-01", "classification": "not_covered"},
            {"date": "2024-03-15", "line": 2, "classification": "off_pathway"},
        ],
        "decisions_complete": True,
    }
    assert run_vignette(_case(tmp_path, agree)).failures == []
    wrong = {"decisions": [{"date": "2024-03-15", "classification": "on_pathway"}]}
    (failure,) = run_vignette(_case(tmp_path, wrong)).failures
    assert "classification 'off_pathway', expected 'on_pathway'" in failure
    assert "reimbursed in the Netherlands" in failure
    incomplete = {"decisions": [agree["decisions"][1]], "decisions_complete": True}  # type: ignore[index]
    (failure,) = run_vignette(_case(tmp_path, incomplete)).failures
    assert failure.startswith("decision 2022-02-01: not expected")
    missing = {"decisions": [{"date": "2024-03-20", "classification": "off_pathway"}]}
    (failure,) = run_vignette(_case(tmp_path, missing)).failures
    assert "not a decision point (found: 2022-02-01 induction, 2024-03-15)" in failure


def test_a_decision_case_is_checked_for_shape(tmp_path: Path) -> None:
    bad = {"decisions": [{"date": 20240315, "classification": "on"}], "offered": [["x"]]}
    failures = run_vignette(_case(tmp_path, bad, known_from={"x": "y"})).failures
    assert "expect: a `decisions` case expects nothing else (got 'offered')" in failures
    assert "expect.decisions[0].date: expected a date (YYYY-MM-DD)" in failures
    assert any(f.startswith("expect.decisions[0].classification") for f in failures)
    plain = run_vignette(_case(tmp_path, {"applicable": True}, known_from={})).failures
    assert "decisions_complete and known_from belong to a `decisions` case" in plain
