"""Done-when of issue 12 (part A): a pack folder written outside the source tree is found,
linted and evaluated by the installed ``mmpath`` command, as a folder on ``MMPATH_PACKS``
and as a pip-installed package; a misspelt name refuses it at load with file:line.

Runs the console script in subprocesses, from a temporary working directory, with no
source-tree paths in the environment: what a hospital's guideline author would run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLE, EXAMPLE_ID, ROOT

MMPATH = Path(sys.executable).parent / "mmpath"


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    assert MMPATH.is_file(), f"the installed mmpath command is missing: {MMPATH}"
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MMPATH_PACKS")}
    return subprocess.run(
        [str(MMPATH), *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An author's folder, outside the source tree: `mmpath pack new`, then the files of
    the worked example (docs/authoring.md) written over the skeleton."""
    assert not tmp_path.resolve().is_relative_to(ROOT)
    packs = tmp_path / "hospital-packs"
    made = run(["pack", "new", EXAMPLE_ID, "--dir", str(packs), "--region", "NL"], tmp_path)
    assert made.returncode == 0, made.stderr
    folder = packs / EXAMPLE_ID
    (folder / "vignettes" / "example.json").unlink()
    for item in EXAMPLE.rglob("*"):
        if item.is_file():
            target = folder / item.relative_to(EXAMPLE)
            target.write_bytes(item.read_bytes())
    record = json.loads((folder / "vignettes" / "first-relapse-frail.json").read_text("utf-8"))
    (tmp_path / "patient.json").write_text(json.dumps(record["record"]), "utf-8")
    return tmp_path


def test_an_installed_mmpath_finds_lints_and_evaluates_a_folder_pack(workspace: Path) -> None:
    packs = str(workspace / "hospital-packs")
    listed = run(["packs", "--json"], workspace, MMPATH_PACKS=packs)
    assert listed.returncode == 0, listed.stderr
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert rows[EXAMPLE_ID]["origin"] == f"MMPATH_PACKS {Path(packs).resolve()}"
    assert "nl-rrmm" in rows  # the shipped packs are still there

    linted = run(["lint", f"hospital-packs/{EXAMPLE_ID}"], workspace)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "4 of 4 vignettes pass; 0 errors" in linted.stdout

    one = run(
        ["recommend", "patient.json", "--guideline", EXAMPLE_ID, "--json"],
        workspace,
        MMPATH_PACKS=packs,
    )
    assert one.returncode == 0, one.stderr
    (result,) = json.loads(one.stdout)["results"]
    assert [(o["id"], o["tier"]) for o in result["options"]] == [
        ("Kd", "preferred"),
        ("Pd", "preferred"),
        ("Rd", "preferred"),
        ("Vd", "alternative"),
    ]
    everything = run(["--packs", packs, "recommend", "patient.json", "--json"], workspace)
    assert everything.returncode == 0, everything.stderr
    ids = [r["guideline"]["id"] for r in json.loads(everything.stdout)["results"]]
    assert EXAMPLE_ID in ids and "nl-rrmm" in ids


def test_a_misspelt_name_fails_at_load_with_file_and_line(workspace: Path) -> None:
    pack = workspace / "hospital-packs" / EXAMPLE_ID / "pack.yaml"
    lines = pack.read_text("utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, 1) if "when: lenalidomide_refractory" in line)
    lines[number - 1] = lines[number - 1].replace(
        "lenalidomide_refractory", "lenalidomid_refractory"
    )
    pack.write_text("".join(lines), "utf-8")
    out = run(
        ["recommend", "patient.json", "--guideline", EXAMPLE_ID],
        workspace,
        MMPATH_PACKS=str(pack.parent.parent),
    )
    assert out.returncode == 1
    assert f"{pack.resolve()}:{number}: constraints[0].when: unknown fact " in out.stderr
    assert "did you mean 'lenalidomide_refractory'?" in out.stderr
    linted = run(["lint", str(pack.parent)], workspace)
    assert linted.returncode == 1 and f"pack.yaml:{number}:" in linted.stdout


def test_a_pip_installed_package_is_found_through_the_entry_point(workspace: Path) -> None:
    """The layout pip leaves in site-packages for a package declaring
    ``[project.entry-points."mmpath.packs"] hospital = "hospital_protocols"``."""
    site = workspace / "site-packages"
    package = site / "hospital_protocols"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", "utf-8")
    shutil.copytree(workspace / "hospital-packs" / EXAMPLE_ID, package / EXAMPLE_ID)
    info = site / "hospital_protocols-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: hospital-protocols\nVersion: 1.0\n", "utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[mmpath.packs]\nhospital = hospital_protocols\n", "utf-8"
    )
    listed = run(["packs", "--json"], workspace, PYTHONPATH=str(site))
    assert listed.returncode == 0, listed.stderr
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert rows[EXAMPLE_ID]["origin"] == "entry point hospital (hospital_protocols)"
    out = run(
        ["recommend", "patient.json", "--guideline", EXAMPLE_ID, "--json"],
        workspace,
        PYTHONPATH=str(site),
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["results"][0]["guideline"]["version"] == "1.0.0"
