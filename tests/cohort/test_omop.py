"""The OMOP CDM reader on a small OMOP fixture built here (concepts, persons, exposures,
procedures, measurements, an oncology-extension episode)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mmpath.cohort.backend import ReferenceBackend
from mmpath.cohort.omop import read_omop
from mmpath.cohort.records import patients, to_record

CONCEPTS = [
    # concept_id, name, vocabulary, class, code
    (8507, "MALE", "Gender", "Gender", "M"),
    (8532, "FEMALE", "Gender", "Gender", "F"),
    (437233, "Multiple myeloma", "SNOMED", "Clinical Finding", "109989006"),
    (
        900001,
        "Multiple myeloma not having achieved remission",
        "ICD10CM",
        "5-char billing code",
        "C90.00",
    ),
    (201826, "Type 2 diabetes mellitus", "SNOMED", "Clinical Finding", "44054006"),
    (1001, "bortezomib", "RxNorm", "Ingredient", "358258"),
    (1002, "lenalidomide", "RxNorm", "Ingredient", "342369"),
    (1003, "dexamethasone", "RxNorm", "Ingredient", "3264"),
    (1004, "daratumumab", "RxNorm", "Ingredient", "1789941"),
    (1005, "ondansetron", "RxNorm", "Ingredient", "26225"),
    (2001, "bortezomib 3.5 MG Injection", "RxNorm", "Clinical Drug", "x1"),
    (2002, "lenalidomide 25 MG Oral Capsule", "RxNorm", "Clinical Drug", "x2"),
    (2003, "dexamethasone 4 MG Oral Tablet", "RxNorm", "Clinical Drug", "x3"),
    (3001, "Hematopoietic progenitor cell harvesting, autologous", "CPT4", "CPT4", "38206"),
    (3002, "Hematopoietic progenitor cell transplantation, autologous", "CPT4", "CPT4", "38241"),
    (
        4001,
        "Protein.monoclonal [Mass/volume] in Serum by Electrophoresis",
        "LOINC",
        "Lab Test",
        "33358-3",
    ),
    (4002, "Creatinine [Mass/volume] in Serum or Plasma", "LOINC", "Lab Test", "2160-0"),
]


def _write(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        CONCEPTS,
        schema=["concept_id", "concept_name", "vocabulary_id", "concept_class_id", "concept_code"],
        orient="row",
    ).write_csv(folder / "concept.csv")
    pl.DataFrame(
        {"ancestor_concept_id": [1001, 1002, 1003], "descendant_concept_id": [2001, 2002, 2003]}
    ).write_csv(folder / "concept_ancestor.csv")
    pl.DataFrame(
        {
            "person_id": [1, 2, 3],
            "gender_concept_id": [8532, 8507, 8507],
            "year_of_birth": [1958, 1950, 1970],
            "month_of_birth": [4, 1, 1],
            "day_of_birth": [2, 1, 1],
            "care_site_id": [10, 10, 20],
        }
    ).write_csv(folder / "person.csv")
    pl.DataFrame(
        {
            "person_id": [1, 2, 3],
            "condition_concept_id": [437233, 900001, 201826],
            "condition_start_date": ["2020-01-10", "2021-03-01", "2020-01-01"],
        }
    ).write_csv(folder / "condition_occurrence.csv")
    # person 1: VRd as three ingredients given in many administrations (one course each),
    # lenalidomide maintenance after ASCT, an anti-emetic; person 2: daratumumab (no ingredient
    # link in the fixture for its clinical drug -> given directly as the ingredient)
    exposures = [
        (11, 1, 2001, "2020-02-01", "2020-02-01"),
        (12, 1, 2001, "2020-02-22", "2020-02-22"),
        (13, 1, 2001, "2020-03-14", "2020-05-20"),
        (14, 1, 2002, "2020-02-01", "2020-05-20"),
        (15, 1, 2003, "2020-02-01", "2020-05-20"),
        (16, 1, 1005, "2020-02-01", "2020-02-01"),
        (17, 1, 2002, "2020-10-01", "2022-06-01"),
        (21, 2, 1004, "2021-04-01", "2021-09-01"),
        (22, 2, 2003, "2021-04-01", "2021-09-01"),
    ]
    pl.DataFrame(
        exposures,
        schema=[
            "drug_exposure_id",
            "person_id",
            "drug_concept_id",
            "drug_exposure_start_date",
            "drug_exposure_end_date",
        ],
        orient="row",
    ).write_csv(folder / "drug_exposure.csv")
    pl.DataFrame(
        {
            "person_id": [1, 1],
            "procedure_concept_id": [3001, 3002],
            "procedure_date": ["2020-06-10", "2020-07-15"],
        }
    ).write_csv(folder / "procedure_occurrence.csv")
    pl.DataFrame(
        {
            "measurement_id": [31, 32, 33, 34],
            "person_id": [1, 1, 1, 2],
            "measurement_concept_id": [4001, 4001, 4002, 4002],
            "measurement_date": ["2020-01-15", "2020-05-01", "2020-01-15", "2021-03-01"],
            "value_as_number": [3.1, 0.4, 88.0, 1.1],
            "unit_source_value": ["g/dL", "g/dL", "µmol/L", "mg/mmol"],
        }
    ).write_csv(folder / "measurement.csv")
    pl.DataFrame({"episode_id": [7], "person_id": [1], "episode_number": [1]}).write_csv(
        folder / "episode.csv"
    )
    pl.DataFrame({"episode_id": [7, 7], "event_id": [11, 17]}).write_csv(
        folder / "episode_event.csv"
    )
    return folder


def test_omop_tables_become_the_extract(tmp_path: Path) -> None:
    extract = read_omop(_write(tmp_path / "omop"))
    assert extract.errors == []
    people = extract.tables["patients"].sort("patient_id")
    assert people["patient_id"].to_list() == ["1", "2"]  # person 3 has no myeloma condition
    assert people["sex"].to_list() == ["female", "male"]
    assert people["site"].to_list() == ["10", "10"]
    assert any("1 persons without a myeloma condition" in n for n in extract.notes)
    assert any("ondansetron" in n for n in extract.notes)  # not a myeloma drug: counted
    treatments = extract.tables["treatments"].filter(pl.col("patient_id") == "1")
    drugs = sorted(
        (r["drugs"][0], r["start"].isoformat()) for r in treatments.iter_rows(named=True)
    )
    # bortezomib administrations 21 days apart form one course (30-day era window)
    assert drugs == [
        ("bortezomib", "2020-02-01"),
        ("dexamethasone", "2020-02-01"),
        ("lenalidomide", "2020-02-01"),
        ("lenalidomide", "2020-10-01"),
    ]
    lines = {
        (r["drugs"][0], r["start"].isoformat()): r["line"] for r in treatments.iter_rows(named=True)
    }
    assert lines[("bortezomib", "2020-02-01")] == 1  # from the oncology episode
    procedures = extract.tables["procedures"]["type"].to_list()
    assert procedures == ["stem_cell_collection", "autologous_sct"]
    labs = extract.tables["labs"].sort("date", "test")
    assert labs["test"].to_list() == ["creatinine", "serum_m_protein", "serum_m_protein"]
    # person 2's creatinine in mg/mmol is an unknown unit: set aside, not dropped silently
    [unknown] = extract.unknown_codes
    assert (unknown.table, unknown.row, unknown.column, unknown.value, unknown.patient_id) == (
        "measurement",
        34,
        "unit_source_value",
        "mg/mmol",
        "2",
    )


def test_omop_patient_is_evaluated_line_by_line(tmp_path: Path) -> None:
    extract = read_omop(_write(tmp_path / "omop"))
    data = next(p for p in patients(extract) if p.patient_id == "1")
    record = to_record(data)
    assert record.diagnosis is not None and record.diagnosis.date is not None
    evaluation = ReferenceBackend().evaluate(extract, "dk-ndmm-te")
    rows = evaluation.rows.filter(pl.col("patient_id") == "1")
    induction = rows.filter(pl.col("phase") == "induction").row(0, named=True)
    # the three ingredients started together are one regimen: VRd
    assert induction["action"] == "VRd"
    # lenalidomide alone after the ASCT, no progression in between: the line's maintenance
    assert set(rows["phase"].to_list()) == {
        "induction",
        "mobilisation",
        "transplant",
        "maintenance",
    }
    maintenance = rows.filter(pl.col("phase") == "maintenance").row(0, named=True)
    assert maintenance["action"] == "lenalidomide"
    assert {p.patient_id for p in evaluation.set_aside} == {"2"}
