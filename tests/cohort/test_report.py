"""The cohort command end to end on a small synthetic cohort: result files, the report."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from mmpath.cohort.backend import Evaluation
from mmpath.cohort.extract import Extract
from mmpath.cohort.report import render
from mmpath.cohort.summary import counts, missing_burden, transitions
from mmpath.present.cli import app


def test_report_is_self_contained_and_has_every_section(small_evaluation: Evaluation) -> None:
    html = render(small_evaluation, source="synthetic", guideline="all", notes=["a note"])
    assert "Plotly" in html and html.count('class="plotly-graph-div"') == 6
    # no network: no external script, stylesheet or font
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?:", html)
    for heading in (
        "Concordance by guideline",
        "Time trends",
        "By line of therapy",
        "By decision node",
        "By site",
        "Missing-data burden",
        "Line-to-line transitions",
        "Off-pathway decisions and their recorded reasons",
        "Patients set aside",
    ):
        assert f">{heading}<" in html
    assert "a note" in html
    again = render(small_evaluation, source="synthetic", guideline="all", notes=["a note"])
    assert again == html  # deterministic: no clock, no random ids


def test_summaries_add_up(small_evaluation: Evaluation) -> None:
    rows = small_evaluation.rows
    table = counts(rows, ["guideline"])
    assert table["decisions"].sum() == rows.height
    for r in table.iter_rows(named=True):
        assert r["covered"] == r["on_pathway"] + r["off_pathway"] + r["undetermined"]
        if r["covered"]:
            assert r["concordance"] == r["on_pathway"] / r["covered"]
    burden = missing_burden(rows)
    assert burden.height > 0 and burden["share"].max() <= 1
    moves = transitions(rows)
    line_starts = rows.filter(pl.col("event") == "line_start").select("patient_id", "line").unique()
    with_next = line_starts.join(
        line_starts.with_columns(pl.col("line") - 1), on=["patient_id", "line"]
    ).filter(pl.col("line") <= 3)
    assert moves.filter(pl.col("line") <= 3)["patients"].sum() == with_next.height


def test_synth_then_evaluate_from_the_command_line(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(
        app,
        [
            "synth",
            "--patients",
            "25",
            "--seed",
            "4",
            "--out",
            str(tmp_path / "x"),
            "--format",
            "csv",
        ],
    )
    assert made.exit_code == 0, made.output
    assert (tmp_path / "x" / "treatments.csv").is_file()
    result = runner.invoke(
        app,
        [
            "cohort",
            "evaluate",
            str(tmp_path / "x"),
            "--guideline",
            "nl-rrmm",
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = pl.read_parquet(tmp_path / "out" / "decisions.parquet")
    assert set(rows["guideline"].to_list()) == {"nl-rrmm"}
    csv = pl.read_csv(tmp_path / "out" / "decisions.csv")
    assert csv.height == rows.height
    assert (tmp_path / "out" / "report.html").stat().st_size > 100_000
    assert "25 patients" in result.output or "24 patients" in result.output


def test_bad_extract_exits_2_and_evaluates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,site,ecog\np1,s,high\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["cohort", "evaluate", str(folder), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "patients row 1 column ecog: expected an integer (got 'high')" in result.output
    assert "nothing was evaluated" in result.output
    assert not (tmp_path / "out").exists()
    unknown = CliRunner().invoke(
        app, ["cohort", "evaluate", str(folder), "--guideline", "xx", "--out", str(tmp_path / "o")]
    )
    assert unknown.exit_code == 2


def test_evaluation_keeps_every_patient_accounted_for(
    small_extract: Extract, small_evaluation: Evaluation
) -> None:
    total = small_extract.tables["patients"].height
    aside = {p.patient_id for p in small_evaluation.set_aside}
    assert small_evaluation.patients + len(aside) == total


def test_worker_processes_give_the_same_rows(
    small_extract: Extract, small_evaluation: Evaluation
) -> None:
    from mmpath.cohort.backend import ReferenceBackend, differences

    parallel = ReferenceBackend(workers=2, chunk=15).evaluate(small_extract, "all")
    assert parallel.rows.equals(small_evaluation.rows)
    assert differences(parallel.rows, small_evaluation.rows).is_empty()
    assert parallel.patients == small_evaluation.patients
