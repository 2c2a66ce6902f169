"""Shared fixtures: one small synthetic cohort, evaluated once per test session."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from mmpath.cohort.backend import Evaluation, ReferenceBackend
from mmpath.cohort.extract import Extract, check
from mmpath.cohort.synth.generate import synthesise

SMALL = 60
SEED = 11


@pytest.fixture(scope="session")
def small_tables() -> dict[str, pl.DataFrame]:
    return synthesise(SMALL, SEED)


@pytest.fixture(scope="session")
def small_extract(small_tables: dict[str, pl.DataFrame]) -> Extract:
    extract = check(small_tables)
    assert extract.errors == []
    return extract


@pytest.fixture(scope="session")
def small_evaluation(small_extract: Extract) -> Evaluation:
    return ReferenceBackend().evaluate(small_extract, "all")


def write_csv_tables(folder: Path, tables: dict[str, str]) -> Path:
    """Write CSV text per table into ``folder`` (a hand-built extract)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text.strip() + "\n", encoding="utf-8")
    return folder
