"""Packs from anywhere: --packs, MMPATH_PACKS and the ``mmpath.packs`` entry points."""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mmpath.engine.packs import (
    ENV_VAR,
    PackError,
    get_pack,
    load_packs,
    registry,
    reset,
    use_folders,
)
from mmpath.present.cli import app
from mmpath.record.errors import RecordError
from mmpath.record.load import parse_record
from mmpath.service import recommend

from .conftest import EXAMPLE, EXAMPLE_ID, ROOT

SHIPPED = ["be-rrmm", "dk-ndmm-te", "es-len-refractory", "jp-rrmm", "nl-rrmm"]
RECORD = EXAMPLE / "vignettes" / "first-relapse-frail.json"
runner = CliRunner()


def _record() -> dict[str, object]:
    data = json.loads(RECORD.read_text("utf-8"))["record"]
    assert isinstance(data, dict)
    return data


def test_the_shipped_packs_come_through_the_entry_point() -> None:
    found = registry()
    assert [i for i in found.ids() if i in SHIPPED] == SHIPPED
    for pack_id in SHIPPED:
        location = found.location(pack_id)
        assert location.origin == "entry point mmpath (mmpath.packs)"
        assert Path(str(location.folder)) == ROOT / "src" / "mmpath" / "packs" / pack_id


def test_a_folder_of_packs_on_mmpath_packs(
    example_pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, str(example_pack.parent))
    reset()
    assert list(load_packs()) == sorted([*SHIPPED, EXAMPLE_ID])
    assert registry().location(EXAMPLE_ID).origin.startswith(f"{ENV_VAR} ")
    out = recommend(parse_record(_record()), EXAMPLE_ID)
    assert [o.id for o in out.results[0].options] == ["Kd", "Pd", "Rd", "Vd"]


def test_one_pack_folder_on_the_search_path(example_pack: Path) -> None:
    use_folders([example_pack])
    assert get_pack(EXAMPLE_ID).title.startswith("Example Hospital")


def test_packs_option_comes_before_the_environment(
    example_pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other" / EXAMPLE_ID
    shutil.copytree(example_pack, other)
    yaml = other / "pack.yaml"
    yaml.write_text(yaml.read_text("utf-8").replace('version: "1.0.0"', 'version: "2.0.0"'))
    monkeypatch.setenv(ENV_VAR, str(example_pack.parent))
    use_folders([other.parent])
    assert get_pack(EXAMPLE_ID).version == "2.0.0"
    (shadowed,) = registry().shadowed
    assert shadowed.folder == example_pack.resolve()


def test_a_search_path_pack_shadows_an_installed_one_and_says_so(tmp_path: Path) -> None:
    local = tmp_path / "nl-rrmm"
    shutil.copytree(ROOT / "src" / "mmpath" / "packs" / "nl-rrmm", local)
    yaml = local / "pack.yaml"
    yaml.write_text(yaml.read_text("utf-8").replace('version: "', 'version: "9.', 1))
    use_folders([tmp_path])
    assert get_pack("nl-rrmm").version.startswith("9.")
    assert [s.origin for s in registry().shadowed] == ["entry point mmpath (mmpath.packs)"]
    result = runner.invoke(app, ["--packs", str(tmp_path), "packs"])
    assert result.exit_code == 0, result.output
    assert "shadowed" in result.output and "nl-rrmm" in result.output


def test_a_missing_folder_is_an_error_not_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nope"))
    reset()
    with pytest.raises(PackError, match=f"{ENV_VAR} .*nope: not a folder"):
        registry()


def _install(site: Path, package: str, entry_name: str, packs: list[Path]) -> None:
    """A distribution as pip would leave it: a package holding pack folders, and its
    ``*.dist-info`` with the ``mmpath.packs`` entry point."""
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text("")
    for pack in packs:
        shutil.copytree(pack, site / package / pack.name)
    info = site / f"{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[mmpath.packs]\n{entry_name} = {package}\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    for name in [m for m in sys.modules if m.startswith("hospital")]:
        del sys.modules[name]
    importlib.invalidate_caches()


def test_a_pip_package_offers_its_packs_through_the_entry_point(
    site: Path, example_pack: Path
) -> None:
    _install(site, "hospital_protocols", "hospital", [example_pack])
    reset()
    location = registry().location(EXAMPLE_ID)
    assert location.origin == "entry point hospital (hospital_protocols)"
    assert get_pack(EXAMPLE_ID).version == "1.0.0"


def test_two_packages_offering_one_id_is_an_error(site: Path, example_pack: Path) -> None:
    _install(site, "hospital_a", "a", [example_pack])
    _install(site, "hospital_b", "b", [example_pack])
    reset()
    with pytest.raises(PackError, match="'example-frail-relapse' is installed twice"):
        registry()


def test_a_broken_pack_is_refused_and_named_but_others_still_load(example_pack: Path) -> None:
    yaml = example_pack / "pack.yaml"
    yaml.write_text(yaml.read_text("utf-8").replace("regimen: Pd", "regimen: Pdd"))
    use_folders([example_pack.parent])
    with pytest.raises(PackError, match=r"pack\.yaml:\d+: rules\[0\]\.options\[1\]\.regimen"):
        load_packs()
    assert get_pack("nl-rrmm").id == "nl-rrmm"
    result = runner.invoke(
        app,
        [
            "--packs",
            str(example_pack.parent),
            "recommend",
            str(_write_record(example_pack, RECORD)),
        ],
    )
    assert result.exit_code == 1
    assert "unknown regimen 'Pdd'" in result.stderr


def _write_record(folder: Path, vignette: Path) -> Path:
    path = folder.parent / "patient.json"
    path.write_text(json.dumps(json.loads(vignette.read_text("utf-8"))["record"]))
    return path


def test_the_record_region_is_an_open_vocabulary_of_the_installed_packs(
    example_pack: Path,
) -> None:
    yaml = example_pack / "pack.yaml"
    yaml.write_text(yaml.read_text("utf-8").replace("regions: [NL]", "regions: [NL, SE]"))
    record = _record() | {"region": "SE"}
    with pytest.raises(RecordError) as caught:
        parse_record(record)
    (problem,) = caught.value.problems
    assert problem.path == "region"
    assert "unknown region 'SE'" in problem.message and "BE, DK, ES, JP, NL" in problem.message
    use_folders([example_pack.parent])
    assert parse_record(record).region == "SE"


def test_cli_finds_lists_and_evaluates_a_pack_from_packs_option(example_pack: Path) -> None:
    listed = runner.invoke(app, ["--packs", str(example_pack.parent), "packs", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {row["id"]: row for row in json.loads(listed.stdout)}
    assert rows[EXAMPLE_ID]["origin"].startswith("--packs ")
    assert rows[EXAMPLE_ID]["regions"] == ["NL"]
    record = _write_record(example_pack, RECORD)
    result = runner.invoke(
        app,
        [
            "--packs",
            str(example_pack.parent),
            "recommend",
            str(record),
            "--guideline",
            EXAMPLE_ID,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    (res,) = json.loads(result.stdout)["results"]
    assert res["guideline"]["id"] == EXAMPLE_ID
    assert [o["id"] for o in res["options"]] == ["Kd", "Pd", "Rd", "Vd"]
