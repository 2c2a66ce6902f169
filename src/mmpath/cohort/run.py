"""``mmpath cohort evaluate``: read an extract, evaluate every decision, write the results.

Readers turn a source into a checked :class:`~mmpath.cohort.extract.Extract`; the FHIR
NDJSON import (src/mmpath/fhir/, issue 13) plugs in by adding ``"fhir"`` to
:data:`READERS` with a function from a folder of NDJSON files to the same tables
(docs/cohort.md, "FHIR").

Outputs in the ``out`` folder: ``decisions.parquet`` and ``decisions.csv`` (one row per
decision and guideline), ``set_aside.csv`` (patients not evaluated, with each problem's
table, row and column) and ``report.html``. The rows are streamed from the backend's
files on disk to the outputs, and the report aggregates them lazily: memory does not hold
the cohort's rows at once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from mmpath.cohort.backend import Backend, Evaluation, Progress
from mmpath.cohort.extract import Extract, ExtractError, problems_frame, read_extract
from mmpath.cohort.omop import read_omop
from mmpath.cohort.report import render

READERS: dict[str, Callable[[Path], Extract]] = {"extract": read_extract, "omop": read_omop}
"""Input formats: a folder of extract tables, or of OMOP CDM tables."""


def load(path: Path, fmt: str) -> Extract:
    """Read and check; raises ``ExtractError`` when the extract has errors."""
    if fmt not in READERS:
        raise ValueError(f"unknown input format {fmt!r}; expected one of {', '.join(READERS)}")
    extract = READERS[fmt](path)
    if extract.errors:
        raise ExtractError(extract.errors)
    return extract


def count_patients(extract: Extract) -> int:
    return extract.tables["patients"].height


def evaluate(
    extract: Extract,
    guideline: str,
    out: Path,
    backend: Backend,
    *,
    source: str,
    progress: Progress | None = None,
) -> Evaluation:
    evaluation = backend.evaluate(extract, guideline, progress)
    out.mkdir(parents=True, exist_ok=True)
    rows = evaluation.scan()  # streamed from the backend's row files: never all in memory
    rows.sink_parquet(out / "decisions.parquet")
    rows.with_columns(
        pl.col("unknown_facts").list.join("; "), pl.col("missing_facts").list.join("; ")
    ).sink_csv(out / "decisions.csv", date_format="%Y-%m-%d")
    problems_frame(evaluation.set_aside).write_csv(out / "set_aside.csv")
    notes = list(extract.notes)
    if extract.omitted:
        notes.append(
            "Problems not listed individually: "
            + ", ".join(f"{t}: {n}" for t, n in sorted(extract.omitted.items()))
        )
    compiled = getattr(evaluation, "compiled_pairs", None)
    if compiled is not None:
        routed = getattr(evaluation, "routed_pairs", 0)
        notes.append(
            f"Backend {backend.name}: {compiled} (decision, guideline) pairs answered by the "
            f"compiled SQL plan, {routed} evaluated by the per-patient engine."
        )
        hits = getattr(evaluation, "memo_hits", 0)
        misses = getattr(evaluation, "memo_misses", 0)
        if hits + misses:
            notes.append(
                f"Routed pairs: the options and exclusions of {hits} came from the projection "
                f"memo (decisions whose answers to the guideline's reads had been seen), "
                f"{misses} were computed (docs/cohort.md, 'The compiled backend')."
            )
    html = render(evaluation, source=source, guideline=guideline, notes=notes)
    (out / "report.html").write_text(html, encoding="utf-8")
    return evaluation
