"""The compiled backend: one SQL plan over the whole cohort, the rest routed.

1. **Decision points** (Python, once per patient): the lines of therapy come from the fact
   layer's own timeline (assess/timeline.py: IMWG lines, the 28-day regimen window, the
   ASCT and setting rules) — a sequential derivation not compiled to SQL — via
   ``decisions.decision_points``; one row per decision with a key ``k``.
2. **The plan** (SQL, DuckDB or Spark): compiled facts as of each decision and every
   guideline's applicability condition (plan.py). A (decision, guideline) pair whose
   applicability is FALSE is answered in SQL's result: ``not_covered``.
3. **Routed pairs** (the per-patient engine): every other pair is evaluated against the
   as-of record of its decision, only for the routed guidelines of that decision. By
   default (``routed="memo"``) not with the full recommendation but with its
   *projection*, the part of the result classification reads
   (``engine.projection``: options, exclusions, missing facts), taken from a per-pack
   decision trie of the projector's reads when a decision with the same answers to the
   same reads was seen before (exact by construction: the module docstring says why);
   ``routed="lean"`` computes every projection, ``routed="engine"`` runs the full
   ``evaluate_packs`` as the reference backend does. Classification is the same
   ``classify`` on either.

:class:`CompiledEvaluation` says how many pairs went which way. The reference backend is
the oracle: ``backend.differences`` must find nothing (tests/cohort/test_compiled.py).

Assumption checked by the equivalence test: a patient whose whole record validates has
valid as-of records too (as-of records only drop items and fields); the compiled path
does not build as-of records for the pairs SQL answers.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from mmpath.assess import Assessment
from mmpath.catalogue import load_catalogue
from mmpath.cohort.backend import (
    POINT_SCHEMA,
    ROW_ORDER,
    ROW_SCHEMA,
    Evaluation,
    Progress,
    _slices,
    decision_row,
    point_columns,
    recorded_decision,
)
from mmpath.cohort.classify import ResultLike
from mmpath.cohort.compiled.engines import SqlEngine, engine
from mmpath.cohort.compiled.plan import applicability_column, build_plan
from mmpath.cohort.decisions import DecisionPoint, decision_points
from mmpath.cohort.extract import Extract, ExtractProblem
from mmpath.cohort.parallel import map_in_order
from mmpath.cohort.records import (
    AsOf,
    RecordProblems,
    by_patient,
    patients,
    patients_between,
    to_record,
)
from mmpath.cohort.rows import RowFiles
from mmpath.engine.compiled import compiled
from mmpath.engine.pack import Pack
from mmpath.engine.packs import select
from mmpath.engine.projection import ProjectionMemo, Projector, Reads, ValueAssessment
from mmpath.record.model import Treatment
from mmpath.service import evaluate_packs

DECISION_SCHEMA: dict[str, pl.DataType] = {
    "k": pl.Int64(),
    **POINT_SCHEMA,
    "recorded_pathway": pl.Utf8(),
    "recorded_reason": pl.Utf8(),
    "recorded_reason_text": pl.Utf8(),
    "drug_list": pl.List(pl.Utf8()),
    "procedure": pl.Utf8(),
    "ordinal": pl.Int32(),
}
"""One row per decision: the decision's row columns and what rebuilds its DecisionPoint."""


