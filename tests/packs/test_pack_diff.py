"""`mmpath pack diff OLD NEW`: clinical changes and the vignettes whose outcome changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from mmpath.engine.pack_diff import Change, diff, pack_changes
from mmpath.engine.packs import pack_from
from mmpath.present.cli import app

from .conftest import EXAMPLE

runner = CliRunner()


def _edit(folder: Path, *replacements: tuple[str, str]) -> None:
    file = folder / "pack.yaml"
    text = file.read_text("utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    file.write_text(text, "utf-8")


def _new_version(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    folder = tmp_path / "v2" / EXAMPLE.name
    shutil.copytree(EXAMPLE, folder)
    _edit(folder, ('version: "1.0.0"', 'version: "1.1.0"'), *replacements)
    return folder


VIGNETTES = sorted((EXAMPLE / "vignettes").glob("*.json"))


def test_same_pack_no_change() -> None:
    pack, _ = pack_from(str(EXAMPLE))
    result = diff(pack, pack, VIGNETTES)
    assert result.changes == [] and result.outcomes == []
    assert result.same_outcome == len(VIGNETTES) == 4


def test_retiering_a_condition_change_and_the_patients_it_moves(tmp_path: Path) -> None:
    new = _new_version(
        tmp_path,
        (
            "      - regimen: Rd\n        tier: preferred",
            "      - regimen: Rd\n        tier: alternative",
        ),
        ("    when: heart_failure\n", "    when: {any: [heart_failure, ischemic_heart_disease]}\n"),
    )
    old_pack, _ = pack_from(str(EXAMPLE))
    new_pack, _ = pack_from(str(new))
    result = diff(old_pack, new_pack, VIGNETTES)
    assert result.changes == [
        Change("pack", "changed", "version 1.0.0 → 1.1.0"),
        Change("rule first-relapse-doublet option Rd", "re-tiered", "preferred → alternative"),
        Change(
            "caution carfilzomib-heart-failure",
            "changed",
            "condition heart_failure → (heart_failure or ischemic_heart_disease)",
        ),
    ]
    # only the patient who was offered Rd changes; the one with Rd excluded does not
    (moved,) = result.outcomes
    assert moved.vignette == "first-relapse-frail.json"
    assert moved.changes == ["Rd: preferred, recommended → alternative, recommended"]
    assert result.same_outcome == 3


def test_added_and_removed_rules_options_constraints_and_quotes(tmp_path: Path) -> None:
    new = _new_version(
        tmp_path,
        ("      - regimen: Vd\n", "      - regimen: Isa-Pd\n"),
        (
            "constraints:\n  - id: no-rd-when-lenalidomide-refractory",
            "constraints:\n  - id: no-rd-len-refractory",
        ),
        ('ask a cardiologist before starting Kd."', 'ask a cardiologist."'),
    )
    old_pack, _ = pack_from(str(EXAMPLE))
    new_pack, _ = pack_from(str(new))
    shown = [str(c) for c in pack_changes(old_pack, new_pack)]
    assert "rule first-relapse-doublet option IsaPd: added: alternative" in shown
    assert "rule first-relapse-doublet option Vd: removed: was alternative" in shown
    assert "constraint no-rd-len-refractory: added: when lenalidomide_refractory" in shown
    assert "constraint no-rd-when-lenalidomide-refractory: removed" in shown
    assert any(s.startswith("quote carfilzomib-heart-failure: changed: quote ") for s in shown)
    result = diff(old_pack, new_pack, VIGNETTES)
    moved = {o.vignette: o.changes for o in result.outcomes}
    assert "Vd: alternative, recommended → not offered" in moved["first-relapse-frail.json"]
    assert "IsaPd: not offered → alternative, recommended" in moved["first-relapse-frail.json"]
    heart = moved["first-relapse-lenalidomide-refractory-heart-failure.json"]
    assert (
        "Rd: excluded (constraint:no-rd-when-lenalidomide-refractory) → excluded (constraint:no-rd-len-refractory)"
        in heart
    )


def test_an_alias_is_the_same_option() -> None:
    old_pack, _ = pack_from(str(EXAMPLE))
    text = (EXAMPLE / "pack.yaml").read_text("utf-8").replace("regimen: Pd\n", "regimen: Pom-dex\n")
    from mmpath.engine.packs import parse_pack

    assert pack_changes(old_pack, parse_pack(text, "pack.yaml")) == []


def test_cli_json_and_vignettes_beside_the_new_version(tmp_path: Path) -> None:
    new = _new_version(
        tmp_path,
        (
            "      - referral: clinical_trial\n        tier: consider",
            "      - referral: clinical_trial\n        tier: preferred",
        ),
    )
    result = runner.invoke(
        app,
        [
            "pack",
            "diff",
            str(EXAMPLE / "pack.yaml"),
            str(new),
            "--json",
            "--vignettes",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["old"] == {"id": "example-frail-relapse", "version": "1.0.0"}
    assert data["new"]["version"] == "1.1.0"
    assert [o["vignette"] for o in data["outcomes"]] == ["second-relapse-trial.json"]
    assert data["same_outcome"] == 3
    text = runner.invoke(app, ["pack", "diff", str(EXAMPLE), str(new)])
    assert "vignettes: 1 of 4 change outcome" in text.output
    assert "clinical_trial: consider, recommended → preferred, recommended" in text.output


def test_cli_unknown_pack_exits_2() -> None:
    result = runner.invoke(app, ["pack", "diff", "no-such-pack", str(EXAMPLE)])
    assert result.exit_code == 2 and "unknown guideline 'no-such-pack'" in result.stderr
