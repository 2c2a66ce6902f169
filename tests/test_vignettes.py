"""Every vignette passes, and each pack's vignettes together fire all of its rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmpath.engine.lint import lint
from mmpath.engine.packs import load_packs
from mmpath.engine.vignettes import run_vignette

ROOT = Path(__file__).parent / "vignettes"
FILES = sorted(ROOT.glob("*/*.json"))


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_vignette(path: Path) -> None:
    outcome = run_vignette(path)
    assert outcome.passed, "\n".join(outcome.failures)


MINIMUM = {"nl-rrmm": 30, "dk-ndmm-te": 25, "be-rrmm": 12, "es-len-refractory": 12, "jp-rrmm": 12}


@pytest.mark.parametrize("pack_id", sorted(load_packs()))
def test_pack_has_enough_vignettes(pack_id: str) -> None:
    count = len(list((ROOT / pack_id).glob("*.json")))
    assert count >= MINIMUM.get(pack_id, 12), f"{pack_id}: {count} vignettes"


def test_lint_passes_with_full_coverage() -> None:
    seeds = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    report = lint(ROOT, seeds if seeds.is_dir() else None)
    assert report.ok, "\n".join(report.errors)