@dataclass
class CompiledEvaluation(Evaluation):
    compiled_pairs: int = 0
    """(decision, guideline) pairs answered by the SQL plan."""
    routed_pairs: int = 0
    """Pairs evaluated by the per-patient engine."""
    routed_by_guideline: dict[str, int] = field(default_factory=dict)
    compiled_by_guideline: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall seconds per stage: points (pass 1), plan (SQL), routed (pass 2, with the
    rows of each slice assembled and written)."""
    memo_hits: int = 0
    """Routed pairs whose projection came from the memo (``routed="memo"``)."""
    memo_misses: int = 0
    """Routed pairs whose projection was computed (and added to the memo)."""


@dataclass(frozen=True)
class CompiledBackend:
    """The compiled plan on ``engine`` (``duckdb`` or ``spark``); Python passes over
    ``workers`` processes in chunks of ``chunk`` patients."""

    engine: str = "duckdb"
    workers: int = 1
    chunk: int = 200
    passes: int = 2
    """Progress is reported twice per patient: decision points, then routed pairs."""
    routed: Literal["memo", "lean", "engine"] = "memo"
    """How routed pairs are evaluated: the memoised projection (default), the projection
    computed every time, or the full recommendation (``evaluate_packs``, as the reference
    backend). All three give the same rows (tests/cohort/test_projection.py)."""

    @property
    def name(self) -> str:
        return self.engine

    def evaluate(
        self, extract: Extract, guideline: str, progress: Progress | None = None
    ) -> CompiledEvaluation:
        return self.evaluate_on(engine(self.engine), extract, guideline, progress)

    def evaluate_on(
        self,
        sql: SqlEngine,
        extract: Extract,
        guideline: str,
        progress: Progress | None = None,
    ) -> CompiledEvaluation:
        chosen = {p.id for p in select(guideline)}  # UnknownGuideline before any work
        packs = [p for p in select("all") if p.id in chosen]  # the reference's order
        pack_ids = [p.id for p in packs]
        skip = extract.set_aside()
        set_aside = [p for problems in skip.values() for p in problems]
        seconds: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            seconds[stage] = now - clock
            clock = now

        # 1. decision points
        parts: list[pl.DataFrame] = []
        jobs1 = ((tables, frozenset(skip)) for tables in _slices(extract, self.chunk))
        evaluated = 0
        for frame, problems, count, valid in self._map(_points_part, jobs1):
            parts.append(frame)
            set_aside += problems
            evaluated += valid
            if progress is not None:
                progress(count)
        points = pl.concat(parts) if parts else pl.DataFrame(schema=DECISION_SCHEMA)
        points = points.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("k"))
        lap("points")
        # 2. the SQL plan
        plan = build_plan(packs, treatments_recorded="treatments" in extract.tables)
        applicability = sql.run(plan.sql, _views(extract, points)).sort("k")
        pairs = _pairs(points, applicability, packs)
        del applicability
        settled = by_patient(pairs.filter(pl.col("applicable").eq_missing(False)), "k")
        routed = pairs.filter(~pl.col("applicable").eq_missing(False))
        del pairs
        counts_routed = dict(routed.group_by("guideline").len().iter_rows())
        counts_settled = dict(settled.group_by("guideline").len().iter_rows())
        lap("plan")
        # 3. routed pairs
        # per patient, in patient order (as the slices): each routed decision and its packs
        grouped = (
            routed.group_by("patient_id", "k", maintain_order=True)
            .agg(pl.col("pack"))
            .join(points.drop("patient_id"), on="k", how="left", maintain_order="left")
            .sort("patient_id", "k", maintain_order=True)
        )
        routed_pairs = routed.height
        del routed
        points = by_patient(points, "k")
        files = RowFiles(ROW_SCHEMA)
        failed = 0
        token = uuid.uuid4().hex  # a fresh memo per evaluation (honest timings)
        submitted: deque[pl.Series] = deque()  # the patient ids of the slices in flight

        def jobs2() -> Iterator[RoutedJob]:
            for tables in _slices(extract, self.chunk):
                submitted.append(tables["patients"].get_column("patient_id"))
                yield tables, _routed_for(tables, grouped), pack_ids, self.routed, token

        hits = misses = 0
        # results in slice order, so in patient_id order: each slice's rows, with those of
        # its pairs answered in SQL, sorted, are the next stretch of the sorted rows
        for frame, problems, bad, count, memo in self._map(_routed_part, jobs2()):
            ids = submitted.popleft()
            compiled_rows = _not_applicable_rows(
                _of_patients(points, ids), _of_patients(settled, ids), packs
            )
            rows = pl.concat([compiled_rows, frame], how="vertical")
            if bad:  # the reference drops a patient whose as-of record fails
                rows = rows.filter(~pl.col("patient_id").is_in(sorted(bad)))
            files.add(
                rows.sort([*ROW_ORDER, "k", "pack"], maintain_order=True).select(list(ROW_SCHEMA))
            )
            set_aside += problems
            failed += len(bad)
            hits += memo[0]
            misses += memo[1]
            if progress is not None:
                progress(count)
        lap("routed")
        return CompiledEvaluation(
            files,
            set_aside,
            evaluated - failed,
            compiled_pairs=settled.height,
            routed_pairs=routed_pairs,
            routed_by_guideline={str(k): int(v) for k, v in counts_routed.items()},
            compiled_by_guideline={str(k): int(v) for k, v in counts_settled.items()},
            seconds=seconds,
            memo_hits=hits,
            memo_misses=misses,
        )

    def _map(self, function: Any, jobs: Iterator[Any]) -> Iterator[Any]:
        return map_in_order(function, jobs, self.workers)


# -- pass 1: decision points -------------------------------------------------------------


def _points_part(
    job: tuple[dict[str, pl.DataFrame], frozenset[str]],
) -> tuple[pl.DataFrame, list[ExtractProblem], int, int]:
    """The decision points of a slice of patients, its problems, patients, valid ones."""
    tables, skip = job
    rows: list[dict[str, Any]] = []
    problems: list[ExtractProblem] = []
    total = valid = 0
    for data in patients(Extract(tables=tables)):
        total += 1
        if data.patient_id in skip:
            continue
        try:
            whole = to_record(data)
        except RecordProblems as error:
            problems += error.problems
            continue
        valid += 1
        for point in decision_points(whole):
            rows.append(
                {
                    "k": 0,
                    **point_columns(data, point, recorded_decision(data, point)),
                    "drug_list": list(point.drugs),
                    "procedure": point.procedure,
                    "ordinal": point.ordinal,
                }
            )
    frame = (
        pl.DataFrame(rows, schema=DECISION_SCHEMA) if rows else pl.DataFrame(schema=DECISION_SCHEMA)
    )
    return frame, problems, total, valid


def _point(row: dict[str, Any]) -> DecisionPoint:
    return DecisionPoint(
        date=row["decision_date"],
        event=row["event"],
        line=row["line"],
        phase=row["phase"],
        drugs=tuple(row["drug_list"] or ()),
        procedure=row["procedure"],
        ordinal=row["ordinal"],
    )


# -- the plan's inputs and outputs -----------------------------------------------------------


def _views(extract: Extract, points: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The tables the plan reads: decisions, courses (with the line a course is numbered,
    when given), course drugs, progressions."""
    decisions = points.select("k", "patient_id", "decision_date")
    treatments = extract.tables.get("treatments")
    if treatments is None:
        courses = pl.DataFrame(schema={"patient_id": pl.Utf8, "start": pl.Date, "line": pl.Int64})
        drugs = pl.DataFrame(schema={"patient_id": pl.Utf8, "start": pl.Date, "inn": pl.Utf8})
    else:
        courses = treatments.select(
            "patient_id",
            "start",
            (pl.col("line") if "line" in treatments.columns else pl.lit(None))
            .cast(pl.Int64)
            .alias("line"),
        )
        drugs = _course_drugs(treatments)
    progressions = extract.tables.get("progressions")
    if progressions is None:
        progressions = pl.DataFrame(schema={"patient_id": pl.Utf8, "date": pl.Date})
    return {
        "decisions": decisions,
        "courses": courses,
        "course_drugs": drugs,
        "progressions": progressions.select("patient_id", "date"),
    }


