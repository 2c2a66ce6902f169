"""Evaluating a cohort: the ``Backend`` seam, the per-decision rows, the reference backend.

A backend turns a checked extract into one row per (decision, guideline) with the
columns of :data:`ROW_SCHEMA`, sorted by :data:`ROW_ORDER`. The reference backend loops
over patients with the per-patient engine (``mmpath.service``): for every decision point
it builds the record as of that date (records.py) and classifies what was started
(classify.py). A compiled backend (phase 2: the pack conditions as SQL over the whole
cohort) implements the same protocol; :func:`differences` compares two backends' rows.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol

import polars as pl

from mmpath.assess import Assessment
from mmpath.catalogue import load_catalogue
from mmpath.cohort.classify import classify
from mmpath.cohort.decisions import DecisionPoint, decision_points
from mmpath.cohort.extract import Extract, ExtractProblem
from mmpath.cohort.records import PatientData, RecordProblems, patients, to_record
from mmpath.engine.packs import select
from mmpath.service import evaluate_packs

ROW_SCHEMA: dict[str, pl.DataType] = {
    "patient_id": pl.Utf8(),
    "site": pl.Utf8(),
    "region": pl.Utf8(),
    "decision_date": pl.Date(),
    "year": pl.Int32(),
    "event": pl.Utf8(),
    "phase": pl.Utf8(),
    "line": pl.Int32(),
    "action": pl.Utf8(),
    "drugs": pl.Utf8(),
    "guideline": pl.Utf8(),
    "guideline_version": pl.Utf8(),
    "classification": pl.Utf8(),
    "tier": pl.Utf8(),
    "option": pl.Utf8(),
    "node": pl.Utf8(),
    "detail": pl.Utf8(),
    "unknown_facts": pl.List(pl.Utf8()),
    "missing_facts": pl.List(pl.Utf8()),
    "recorded_pathway": pl.Utf8(),
    "recorded_reason": pl.Utf8(),
    "recorded_reason_text": pl.Utf8(),
}
"""One row per (decision, guideline). ``unknown_facts``: the facts that would settle an
``undetermined`` row; ``missing_facts``: every unknown fact that would change the
guideline's result for this decision (the missing-data burden)."""

ROW_ORDER = ("patient_id", "decision_date", "event", "phase", "guideline")
KEY = ("patient_id", "decision_date", "event", "phase", "action", "guideline")
"""The columns that identify a row when two backends are compared."""

Progress = Callable[[int], None]
"""Called with the number of patients just finished."""


@dataclass
class Evaluation:
    rows: pl.DataFrame
    set_aside: list[ExtractProblem] = field(default_factory=list)
    """Problems of patients not evaluated (unknown codes, invalid records)."""
    patients: int = 0
    """Patients evaluated."""


class Backend(Protocol):
    """Evaluates every decision of an extract against the selected guidelines."""

    @property
    def name(self) -> str: ...

    def evaluate(
        self, extract: Extract, guideline: str, progress: Progress | None = None
    ) -> Evaluation: ...


