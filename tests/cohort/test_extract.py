"""The extract's schema check: every problem names table, row and column; unknown codes set
patients aside (never dropped silently); errors stop everything."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from mmpath.cohort.backend import ReferenceBackend
from mmpath.cohort.extract import check, read_extract, write_extract
from mmpath.cohort.records import PatientData, patients, record_dict

from .conftest import write_csv_tables

PATIENTS = """
patient_id,site,region,birth_date,sex,diagnosis_date,isotype,ecog,comorbidities,intolerances
p1,nl-1,NL,1961-03-14,female,2023-12-01,IgG kappa,1,hypertension,none
p2,nl-1,NL,1955-01-01,male,2022-01-10,IgA lambda,0,,
"""


def _problems(folder: Path) -> list[str]:
    extract = read_extract(folder)
    return [str(p) for p in extract.errors]


def test_bad_values_are_reported_with_table_row_and_column(tmp_path: Path) -> None:
    folder = write_csv_tables(
        tmp_path / "x",
        {
            "patients": PATIENTS.replace("1961-03-14", "14/03/1961").replace(
                ",1,hyper", ",seven,hyper"
            ),
            "treatments": "patient_id,regimen,start,end,setting\n"
            "p1,VRd,2024-01-08,2024-04-20,induction\n"
            "p1,Rd,2024-05-01,,upkeep\n"
            "p3,Rd,2024-05-01,,salvage\n",
        },
    )
    problems = _problems(folder)
    assert (
        "patients row 1 column birth_date: expected a date YYYY-MM-DD (got '14/03/1961')"
        in problems
    )
    assert "patients row 1 column ecog: expected an integer (got 'seven')" in problems
    assert any(
        p.startswith("treatments row 2 column setting: expected one of induction") for p in problems
    )
    assert (
        "treatments row 3 column patient_id: patient not in the patients table (got 'p3')"
        in problems
    )


def test_missing_and_unknown_columns_and_tables(tmp_path: Path) -> None:
    folder = write_csv_tables(
        tmp_path / "x",
        {
            "patients": "patient_id,colour\np1,blue\n",
            "treatment": "patient_id\np1\n",
            "labs": "patient_id,date,test,value\np1,2024-01-01,creatinine,80\n",
        },
    )
    problems = _problems(folder)
    assert any(p.startswith("treatment.csv: unknown table") for p in problems)
    assert any(p.startswith("patients column colour: unknown column") for p in problems)
    assert "patients column site: required column is missing" in problems
    assert "labs column unit: required column is missing" in problems


def test_required_values_and_ranges(tmp_path: Path) -> None:
    folder = write_csv_tables(
        tmp_path / "x",
        {
            "patients": PATIENTS.replace("p2,nl-1", "p2,").replace(",1,hyper", ",5,hyper"),
            "cytogenetics": "patient_id,del_17p,del_17p_fraction\np1,maybe,1.5\n",
        },
    )
    problems = _problems(folder)
    assert "patients row 2 column site: required value is missing" in problems
    assert "patients row 1 column ecog: expected a value from 0 to 4 (got '5')" in problems
    assert "cytogenetics row 1 column del_17p: expected true or false (got 'maybe')" in problems
    assert (
        "cytogenetics row 1 column del_17p_fraction: expected a value from 0 to 1 (got '1.5')"
        in problems
    )


def test_unknown_codes_set_the_patient_aside_and_are_listed(tmp_path: Path) -> None:
    folder = write_csv_tables(
        tmp_path / "x",
        {
            "patients": PATIENTS,
            "treatments": "patient_id,regimen,start,end,setting\n"
            "p1,VRd,2024-01-08,2024-04-20,induction\n"
            "p2,Frobnizumab-d,2022-02-01,,induction\n",
            "labs": "patient_id,date,test,value,unit\n"
            "p1,2024-01-08,creatinine,80,mmol/mol\n"
            "p1,2024-01-08,vitamin_q,1,mg/L\n",
        },
    )
    extract = read_extract(folder)
    assert extract.errors == []
    listed = {(p.patient_id, p.table, p.row, p.column, p.value) for p in extract.unknown_codes}
    assert ("p2", "treatments", 2, "regimen", "Frobnizumab-d") in listed
    assert ("p1", "labs", 1, "unit", "mmol/mol") in listed
    assert ("p1", "labs", 2, "test", "vitamin_q") in listed
    evaluation = ReferenceBackend().evaluate(extract, "nl-rrmm")
    assert evaluation.patients == 0  # both set aside, none evaluated
    assert {p.patient_id for p in evaluation.set_aside} == {"p1", "p2"}


def test_record_problems_point_back_to_the_extract(tmp_path: Path) -> None:
    folder = write_csv_tables(
        tmp_path / "x",
        {
            "patients": PATIENTS,
            "treatments": "patient_id,regimen,start,end,setting\n"
            "p1,VRd,2024-01-08,2024-04-20,induction\n"
            "p2,VRd,2022-02-01,2022-01-01,induction\n",
            "progressions": "patient_id,date,type,features\np1,2024-06-01,biochemical,anemia\n",
        },
    )
    evaluation = ReferenceBackend().evaluate(read_extract(folder), "nl-rrmm")
    shown = {str(p) for p in evaluation.set_aside}
    assert "treatments row 2 column end: end 2022-01-01 is before start 2022-02-01" in shown
    assert any(
        s.startswith("progressions row 1 column features: a biochemical progression") for s in shown
    )
    assert evaluation.rows.is_empty()


def test_empty_cell_is_unknown_and_none_is_the_empty_list(tmp_path: Path) -> None:
    folder = write_csv_tables(tmp_path / "x", {"patients": PATIENTS})
    data = {p.patient_id: p for p in patients(read_extract(folder))}
    first, _ = record_dict(data["p1"])
    second, _ = record_dict(data["p2"])
    assert first["intolerances"] == [] and first["comorbidities"] == ["hypertension"]
    assert "intolerances" not in second and "comorbidities" not in second


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_written_extract_reads_back_identically(
    tmp_path: Path, small_tables: dict[str, pl.DataFrame], fmt: str
) -> None:
    write_extract(small_tables, tmp_path / fmt, fmt)
    again = read_extract(tmp_path / fmt)
    assert again.errors == [] and again.unknown_codes == []
    first = check(small_tables)
    for name, frame in first.tables.items():
        assert again.tables[name].equals(frame), name


def test_rows_of_a_patient_are_grouped_with_their_patient(small_extract: object) -> None:
    from mmpath.cohort.extract import Extract

    assert isinstance(small_extract, Extract)
    seen: list[PatientData] = list(patients(small_extract))
    treatments = small_extract.tables["treatments"]
    for data in seen[:15]:
        expected = treatments.filter(pl.col("patient_id") == data.patient_id).height
        assert len(data.rows["treatments"]) == expected
        assert all(r["patient_id"] == data.patient_id for r in data.rows["treatments"])


def test_typed_parquet_columns_are_checked_like_their_text(tmp_path: Path) -> None:
    """A Parquet column already of its type is taken as it is (no text round trip), and
    gets the same problems, values shown the same way, as the same data written as text."""
    import datetime as dt

    typed = {
        "patients": pl.DataFrame(
            {
                "patient_id": ["p1", "p2"],
                "site": ["nl-1", "nl-1"],
                "birth_date": [dt.date(1800, 1, 1), dt.date(1950, 5, 6)],
                "ecog": [5, None],
                "weight_kg": [72.5, 1500.0],
            },
            schema={
                "patient_id": pl.Utf8,
                "site": pl.Utf8,
                "birth_date": pl.Date,
                "ecog": pl.Int64,
                "weight_kg": pl.Float64,
            },
        )
    }
    as_text = {"patients": typed["patients"].with_columns(pl.all().cast(pl.Utf8))}
    from_typed, from_text = check(typed), check(as_text)
    assert [str(p) for p in from_typed.errors] == [str(p) for p in from_text.errors]
    shown = {str(p) for p in from_typed.errors}
    assert "patients row 1 column ecog: expected a value from 0 to 4 (got '5')" in shown
    assert any("row 1 column birth_date: expected a date between" in p for p in shown)
    assert any("row 2 column weight_kg: expected a value from" in p for p in shown)
    assert from_typed.tables["patients"].equals(from_text.tables["patients"])