def _course_drugs(treatments: pl.DataFrame) -> pl.DataFrame:
    """(patient_id, start, inn) per course drug: each distinct (regimen, drugs) resolved
    once by the record model's own ``Treatment.drug_set`` (the catalogue's rules)."""
    regimen = treatments["regimen"] if "regimen" in treatments.columns else None
    frame = treatments.select(
        "patient_id",
        "start",
        (regimen if regimen is not None else pl.lit(None, pl.Utf8)).alias("regimen"),
        (
            pl.col("drugs") if "drugs" in treatments.columns else pl.lit(None, pl.List(pl.Utf8))
        ).alias("drugs"),
    )
    distinct = frame.select("regimen", "drugs").unique()
    resolved = [_drug_set(r, d) for r, d in distinct.iter_rows()]
    mapping = distinct.with_columns(pl.Series("inn", resolved, dtype=pl.List(pl.Utf8)))
    return (
        frame.join(mapping, on=["regimen", "drugs"], how="left", nulls_equal=True)
        .explode("inn")
        .filter(pl.col("inn").is_not_null())
        .select("patient_id", "start", "inn")
    )


def _drug_set(regimen: str | None, drugs: list[str] | None) -> tuple[str, ...] | None:
    """A course's INNs; None for a regimen the catalogue does not know (an unknown code:
    its patient is set aside, has no decision in the plan, and must not stop it)."""
    catalogue = load_catalogue()
    if (
        regimen is not None
        and catalogue.ambiguity(regimen) is None
        and catalogue.drugs_of(regimen) is None
    ):
        return None
    return Treatment.model_construct(regimen=regimen, drugs=drugs, start=dt.date.min).drug_set()


