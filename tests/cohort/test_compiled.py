"""The compiled backend against the per-patient engine (issue 14, phase 2).

- the condition compiler: random conditions x random fact rows, SQL (DuckDB) = Kleene;
- the compiled facts: every value the plan derives equals the fact layer's, as of the
  decision date (catches drift when assess/ changes a definition);
- the whole backend: every row (classification, tier, option, node, detail, unknown and
  missing facts, ...) identical to ReferenceBackend's, in the same order, on several
  synthetic cohorts, and the plan does settle pairs (not everything routed).
"""

from __future__ import annotations

import random

import polars as pl
import pytest

from mmpath.assess import Assessment
from mmpath.cohort.backend import KEY, Evaluation, ReferenceBackend, differences
from mmpath.cohort.compiled.backend import CompiledBackend, _points_part, _views
from mmpath.cohort.compiled.engines import DuckDB
from mmpath.cohort.compiled.facts import FACT_TYPES, facts_sql
from mmpath.cohort.compiled.sql import NotCompilable, compile_condition
from mmpath.cohort.extract import Extract, check
from mmpath.cohort.records import patients, to_record
from mmpath.cohort.synth.generate import synthesise
from mmpath.engine.conditions import IsTrue

from .sqlcheck import fact_frame, mismatches, query, random_condition, random_rows


def test_conditions_compile_to_kleene_sql_on_duckdb() -> None:
    rng = random.Random(20261130)
    conditions = [random_condition(rng) for _ in range(300)]
    rows = random_rows(rng, 120)
    result = DuckDB().run(query(conditions), {"facts": fact_frame(rows)})
    assert mismatches(conditions, rows, result) == []


def test_a_fact_without_a_column_is_refused_or_null() -> None:
    with pytest.raises(NotCompilable, match="frailty"):
        compile_condition(IsTrue("frailty"), FACT_TYPES)
    assert compile_condition(IsTrue("frailty"), FACT_TYPES, partial=True) == (
        "CAST(NULL AS BOOLEAN)"
    )


def _points(extract: Extract) -> pl.DataFrame:
    frame, _, _, _ = _points_part((extract.tables, frozenset(extract.set_aside())))
    return frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("k"))


def test_compiled_facts_equal_the_fact_layer_as_of_each_decision(small_extract: Extract) -> None:
    points = _points(small_extract)
    sql = facts_sql(treatments_recorded=True) + " ORDER BY k"
    facts = DuckDB().run(sql, _views(small_extract, points)).sort("k")
    data = {d.patient_id: d for d in patients(small_extract)}
    checked = 0
    for point, row in zip(points.iter_rows(named=True), facts.iter_rows(named=True), strict=True):
        assessment = Assessment(to_record(data[point["patient_id"]], point["decision_date"]))
        for name in FACT_TYPES:
            value = row[f"f_{name}"]
            if value is not None:  # NULL: unknown or not compiled here
                assert value == assessment.value(name), (point, name)
                checked += 1
    assert checked > points.height  # most decisions have compiled values


def _same(reference: Evaluation, compiled: Evaluation) -> None:
    assert differences(reference.rows, compiled.rows).height == 0
    assert reference.rows.select(KEY).equals(compiled.rows.select(KEY))  # same order
    assert reference.rows.schema == compiled.rows.schema
    assert reference.patients == compiled.patients
    assert sorted(map(str, reference.set_aside)) == sorted(map(str, compiled.set_aside))


def test_compiled_backend_equals_the_reference(
    small_extract: Extract, small_evaluation: Evaluation
) -> None:
    compiled = CompiledBackend().evaluate(small_extract, "all")
    _same(small_evaluation, compiled)
    assert compiled.compiled_pairs > 0 and compiled.routed_pairs > 0
    assert compiled.compiled_pairs + compiled.routed_pairs == compiled.rows.height


def test_compiled_backend_in_worker_processes_equals_the_reference(
    small_extract: Extract, small_evaluation: Evaluation
) -> None:
    """Small slices over two spawned workers: every slice's routed decisions found by patient
    range, results back in order (``cohort.parallel.map_in_order``)."""
    parallel = CompiledBackend(workers=2, chunk=7).evaluate(small_extract, "all")
    _same(small_evaluation, parallel)


@pytest.mark.parametrize(
    ("size", "seed", "guideline"), [(15, 101, "all"), (15, 202, "all"), (15, 303, "nl-rrmm")]
)
def test_compiled_backend_equals_the_reference_on_random_cohorts(
    size: int, seed: int, guideline: str
) -> None:
    extract = check(synthesise(size, seed))
    _same(
        ReferenceBackend().evaluate(extract, guideline),
        CompiledBackend().evaluate(extract, guideline),
    )


def test_compiled_backend_without_a_progressions_table() -> None:
    """An absent table is 'not recorded': the plan must not read it as 'none'."""
    tables = {k: v for k, v in synthesise(15, 404).items() if k != "progressions"}
    extract = check(tables)
    _same(ReferenceBackend().evaluate(extract, "all"), CompiledBackend().evaluate(extract, "all"))
