"""`mmpath recommend FILE --guideline all` on every shipped example: every pack, and the
comparison (text table and JSON field)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mmpath.engine.packs import load_packs
from mmpath.present.cli import app

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.json"))
runner = CliRunner()


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_text_shows_every_guideline_and_the_comparison(path: Path) -> None:
    run = runner.invoke(
        app, ["recommend", str(path), "--guideline", "all", "--full"], env={"COLUMNS": "200"}
    )
    assert run.exit_code == 0, run.output
    assert "Guidelines side by side" in run.output
    assert "Where the guidelines agree" in run.output
    for pack_id in load_packs():
        assert pack_id in run.output


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_json_has_one_result_per_pack_and_the_comparison(path: Path) -> None:
    run = runner.invoke(app, ["recommend", str(path), "--guideline", "all", "--json"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    ids = [r["guideline"]["id"] for r in data["results"]]
    assert ids == list(load_packs())
    comparison = data["comparison"]
    assert [c["guideline"] for c in comparison["columns"]] == ids
    for row in comparison["rows"]:
        assert [c["guideline"] for c in row["cells"]] == ids
        for cell, res in zip(row["cells"], data["results"], strict=True):
            if res["applicable"] is False:
                assert cell["text"] == "n/a"
            offered = {o["id"]: o for o in res["options"]}
            if row["id"] in offered:
                assert cell["tier"] == offered[row["id"]]["tier"]


def test_not_applicable_guideline_is_kept_and_shown_as_na() -> None:
    late = next(p for p in EXAMPLES if p.stem == "late-first-relapse-after-asct")
    data = json.loads(runner.invoke(app, ["recommend", str(late), "--json"]).output)
    es = next(r for r in data["results"] if r["guideline"]["id"] == "es-len-refractory")
    assert es["applicable"] is False and es["options"] == []
    be = next(r for r in data["results"] if r["guideline"]["id"] == "be-rrmm")
    assert "autologous_sct" in {o["id"] for o in be["options"]}
    row = next(r for r in data["comparison"]["rows"] if r["id"] == "autologous_sct")
    texts = {c["guideline"]: c["text"] for c in row["cells"]}
    assert texts["be-rrmm"] == "consider" and texts["es-len-refractory"] == "n/a"


def test_one_guideline_has_no_comparison() -> None:
    run = runner.invoke(app, ["recommend", str(EXAMPLES[0]), "--guideline", "jp-rrmm", "--json"])
    data = json.loads(run.output)
    assert len(data["results"]) == 1 and data["comparison"] is None
    text = runner.invoke(app, ["recommend", str(EXAMPLES[0]), "--guideline", "jp-rrmm"])
    assert "Guidelines side by side" not in text.output