def _pairs(points: pl.DataFrame, applicability: pl.DataFrame, packs: list[Pack]) -> pl.DataFrame:
    """Every (decision, guideline) pair the reference evaluates, with the plan's answer:
    all guidelines at a line start, the pathway guidelines at a phase transition."""
    frames = []
    for i, pack in enumerate(packs):
        targets = points if pack.phases else points.filter(pl.col("event") == "line_start")
        frames.append(
            targets.select("k", "patient_id")
            .join(
                applicability.select("k", pl.col(applicability_column(i)).alias("applicable")),
                on="k",
                how="left",
            )
            .with_columns(pl.lit(i, pl.Int32).alias("pack"), pl.lit(pack.id).alias("guideline"))
        )
    return pl.concat(frames).sort("k", "pack")


def _not_applicable_rows(
    points: pl.DataFrame, settled: pl.DataFrame, packs: list[Pack]
) -> pl.DataFrame:
    """The rows of pairs whose guideline does not apply (cohort/classify.py, first case)."""
    info = pl.DataFrame(
        {
            "pack": list(range(len(packs))),
            "guideline_version": [p.version for p in packs],
            "detail": ["guideline not applicable: " + p.applicability.text for p in packs],
        },
        schema={"pack": pl.Int32, "guideline_version": pl.Utf8, "detail": pl.Utf8},
    )
    return (
        settled.select("k", "pack", "guideline")
        .join(points.drop("patient_id"), on="k")
        .join(points.select("k", "patient_id"), on="k")
        .join(info, on="pack")
        .with_columns(
            pl.lit("not_covered").alias("classification"),
            pl.lit(None, pl.Utf8).alias("tier"),
            pl.lit(None, pl.Utf8).alias("option"),
            pl.lit(None, pl.Utf8).alias("node"),
            pl.lit([], pl.List(pl.Utf8)).alias("unknown_facts"),
            pl.lit([], pl.List(pl.Utf8)).alias("missing_facts"),
        )
        .select(*ROW_SCHEMA, "k", "pack")
        .cast({c: t for c, t in ROW_SCHEMA.items()})
    )


# -- pass 2: routed pairs -------------------------------------------------------------------

Routed = dict[str, list[tuple[DecisionPoint, int, list[int]]]]


