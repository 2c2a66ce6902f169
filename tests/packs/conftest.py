"""Fixtures for the pack tooling tests: a pack folder outside the source tree, and a
clean pack search path for every test (no ``MMPATH_PACKS`` from the caller's shell)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmpath.engine.packs import ENV_VAR, use_folders

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "example-frail-relapse"
EXAMPLE_ID = EXAMPLE.name


@pytest.fixture(autouse=True)
def clean_search_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(ENV_VAR, raising=False)
    use_folders(())
    yield
    use_folders(())


@pytest.fixture
def example_pack(tmp_path: Path) -> Path:
    """A copy of the worked example of docs/authoring.md, in a folder of packs."""
    folder = tmp_path / "hospital-packs" / EXAMPLE_ID
    shutil.copytree(EXAMPLE, folder)
    return folder
