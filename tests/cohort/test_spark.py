"""The compiled plan on Spark SQL (local mode, ``local[2]``) gives DuckDB's answers.

Needs PySpark (test extra) and a Java runtime (.ci/java.sh installs Debian's
openjdk-17-jre-headless). Without Java the tests skip locally and FAIL under CI=true.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

from mmpath.cohort.backend import differences
from mmpath.cohort.compiled.backend import CompiledBackend, _points_part, _views
from mmpath.cohort.compiled.engines import DuckDB, Spark
from mmpath.cohort.compiled.plan import build_plan
from mmpath.cohort.extract import Extract, check
from mmpath.cohort.synth.generate import synthesise
from mmpath.engine.packs import select

from .sqlcheck import fact_frame, mismatches, query, random_condition, random_rows


@pytest.fixture(scope="module")
def spark() -> Iterator[Spark]:
    if shutil.which("java") is None:
        message = "no Java runtime for Spark local mode (.ci/java.sh installs one)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    engine = Spark(master="local[2]")
    session: Any = engine.session()
    yield engine
    session.stop()


def test_conditions_compile_to_kleene_sql_on_spark(spark: Spark) -> None:
    rng = random.Random(4242)
    conditions = [random_condition(rng) for _ in range(150)]
    rows = random_rows(rng, 60)
    result = spark.run(query(conditions), {"facts": fact_frame(rows)})
    assert mismatches(conditions, rows, result) == []


def test_the_plan_gives_the_same_answers_on_spark_and_duckdb(
    spark: Spark, small_extract: Extract
) -> None:
    frame, _, _, _ = _points_part((small_extract.tables, frozenset(small_extract.set_aside())))
    points = frame.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("k"))
    plan = build_plan(select("all"), treatments_recorded=True)
    views = _views(small_extract, points)
    on_duckdb = DuckDB().run(plan.sql, views).sort("k")
    on_spark = spark.run(plan.sql, views).sort("k")
    assert on_duckdb.height == points.height > 0
    assert on_spark.equals(on_duckdb)


def test_the_backend_on_spark_equals_the_backend_on_duckdb(spark: Spark) -> None:
    extract = check(synthesise(12, 505))
    backend = CompiledBackend()
    on_spark = backend.evaluate_on(spark, extract, "all")
    on_duckdb = backend.evaluate_on(DuckDB(), extract, "all")
    assert differences(on_duckdb.rows, on_spark.rows).height == 0
    assert on_spark.compiled_pairs == on_duckdb.compiled_pairs > 0
