"""The rows streamed slice by slice to disk give the outputs the rows in memory gave.

Each backend writes a slice's sorted rows to its own file (``cohort/rows.py``) and the
command streams them to decisions.parquet and decisions.csv and aggregates them lazily for
the report. Against one slice holding the whole cohort's rows, sorted and written in
memory (what the command did before), on a cohort with patients set aside: the same rows
in the same order, the same CSV bytes, the same report aggregates and HTML, and every
patient either evaluated or listed in set_aside.csv.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from mmpath.cohort import summary
from mmpath.cohort.backend import ROW_SCHEMA, Backend, ReferenceBackend
from mmpath.cohort.compiled.backend import CompiledBackend
from mmpath.cohort.extract import Extract, check
from mmpath.cohort.report import render
from mmpath.cohort.rows import RowFiles
from mmpath.cohort.run import evaluate
from mmpath.cohort.synth.generate import synthesise

PATIENTS = 40


@pytest.fixture(scope="module")
def cohort() -> tuple[Extract, str, str]:
    """A synthetic cohort with one patient set aside for an unknown regimen and one whose
    record does not validate (a course that ends before it starts)."""
    tables = synthesise(PATIENTS, 505)
    ids = tables["patients"].get_column("patient_id")
    unknown, invalid = ids[3], ids[17]
    treatments = tables["treatments"].with_row_index("i")
    first = treatments.group_by("patient_id").agg(pl.col("i").min())
    i_unknown = first.filter(pl.col("patient_id") == unknown)["i"].item()
    i_invalid = first.filter(pl.col("patient_id") == invalid)["i"].item()
    tables["treatments"] = treatments.with_columns(
        pl.when(pl.col("i") == i_unknown)
        .then(pl.lit("NOT-A-REGIMEN"))
        .otherwise(pl.col("regimen"))
        .alias("regimen"),
        pl.when(pl.col("i") == i_invalid)
        .then(pl.col("start") - dt.timedelta(days=10))
        .otherwise(pl.col("end"))
        .alias("end"),
    ).drop("i")
    extract = check(tables)
    assert extract.errors == []
    return extract, unknown, invalid


def _in_memory_csv(rows: pl.DataFrame) -> bytes:
    """decisions.csv as the command wrote it from the rows in memory."""
    text = rows.with_columns(
        pl.col("unknown_facts").list.join("; "), pl.col("missing_facts").list.join("; ")
    ).write_csv(date_format="%Y-%m-%d")
    return text.encode("utf-8")


@pytest.mark.parametrize(
    "make",
    [
        lambda chunk: ReferenceBackend(chunk=chunk),
        lambda chunk: CompiledBackend(chunk=chunk),
        lambda chunk: CompiledBackend(workers=2, chunk=chunk),
    ],
    ids=["reference", "compiled", "compiled-2-workers"],
)
def test_streamed_outputs_equal_the_rows_in_memory(
    make: Callable[[int], Backend], cohort: tuple[Extract, str, str], tmp_path: Path
) -> None:
    extract, unknown, invalid = cohort
    whole = make(10_000).evaluate(extract, "all")  # one slice: all rows at once
    assert len(whole.files.paths) == 1
    streamed = evaluate(extract, "all", tmp_path, make(6), source="synthetic")
    assert len(streamed.files.paths) > 5  # many slices, each its own file

    expected = whole.rows
    assert expected.height > 0 and expected.schema == pl.Schema(ROW_SCHEMA)
    written = pl.read_parquet(tmp_path / "decisions.parquet")
    assert written.equals(expected)
    assert streamed.rows.equals(expected)
    assert streamed.files.height == expected.height
    assert (tmp_path / "decisions.csv").read_bytes() == _in_memory_csv(expected)

    # nothing dropped silently: every patient is evaluated or set aside, and listed
    aside = pl.read_csv(tmp_path / "set_aside.csv")
    assert set(aside["patient_id"].to_list()) == {unknown, invalid}
    assert streamed.patients + 2 == PATIENTS == whole.patients + 2
    assert not written.filter(pl.col("patient_id").is_in([unknown, invalid])).height

    # the report's aggregates from the scan equal those from the frame; same HTML
    scan = streamed.scan()
    assert summary.decision_count(scan) == summary.decision_count(expected)
    assert summary.period(scan) == summary.period(expected)
    for by in (["guideline"], ["guideline", "year"], ["guideline", "line"], ["guideline", "site"]):
        assert summary.counts(scan, by).equals(summary.counts(expected, by))
    for aggregate in (
        summary.missing_burden,
        summary.undetermined_facts,
        summary.transitions,
        summary.recorded_reasons,
        summary.line_choices,
    ):
        assert aggregate(scan).equals(aggregate(expected)), aggregate.__name__
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert unknown in html and invalid in html  # the set-aside table
    report = render(streamed, source="synthetic", guideline="all", notes=["n"])
    assert report == render(whole, source="synthetic", guideline="all", notes=["n"])


def test_row_files_keep_the_order_and_refuse_another_schema() -> None:
    schema: dict[str, pl.DataType] = {"patient_id": pl.Utf8(), "n": pl.Int32()}
    files = RowFiles(schema)
    assert files.collect().equals(pl.DataFrame(schema=schema))  # nothing written yet
    frames = [
        pl.DataFrame({"patient_id": ["a", "b"], "n": [2, 1]}, schema=schema),
        pl.DataFrame(schema=schema),
        pl.DataFrame({"patient_id": ["c"], "n": [0]}, schema=schema),
    ]
    for frame in frames:
        files.add(frame)
    assert files.height == 3 and len(files.paths) == 2  # the empty frame writes no file
    assert files.collect().equals(pl.concat(frames))
    with pytest.raises(ValueError, match="another schema"):
        files.add(pl.DataFrame({"patient_id": ["d"], "n": [1]}))  # Int64, not Int32
    folder = files.paths[0].parent
    del files
    assert not folder.exists()  # removed with the object
