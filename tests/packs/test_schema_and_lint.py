"""`mmpath schema pack`, `mmpath lint PATH` and `mmpath pack new`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from mmpath.engine.lint import lint_folder
from mmpath.engine.packs import get_pack
from mmpath.engine.scaffold import PLACEHOLDER, ScaffoldError, new_pack
from mmpath.present.cli import app
from mmpath.yamlload import load_yaml

from .conftest import EXAMPLE_ID, ROOT

PACKS = ROOT / "src" / "mmpath" / "packs"
SEEDS = ROOT.parent / "shared" / "seeds"
runner = CliRunner()


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    result = runner.invoke(app, ["schema", "pack"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    "pack_id", sorted(p.name for p in PACKS.iterdir() if (p / "pack.yaml").is_file())
)
def test_every_shipped_pack_is_valid_under_the_schema(
    validator: jsonschema.Draft202012Validator, pack_id: str
) -> None:
    data = load_yaml((PACKS / pack_id / "pack.yaml").read_text("utf-8"))
    assert [e.message for e in validator.iter_errors(data)] == []


def test_the_schema_catches_an_unknown_key_and_a_malformed_condition(
    validator: jsonschema.Draft202012Validator, example_pack: Path
) -> None:
    data = load_yaml((example_pack / "pack.yaml").read_text("utf-8"))
    data["rules"][0]["titel"] = "typo"
    data["rules"][1]["when"] = {"all": ["relapsed", {"fact": "prior_lines", "between": 2}]}
    data["rules"][1]["options"][0]["tier"] = "best"
    paths = sorted(".".join(map(str, e.absolute_path)) for e in validator.iter_errors(data))
    assert paths == ["rules.0", "rules.1.options.0.tier", "rules.1.when"]


def test_the_schema_offers_the_fact_names_for_completion(
    validator: jsonschema.Draft202012Validator,
) -> None:
    condition = validator.schema["$defs"]["Condition"]
    bare = next(c for c in condition["anyOf"] if c.get("type") == "string")
    assert "lenalidomide_refractory" in bare["examples"]
    assert "prior_lines" not in bare["examples"]  # a number fact is compared, not bare


def test_lint_path_on_a_pack_folder_outside_the_source_tree(example_pack: Path) -> None:
    report = lint_folder(example_pack, None)
    assert report.ok, report.errors
    assert len(report.vignettes) == 4 and all(o.passed for o in report.vignettes)


def test_lint_path_reports_a_failing_vignette_and_missing_coverage(example_pack: Path) -> None:
    (example_pack / "vignettes" / "second-relapse-trial.json").unlink()
    vignette = example_pack / "vignettes" / "first-relapse-frail.json"
    data = json.loads(vignette.read_text("utf-8"))
    data["expect"]["options"][3]["tier"] = "preferred"
    vignette.write_text(json.dumps(data))
    report = lint_folder(example_pack, None)
    assert f"{EXAMPLE_ID}: rule:later-relapse-trial is asserted by no vignette" in " ".join(
        report.errors
    )
    assert any("option Vd: tier 'alternative', expected 'preferred'" in e for e in report.errors)


def test_lint_path_checks_quotes_against_the_source_beside_the_pack(example_pack: Path) -> None:
    source = example_pack / "source.txt"
    source.write_text(source.read_text("utf-8").replace("ask a cardiologist", "ask someone"))
    report = lint_folder(example_pack, None)
    assert (
        f"{EXAMPLE_ID}: quote 'carfilzomib-heart-failure' is not verbatim in source.txt"
        in report.errors
    )


def test_lint_path_on_a_shipped_pack_uses_the_source_tree_vignettes() -> None:
    report = lint_folder(
        PACKS / "jp-rrmm", SEEDS if SEEDS.is_dir() else None, ROOT / "tests/vignettes"
    )
    assert report.ok, report.errors
    assert {o.guideline for o in report.vignettes} == {"jp-rrmm"}


def test_lint_path_cli_exit_status(example_pack: Path) -> None:
    ok = runner.invoke(app, ["lint", str(example_pack)])
    assert ok.exit_code == 0, ok.output
    assert "4 of 4 vignettes pass; 0 errors" in ok.output
    (example_pack / "pack.yaml").write_text(
        (example_pack / "pack.yaml").read_text("utf-8").replace("regimen: Kd", "regimen: Kxd")
    )
    broken = runner.invoke(app, ["lint", str(example_pack)])
    assert broken.exit_code == 1
    assert "unknown regimen 'Kxd'" in broken.output


def test_pack_new_makes_a_pack_that_loads_and_lint_lists_what_is_left(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["pack", "new", "nl-frail", "--dir", str(tmp_path), "--region", "NL"]
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "nl-frail"
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "pack.schema.json",
        "pack.yaml",
        "source.txt",
        "vignettes",
    ]
    report = lint_folder(folder, None)
    assert [e for e in report.errors if PLACEHOLDER not in e] == []
    assert len(report.errors) == 3  # pack.yaml, source.txt, the vignette
    assert report.vignettes[0].passed, report.vignettes[0].failures
    # with the placeholders replaced (here: removed) the skeleton lints clean
    for path in [folder / "pack.yaml", folder / "source.txt", folder / "vignettes/example.json"]:
        path.write_text(path.read_text("utf-8").replace(f"{PLACEHOLDER}: ", ""), "utf-8")
    report = lint_folder(folder, None)
    assert report.ok, report.errors


def test_pack_new_schema_file_is_the_current_schema(tmp_path: Path) -> None:
    folder = new_pack(tmp_path, "local-x")
    written = json.loads((folder / "pack.schema.json").read_text("utf-8"))
    printed = json.loads(runner.invoke(app, ["schema", "pack"]).stdout)
    assert written == printed


@pytest.mark.parametrize("bad", ["Local", "local_x", "-x", "x y"])
def test_pack_new_refuses_a_bad_id(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ScaffoldError, match="lower-case letters"):
        new_pack(tmp_path, bad)


def test_pack_new_will_not_overwrite(tmp_path: Path) -> None:
    new_pack(tmp_path, "local-x")
    result = runner.invoke(app, ["pack", "new", "local-x", "--dir", str(tmp_path)])
    assert result.exit_code == 2 and "already exists" in result.stderr


def test_shipped_packs_still_resolve() -> None:
    assert get_pack("dk-ndmm-te").phases[0] == "induction"