def differences(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Rows that differ between two backends' results (joined on :data:`KEY`).

    Every column of ``ROW_SCHEMA`` is compared; a row present on one side only is a
    difference too. Empty when the results are identical."""
    value_columns = [c for c in ROW_SCHEMA if c not in KEY]
    joined = left.join(
        right, on=list(KEY), how="full", suffix="_right", coalesce=True, nulls_equal=True
    )
    differs = pl.lit(False)
    for column in value_columns:
        differs = differs | pl.col(column).ne_missing(pl.col(f"{column}_right"))
    return joined.filter(differs)


# -- the reference backend ------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceBackend:
    """The per-patient engine, over worker processes when ``workers`` > 1."""

    workers: int = 1
    chunk: int = 100
    name: str = "reference"

    def evaluate(
        self, extract: Extract, guideline: str, progress: Progress | None = None
    ) -> Evaluation:
        pack_ids = [p.id for p in select(guideline)]  # UnknownGuideline before any work
        skip = extract.set_aside()
        todo = (p for p in patients(extract) if p.patient_id not in skip)
        set_aside = [p for problems in skip.values() for p in problems]
        rows: list[dict[str, Any]] = []
        count = 0
        for outcome in self._run(todo, pack_ids):
            rows += outcome.rows
            set_aside += outcome.problems
            count += 1 if not outcome.problems else 0
            if progress is not None:
                progress(1)
        frame = pl.DataFrame(rows, schema=ROW_SCHEMA, orient="row") if rows else empty_rows()
        return Evaluation(frame, set_aside, count)

    def _run(self, todo: Iterator[PatientData], pack_ids: list[str]) -> Iterator[PatientOutcome]:
        if self.workers <= 1:
            for data in todo:
                yield evaluate_patient(data, pack_ids)
            return
        context = multiprocessing.get_context("spawn")
        with context.Pool(self.workers) as pool:
            chunks = _chunks(((d, pack_ids) for d in todo), self.chunk)
            for outcomes in pool.imap(_evaluate_chunk, chunks):
                yield from outcomes


def empty_rows() -> pl.DataFrame:
    return pl.DataFrame(schema=ROW_SCHEMA)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _evaluate_chunk(batch: list[tuple[PatientData, list[str]]]) -> list[PatientOutcome]:
    return [evaluate_patient(data, pack_ids) for data, pack_ids in batch]


@dataclass
class PatientOutcome:
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[ExtractProblem] = field(default_factory=list)


def evaluate_patient(data: PatientData, pack_ids: Sequence[str]) -> PatientOutcome:
    """Every decision of one patient against the given packs (reference semantics)."""
    try:
        whole = to_record(data)
    except RecordProblems as error:
        return PatientOutcome(problems=error.problems)
    packs = [p for p in select("all") if p.id in pack_ids]
    pathway_packs = [p for p in packs if p.phases]
    outcome = PatientOutcome()
    for point in decision_points(whole):
        targets = packs if point.event == "line_start" else pathway_packs
        if not targets:
            continue
        try:
            record = to_record(data, point.date)
        except RecordProblems as error:
            return PatientOutcome(problems=error.problems)
        results = evaluate_packs(Assessment(record), targets)
        recorded = _recorded(data, point)
        for pack, result in zip(targets, results, strict=True):
            verdict = classify(point, result)
            outcome.rows.append(
                {
                    "patient_id": data.patient_id,
                    "site": data.site,
                    "region": data.patient.get("region"),
                    "decision_date": point.date,
                    "year": point.date.year,
                    "event": point.event,
                    "phase": point.phase,
                    "line": point.line,
                    "action": point.action,
                    "drugs": " - ".join(point.drugs) or None,
                    "guideline": pack.id,
                    "guideline_version": pack.version,
                    "classification": verdict.classification,
                    "tier": verdict.tier,
                    "option": verdict.option,
                    "node": verdict.node,
                    "detail": verdict.detail,
                    "unknown_facts": list(verdict.unknown_facts),
                    "missing_facts": sorted(m.fact for m in result.missing),
                    "recorded_pathway": recorded.get("pathway"),
                    "recorded_reason": recorded.get("reason"),
                    "recorded_reason_text": recorded.get("reason_text"),
                }
            )
    return outcome


def _recorded(data: PatientData, point: DecisionPoint) -> dict[str, Any]:
    """The extract's recorded decision for this point (same date, same choice), if any."""
    catalogue = load_catalogue()
    for row in data.decisions:
        if row["date"] != point.date:
            continue
        if point.procedure is not None:
            if row["procedure"] in {point.procedure, None} and row["regimen"] is None:
                return row
        elif row["regimen"] is None or set(catalogue.drugs_of(row["regimen"]) or ()) == set(
            point.drugs
        ):
            return row
    return {}
