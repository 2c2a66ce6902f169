"""Evaluating a cohort: the ``Backend`` seam, the per-decision rows, the reference backend.

A backend turns a checked extract into one row per (decision, guideline) with the
columns of :data:`ROW_SCHEMA`, sorted by :data:`ROW_ORDER`, written slice by slice to
disk (:class:`~mmpath.cohort.rows.RowFiles`): memory holds a slice's rows, not the
cohort's. The reference backend loops over patients with the per-patient engine
(``mmpath.service``): for every decision point it builds the record as of that date
(records.py) and classifies what was started (classify.py). A compiled backend (phase 2:
the pack conditions as SQL over the whole cohort) implements the same protocol;
:func:`differences` compares two backends' rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import polars as pl

from mmpath.assess import Assessment
from mmpath.catalogue import load_catalogue
from mmpath.cohort.classify import ResultLike, classify
from mmpath.cohort.decisions import DecisionPoint, decision_points
from mmpath.cohort.extract import ROW, Extract, ExtractProblem
from mmpath.cohort.parallel import map_in_order
from mmpath.cohort.records import (
    PatientData,
    RecordProblems,
    by_patient,
    patients,
    patients_between,
    to_record,
)
from mmpath.cohort.rows import RowFiles
from mmpath.cohort.summary import decision_count
from mmpath.engine.pack import Pack
from mmpath.engine.packs import select
from mmpath.service import evaluate_packs

POINT_SCHEMA: dict[str, pl.DataType] = {
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
}
"""The columns that describe a decision point (who, when, which event, what was started)."""

ROW_SCHEMA: dict[str, pl.DataType] = {
    **POINT_SCHEMA,
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
    files: RowFiles
    """The rows, on disk in :data:`ROW_ORDER`."""
    set_aside: list[ExtractProblem] = field(default_factory=list)
    """Problems of patients not evaluated (unknown codes, invalid records)."""
    patients: int = 0
    """Patients evaluated."""

    def scan(self) -> pl.LazyFrame:
        """The rows, read lazily from disk (for results and aggregates of any size)."""
        return self.files.scan()

    @property
    def rows(self) -> pl.DataFrame:
        """The rows as one frame in memory (read from disk at each call)."""
        return self.files.collect()

    @cached_property
    def decisions(self) -> int:
        """Decisions (patient, date, event, phase) among the rows, counted once."""
        return decision_count(self.scan())


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
    """The per-patient engine, over worker processes when ``workers`` > 1.

    Patients go to the workers in chunks of ``chunk`` patients as slices of the checked
    tables (Polars frames pickle as Arrow buffers), so the Python work of building the
    records happens in the workers too. Results come back in patient order whatever the
    number of workers."""

    workers: int = 1
    chunk: int = 200
    name: str = "reference"

    def evaluate(
        self, extract: Extract, guideline: str, progress: Progress | None = None
    ) -> Evaluation:
        pack_ids = [p.id for p in select(guideline)]  # UnknownGuideline before any work
        skip = extract.set_aside()
        set_aside = [p for problems in skip.values() for p in problems]
        files = RowFiles(ROW_SCHEMA)
        count = 0
        jobs = ((tables, pack_ids, frozenset(skip)) for tables in _slices(extract, self.chunk))
        for part in self._run(jobs):  # slices in patient_id order: sorted slices in order
            files.add(part.rows.sort(list(ROW_ORDER), maintain_order=True))
            set_aside += part.problems
            count += part.evaluated
            if progress is not None:
                progress(part.patients)
        return Evaluation(files, set_aside, count)

    def _run(self, jobs: Iterator[Job]) -> Iterator[Part]:
        return map_in_order(_evaluate_part, jobs, self.workers)


def empty_rows() -> pl.DataFrame:
    return pl.DataFrame(schema=ROW_SCHEMA)


Job = tuple[dict[str, pl.DataFrame], list[str], frozenset[str]]
"""A slice of the tables (whole patients), the pack ids, the patients set aside."""


@dataclass
class Part:
    rows: pl.DataFrame
    problems: list[ExtractProblem]
    patients: int
    evaluated: int


def _slices(extract: Extract, size: int) -> Iterator[dict[str, pl.DataFrame]]:
    """The tables cut into slices of ``size`` whole patients (in patient_id order)."""
    tables = {name: by_patient(frame, ROW) for name, frame in extract.tables.items()}
    ids = tables["patients"].get_column("patient_id")
    for begin in range(0, ids.len(), size):
        first, last = ids[begin], ids[min(begin + size, ids.len()) - 1]
        yield {name: patients_between(frame, first, last) for name, frame in tables.items()}


def _evaluate_part(job: Job) -> Part:
    tables, pack_ids, skip = job
    rows: list[dict[str, Any]] = []
    problems: list[ExtractProblem] = []
    total = evaluated = 0
    for data in patients(Extract(tables=tables)):
        total += 1
        if data.patient_id in skip:
            continue
        outcome = evaluate_patient(data, pack_ids)
        rows += outcome.rows
        problems += outcome.problems
        evaluated += 0 if outcome.problems else 1
    frame = pl.DataFrame(rows, schema=ROW_SCHEMA, orient="row") if rows else empty_rows()
    return Part(frame, problems, total, evaluated)


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
            outcome.rows.append(decision_row(data, point, recorded, pack, result))
    return outcome


def decision_row(
    data: PatientData,
    point: DecisionPoint,
    recorded: dict[str, Any],
    pack: Pack,
    result: ResultLike,
) -> dict[str, Any]:
    """One row of :data:`ROW_SCHEMA`: ``point`` classified against ``pack``'s ``result``."""
    verdict = classify(point, result)
    return {
        **point_columns(data, point, recorded),
        "guideline": pack.id,
        "guideline_version": pack.version,
        "classification": verdict.classification,
        "tier": verdict.tier,
        "option": verdict.option,
        "node": verdict.node,
        "detail": verdict.detail,
        "unknown_facts": list(verdict.unknown_facts),
        "missing_facts": sorted(m.fact for m in result.missing),
    }


def point_columns(
    data: PatientData, point: DecisionPoint, recorded: dict[str, Any]
) -> dict[str, Any]:
    """The columns of a row that describe the decision (not the guideline's verdict)."""
    return {
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
        "recorded_pathway": recorded.get("pathway"),
        "recorded_reason": recorded.get("reason"),
        "recorded_reason_text": recorded.get("reason_text"),
    }


def recorded_decision(data: PatientData, point: DecisionPoint) -> dict[str, Any]:
    """The extract's recorded decision for this point (same date, same choice), if any."""
    return _recorded(data, point)


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
