"""Random conditions and fact rows for checking the SQL compiler against the engine."""

from __future__ import annotations

import random
from typing import Any

import polars as pl

from mmpath.cohort.compiled.sql import SqlType, column, compile_condition
from mmpath.engine.conditions import All, AnyOf, Compare, Condition, Const, IsTrue, Not, evaluate

TYPES: dict[str, SqlType] = {
    "b1": "boolean",
    "b2": "boolean",
    "n1": "integer",
    "x1": "double",
    "t1": "text",
}
VALUES: dict[SqlType, list[Any]] = {
    "boolean": [True, False],
    "integer": [0, 1, 2, 3, 70],
    "double": [0.0, 0.5, 1.0, 2.5, 60.0],
    "text": ["", "a", "b", "NL", "a'b"],
}
OPERANDS: list[Any] = [True, False, 0, 1, 2, 3, 70, 0.5, 1.0, 2.5, 60.0, "", "a", "b", "NL", "a'b"]
OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in")


def random_condition(rng: random.Random, depth: int = 3) -> Condition:
    roll = rng.random()
    if depth <= 0 or roll < 0.35:
        fact = rng.choice(list(TYPES))
        if rng.random() < 0.4:
            return IsTrue(fact)
        op = rng.choice(OPS)
        if op == "in":
            return Compare(fact, op, tuple(rng.sample(OPERANDS, rng.randint(1, 3))))
        return Compare(fact, op, rng.choice(OPERANDS))
    if roll < 0.4:
        return Const(rng.random() < 0.5)
    if roll < 0.55:
        return Not(random_condition(rng, depth - 1))
    items = tuple(random_condition(rng, depth - 1) for _ in range(rng.randint(1, 3)))
    return All(items) if roll < 0.78 else AnyOf(items)


def random_rows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    return [
        {
            name: (None if rng.random() < 0.3 else rng.choice(VALUES[kind]))
            for name, kind in TYPES.items()
        }
        for _ in range(count)
    ]


class Row:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def value(self, name: str) -> Any:
        return self.values[name]


POLARS = {"boolean": pl.Boolean, "integer": pl.Int64, "double": pl.Float64, "text": pl.Utf8}


def fact_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"k": i, **{column(n): v for n, v in r.items()}} for i, r in enumerate(rows)],
        schema={"k": pl.Int64, **{column(n): POLARS[t] for n, t in TYPES.items()}},
    )


def query(conditions: list[Condition]) -> str:
    columns = ", ".join(f"{compile_condition(c, TYPES)} AS c_{i}" for i, c in enumerate(conditions))
    return f"SELECT k, {columns} FROM facts ORDER BY k"


def mismatches(
    conditions: list[Condition], rows: list[dict[str, Any]], result: pl.DataFrame
) -> list[str]:
    """Where SQL and the engine disagree (value TRUE/FALSE/NULL vs True/False/None)."""
    out = []
    result = result.sort("k")
    for i, condition in enumerate(conditions):
        got = result[f"c_{i}"].to_list()
        for row, value in zip(rows, got, strict=True):
            expected, _ = evaluate(condition, Row(row))
            if expected is not None:
                expected = bool(expected)
            if value != expected:
                out.append(f"{condition} on {row}: SQL {value}, engine {expected}")
    return out
