"""The `mmpath` command line (Typer), run in-process with CliRunner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from mmpath.assess import FACTS
from mmpath.engine.packs import load_packs
from mmpath.present.cli import app
from mmpath.recommendation import RecommendationOut

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "first-relapse-on-lenalidomide.json"
SPEC = ROOT.parent / "shared" / "spec" / "patient-record-v1.md"
runner = CliRunner()

# the example record of shared/spec/patient-record-v1.md, verbatim
SPEC_EXAMPLE = {
    "schema_version": "1",
    "id": "example-first-relapse",
    "as_of": "2026-11-01",
    "birth_date": "1961-03-14",
    "sex": "female",
    "ecog": 1,
    "comorbidities": ["hypertension"],
    "diagnosis": {"date": "2023-12-01", "isotype": "IgG kappa", "iss": 2},
    "cytogenetics": {
        "method": "FISH",
        "del_17p": False,
        "t_4_14": False,
        "t_14_16": False,
        "gain_1q": False,
    },
    "treatments": [
        {
            "regimen": "VTd",
            "setting": "induction",
            "start": "2024-01-08",
            "end": "2024-04-20",
            "best_response": "VGPR",
        },
        {"regimen": "lenalidomide", "setting": "maintenance", "start": "2024-09-10"},
    ],
    "procedures": [{"type": "autologous_sct", "date": "2024-06-10", "best_response_after": "VGPR"}],
    "progressions": [{"date": "2026-10-01", "type": "clinical", "features": ["anemia"]}],
    "region": "NL",
}


def test_recommend_json_validates_and_prefers_dvd() -> None:
    result = runner.invoke(app, ["recommend", str(EXAMPLE), "--guideline", "nl-rrmm", "--json"])
    assert result.exit_code == 0, result.output
    out = RecommendationOut.model_validate_json(result.stdout)
    assert out.patient_id == "example-first-relapse"
    assert [r.guideline.id for r in out.results] == ["nl-rrmm"]
    options = {o.id: o for o in out.results[0].options}
    assert options["DVd"].tier == "preferred"
    assert options["DVd"].status == "recommended"
    assert options["DVd"].drugs == ["daratumumab", "bortezomib", "dexamethasone"]
    assert options["DVd"].sources[0].document == "000_14bb4b2e1a3a6e25.txt"
    assert {e.id for e in out.results[0].excluded} >= {"DKd", "IsaKd"}


def test_recommend_is_deterministic() -> None:
    args = ["recommend", str(EXAMPLE), "--guideline", "nl-rrmm", "--json"]
    assert runner.invoke(app, args).stdout == runner.invoke(app, args).stdout


def test_recommend_text_shows_options_and_sources() -> None:
    result = runner.invoke(app, ["recommend", str(EXAMPLE), "--guideline", "nl-rrmm", "--full"])
    assert result.exit_code == 0, result.output
    assert "daratumumab - bortezomib - dexamethasone" in result.stdout
    assert "Daratumumab - bortezomib - dexamethason" in result.stdout  # the verbatim quote


def test_invalid_record_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "schema_version": "1",
                "as_of": "2026-11-01",
                "treatments": [
                    {"regimen": "VRd", "start": 20240101},
                    {"regimen": "Kd", "start": "2025-01-01", "end": "2024-12-01"},
                ],
                "labs": [
                    {"date": "2026-01-01", "test": "serum_m_protein", "value": 1, "unit": "mg/L"}
                ],
                "favourite": 1,
            }
        ),
        "utf-8",
    )
    result = runner.invoke(app, ["recommend", str(bad), "--json"], env={"COLUMNS": "40"})
    assert result.exit_code == 2
    assert result.stdout == ""  # nothing half-evaluated
    lines = result.stderr.strip().splitlines()
    paths = sorted(re.match(r".*?\.json: (\S+):", line).group(1) for line in lines)  # type: ignore[union-attr]
    assert paths == ["favourite", "labs[0].unit", "treatments[0].start", "treatments[1].end"]


def test_unknown_guideline_exits_2() -> None:
    result = runner.invoke(app, ["recommend", str(EXAMPLE), "--guideline", "xx-nope"])
    assert result.exit_code == 2
    assert "unknown guideline 'xx-nope'" in result.stderr
    assert "nl-rrmm" in result.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["recommend", str(tmp_path / "none.json")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


def test_schema_record_accepts_the_spec_example() -> None:
    result = runner.invoke(app, ["schema", "record"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(SPEC_EXAMPLE)) == []
    assert list(validator.iter_errors(json.loads(EXAMPLE.read_text("utf-8")))) == []
    assert list(validator.iter_errors({**SPEC_EXAMPLE, "favourite": 1})) != []
    assert list(validator.iter_errors({**SPEC_EXAMPLE, "as_of": 20261101})) != []


def test_spec_example_is_the_one_in_the_spec() -> None:
    if not SPEC.is_file():
        pytest.skip("shared/spec is beside the clone only in development")
    text = SPEC.read_text("utf-8")
    block = text[text.index("```json") + len("```json") : text.rindex("```")]
    assert json.loads(block) == SPEC_EXAMPLE


def test_schema_recommendation() -> None:
    result = runner.invoke(app, ["schema", "recommendation"])
    assert result.exit_code == 0
    assert "results" in json.loads(result.stdout)["properties"]
    assert runner.invoke(app, ["schema", "nonsense"]).exit_code == 2


def test_facts_runs() -> None:
    result = runner.invoke(app, ["facts", str(EXAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert set(facts) == set(FACTS)
    assert facts["lenalidomide_refractory"]["value"] is True
    assert facts["daratumumab_exposed"]["value"] is False
    listing = runner.invoke(app, ["facts", "--list"])
    assert listing.exit_code == 0
    assert "lenalidomide_refractory" in listing.stdout


def test_facts_text_runs() -> None:
    result = runner.invoke(app, ["facts", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "lenalidomide_refractory" in result.stdout


def test_packs_runs() -> None:
    result = runner.invoke(app, ["packs", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == sorted(load_packs())
    nl = next(r for r in rows if r["id"] == "nl-rrmm")
    assert nl["source_document"] == "000_14bb4b2e1a3a6e25.txt"
    text = runner.invoke(app, ["packs"])
    assert text.exit_code == 0
    assert "nl-rrmm" in text.stdout


def test_short_answer_by_default_fits_the_width_and_full_on_request() -> None:
    """Default: one screen-ish answer, every line within 60 / 80 columns; --full: all."""
    for columns in (60, 80):
        short = runner.invoke(app, ["recommend", str(EXAMPLE)], env={"COLUMNS": str(columns)})
        assert short.exit_code == 0, short.output
        lines = short.output.splitlines()
        assert max(len(line) for line in lines) <= columns
        assert "Preferred:" in short.output and "--full" in short.output
        assert "does not apply" in short.output  # the newly diagnosed guideline
    full = runner.invoke(app, ["recommend", str(EXAMPLE), "--full"], env={"COLUMNS": "80"}).output
    assert len(full.splitlines()) > 3 * len(short.output.splitlines())


def test_version_option() -> None:
    from mmpath import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"mmpath {__version__}"


def test_serve_on_a_busy_port_fails_before_serving(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(
            app,
            ["serve", "--port", str(port), "--database-url", f"sqlite:///{tmp_path}/s.db"],
        )
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "serving on" not in result.output


def test_review_command_reports_each_disagreement(tmp_path: Path) -> None:
    """`mmpath review DIR`: the independent review cases, per case; exit 1 on a disagreement."""
    case = json.loads(
        (Path(__file__).parents[1] / "review" / "nl-rrmm" / "03-len-61-days.json").read_text(
            "utf-8"
        )
    )
    (tmp_path / "ok.json").write_text(json.dumps(case), "utf-8")
    agreed = CliRunner().invoke(app, ["review", str(tmp_path)])
    assert agreed.exit_code == 0, agreed.output
    assert "1 agree, 0 disagree" in agreed.output
    case["expect"] = {"applicable": False}
    (tmp_path / "wrong.json").write_text(json.dumps(case), "utf-8")
    result = CliRunner().invoke(app, ["review", str(tmp_path)])
    assert result.exit_code == 1
    assert "disagree" in result.output and "wrong.json" in result.output
    assert "1 agree, 1 disagree" in result.output


def test_short_answer_marks_a_caution_whose_condition_is_unknown(tmp_path: Path) -> None:
    # comorbidities not recorded: "Against: Heart failure" would read as the patient's own
    record = {k: v for k, v in SPEC_EXAMPLE.items() if k != "comorbidities"}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record), "utf-8")
    result = runner.invoke(app, ["recommend", str(path), "--guideline", "nl-rrmm"])
    assert result.exit_code == 0, result.stdout
    text = " ".join(result.stdout.split())
    assert "Against? (unknown: heart_failure)" in text
    assert "Against: Heart failure" not in text
    # recorded and present: stated plainly
    path.write_text(json.dumps({**record, "comorbidities": ["heart_failure"]}), "utf-8")
    text = " ".join(
        runner.invoke(app, ["recommend", str(path), "--guideline", "nl-rrmm"]).stdout.split()
    )
    assert "Against: Heart failure" in text


def test_short_answer_names_a_better_tier_that_depends_on_an_unknown_fact() -> None:
    # jp-rrmm, frailty unknown: the triplets apply either way, preferred only if not frail
    # (and, since jp-rrmm 1.2.0, not of intermediate fitness judged unfit)
    result = runner.invoke(app, ["recommend", str(EXAMPLE), "--guideline", "jp-rrmm"])
    assert result.exit_code == 0, result.stdout
    assert "Preferred if (not frail and not (imwg frailty score = 1 and unfit))" in " ".join(
        result.stdout.split()
    )
