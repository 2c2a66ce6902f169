"""Synthetic cohorts: deterministic for a seed, and plausible — lines follow the packs'
pathways with deviations, and the lab series agree with the recorded progressions."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from mmpath.assess import Assessment
from mmpath.cohort.backend import Evaluation
from mmpath.cohort.extract import Extract, check
from mmpath.cohort.records import patients, to_record
from mmpath.cohort.synth.generate import DATA_CUT, MISSING, synthesise

CONFIRM = dt.timedelta(days=28)


def test_same_seed_same_cohort_other_seed_other_cohort(
    small_tables: dict[str, pl.DataFrame],
) -> None:
    again = synthesise(60, 11)
    for name, frame in small_tables.items():
        assert again[name].equals(frame), name
    other = synthesise(60, 12)
    assert not other["treatments"].equals(small_tables["treatments"])


def test_a_patient_does_not_depend_on_the_cohort_size(
    small_tables: dict[str, pl.DataFrame],
) -> None:
    fewer = synthesise(20, 11)
    for name, frame in fewer.items():
        first = small_tables[name].filter(
            pl.col("patient_id").is_in(fewer["patients"]["patient_id"].to_list())
        )
        assert first.equals(frame), name


def test_cohort_is_valid_and_within_the_data_cut(small_extract: Extract) -> None:
    assert small_extract.unknown_codes == []
    for data in patients(small_extract):
        record = to_record(data)  # raises on any invalid record
        for t in record.treatments or []:
            assert t.start <= DATA_CUT and (t.end is None or t.start <= t.end <= DATA_CUT)
    sites = set(small_extract.tables["patients"]["site"].to_list())
    years = set(small_extract.tables["patients"]["diagnosis_date"].dt.year().to_list())
    assert len(sites) >= 4 and len(years) >= 5


def test_recorded_progressions_match_the_lab_series(monkeypatch: pytest.MonkeyPatch) -> None:
    """With every progression event recorded, the IMWG 2016 derivation from the labs
    (assess/lab_progression.py) finds exactly the recorded progressions, confirmed, on the
    same dates, for every patient with a serum M-protein or free light chain series."""
    monkeypatch.setitem(MISSING, "progression_event", 0.0)
    extract = check(synthesise(150, 5))
    checked = 0
    for data in patients(extract):
        tests = {r["test"] for r in data.rows["labs"]}
        if not tests & {"serum_m_protein", "flc_kappa"}:
            continue
        record = to_record(data)
        facts = Assessment(record, today=DATA_CUT)
        found = {p.date for p in facts.lab_progressions if p.confirmed}
        # a progression whose confirming value would fall after the data cut is unconfirmed
        recorded = {p.date for p in record.progressions or [] if p.date + CONFIRM <= DATA_CUT}
        assert recorded <= found, data.patient_id
        assert {d for d in found if d + CONFIRM <= DATA_CUT} <= recorded, data.patient_id
        checked += 1
    assert checked > 100


def test_missing_data_rates_are_near_the_documented_ones(
    small_tables: dict[str, pl.DataFrame],
) -> None:
    big = synthesise(400, 3)
    patients_ = big["patients"]
    share = patients_["ecog"].null_count() / patients_.height
    assert abs(share - MISSING["ecog"]) < 0.06
    with_cyto = big["cytogenetics"]["patient_id"].n_unique() / patients_.height
    assert abs((1 - with_cyto) - MISSING["cytogenetics"]) < 0.06


def test_lines_follow_the_packs_pathways_with_deviations(small_evaluation: Evaluation) -> None:
    """Relapse choices were drawn from the region's pack (choice.py): judged by that pack,
    most covered decisions are on the pathway or conditional on unknown facts, and some
    deviate; the first-line transplant steps are mostly on dk-ndmm-te's pathway."""
    rows = small_evaluation.rows
    own = rows.filter(
        (pl.col("line") >= 2)
        & (
            ((pl.col("region") == "NL") & (pl.col("guideline") == "nl-rrmm"))
            | ((pl.col("region") == "BE") & (pl.col("guideline") == "be-rrmm"))
            | ((pl.col("region") == "JP") & (pl.col("guideline") == "jp-rrmm"))
        )
        & (pl.col("classification") != "not_covered")  # e.g. jp-rrmm covers first relapse only
    )
    assert own.height >= 15
    shares = own["classification"].value_counts(normalize=True)
    share = dict(zip(shares["classification"], shares["proportion"], strict=True))
    assert share.get("on_pathway", 0) + share.get("undetermined", 0) >= 0.55
    assert share.get("off_pathway", 0) > 0
    dk = rows.filter(
        (pl.col("guideline") == "dk-ndmm-te")
        & (pl.col("phase").is_in(["mobilisation", "transplant"]))
    )
    assert dk.height > 5 and set(dk["classification"].to_list()) <= {
        "on_pathway",
        "undetermined",
        "not_covered",
        "off_pathway",
    }
    assert (dk["classification"] == "on_pathway").sum() >= dk.height * 0.5


def test_batches_do_not_change_the_cohort(
    monkeypatch: pytest.MonkeyPatch, small_tables: dict[str, pl.DataFrame]
) -> None:
    from mmpath.cohort.synth import generate

    monkeypatch.setattr(generate, "BATCH", 7)
    batched = synthesise(60, 11)
    for name, frame in small_tables.items():
        assert batched[name].equals(frame), name