def _of_patients(frame: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """The rows of ``frame`` (sorted by patient_id) whose patient is in ``ids``, the
    sorted patient ids of a slice (``_slices``): a contiguous stretch, no copy."""
    if ids.is_empty():
        return frame.clear()
    return patients_between(frame, ids[0], ids[ids.len() - 1])


def _routed_for(tables: dict[str, pl.DataFrame], grouped: pl.DataFrame) -> Routed:
    """The routed decisions of a slice's patients (``grouped``: one row per routed
    decision with its pack indexes and decision columns, sorted by patient), built per
    slice so that the cohort's decisions are never all held as Python objects."""
    out: Routed = {}
    ids = tables["patients"].get_column("patient_id")
    for row in _of_patients(grouped, ids).iter_rows(named=True):
        out.setdefault(row["patient_id"], []).append((_point(row), row["k"], row["pack"]))
    return out


RoutedJob = tuple[dict[str, pl.DataFrame], Routed, list[str], str, str]
"""A slice of the tables, its routed pairs, the pack ids, the ``routed`` mode and the
evaluation's token (a new token starts new memos in the worker)."""

_memos: dict[str, ProjectionMemo] = {}
_memo_token = ""


def _memo_for(pack: Pack, token: str) -> ProjectionMemo:
    """This process's memo of ``pack`` for the evaluation ``token``."""
    global _memo_token
    if token != _memo_token:
        _memos.clear()
        _memo_token = token
    found = _memos.get(pack.id)
    if found is None or found.projector.pack is not pack:
        found = _memos[pack.id] = ProjectionMemo(pack, load_catalogue())
    return found


def _routed_part(
    job: RoutedJob,
) -> tuple[pl.DataFrame, list[ExtractProblem], set[str], int, tuple[int, int]]:
    """The rows of a slice's routed pairs (``routed`` mode: ``engine``, ``lean`` or
    ``memo``, see :attr:`CompiledBackend.routed`), its problems, the patients whose as-of
    record failed, the slice's patient count and the memo's (hits, misses) for it."""
    tables, routed, pack_ids, mode, token = job
    by_id = {p.id: p for p in select("all")}
    packs = [by_id[i] for i in pack_ids]
    rows: list[dict[str, Any]] = []
    problems: list[ExtractProblem] = []
    failed: set[str] = set()
    count = tables["patients"].height
    if not routed:
        return _routed_frame(rows), problems, failed, count, (0, 0)
    memos = [_memo_for(p, token) for p in packs] if mode == "memo" else []
    before = [(m.hits, m.misses) for m in memos]
    projectors = [m.projector for m in memos] or [
        Projector(compiled(p, load_catalogue())) for p in packs
    ]
    for data in patients(Extract(tables=tables)):
        todo = routed.get(data.patient_id)
        if not todo:
            continue
        mine: list[dict[str, Any]] = []
        try:
            as_of = None if mode == "engine" else AsOf(data, to_record(data))
            for point, k, indexes in todo:
                record = to_record(data, point.date) if as_of is None else as_of.record(point.date)
                recorded = recorded_decision(data, point)
                facts = Assessment(record) if mode == "engine" else ValueAssessment(record)
                if mode == "engine":
                    targets = [packs[i] for i in indexes]
                    results: list[ResultLike] = list(evaluate_packs(facts, targets))
                elif mode == "memo":
                    results = [memos[i].project(facts) for i in indexes]
                else:
                    results = []
                    for i in indexes:
                        view = projectors[i].view(facts)
                        results.append(projectors[i].evaluate(Reads(view)))
                for i, result in zip(indexes, results, strict=True):
                    row = decision_row(data, point, recorded, packs[i], result)
                    mine.append({**row, "k": k, "pack": i})
        except RecordProblems as error:
            problems += error.problems
            failed.add(data.patient_id)
            continue
        rows += mine
    hits = sum(m.hits for m in memos) - sum(h for h, _ in before)
    misses = sum(m.misses for m in memos) - sum(m for _, m in before)
    return _routed_frame(rows), problems, failed, count, (hits, misses)


def _routed_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {**ROW_SCHEMA, "k": pl.Int64(), "pack": pl.Int32()}
    return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
