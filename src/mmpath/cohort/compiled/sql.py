"""The pack condition language compiled to SQL (three-valued logic).

SQL's ``AND``/``OR``/``NOT`` over ``TRUE``/``FALSE``/``NULL`` are Kleene's strong
three-valued connectives (ISO/IEC 9075, "<boolean value expression>"), the logic the
engine evaluates conditions with (engine/conditions.py): ``NULL`` is *unknown*. So:

- ``fact`` (a boolean fact is true) -> ``(fact IS TRUE)`` would lose the unknown, hence
  ``CAST(fact AS BOOLEAN)`` on the boolean column itself (NULL stays NULL);
- ``{all: [...]}`` -> ``(a AND b ...)``; ``{any: [...]}`` -> ``(a OR b ...)``;
  ``{not: c}`` -> ``(NOT c)``; ``true``/``false`` -> ``TRUE``/``FALSE``;
- ``{fact: f, op: v}`` -> ``(f op v)``: NULL when ``f`` is NULL, as in the engine.

One difference needs care: the engine compares a value with an operand of another type
as *false* (``TypeError`` -> False, e.g. a text fact ``lt`` a number). The compiler knows
each fact's SQL type (:data:`FactTypes`) and emits ``FALSE`` guarded by the NULL test
(``CASE WHEN f IS NULL THEN NULL ELSE FALSE END``) where the engine would raise, and
rejects a condition on a fact it has no column for (:class:`NotCompilable`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from mmpath.engine.conditions import All, AnyOf, Compare, Condition, Const, IsTrue, Not

SqlType = Literal["boolean", "integer", "double", "text"]
FactTypes = Mapping[str, SqlType]
"""The facts a query has columns for, with the SQL type of each column."""

OPERATORS = {"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class NotCompilable(ValueError):
    """A condition reads a fact the compiled plan does not derive."""

    def __init__(self, fact: str) -> None:
        self.fact = fact
        super().__init__(f"fact {fact!r} is not compiled")


def column(fact: str) -> str:
    """The quoted column of a fact (fact names are identifiers: letters, digits, _)."""
    if not fact.replace("_", "").isalnum():
        raise ValueError(f"not a fact name: {fact!r}")
    return f"f_{fact}"


def literal(value: bool | int | float | str) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value else "NULL"
    return "'" + value.replace("'", "''") + "'"


def _fits(kind: SqlType, value: bool | int | float | str) -> bool:
    """Whether Python would compare the fact's value with ``value`` without TypeError
    (bool is an int in Python, so booleans and numbers compare with each other)."""
    if kind == "text":
        return isinstance(value, str)
    return not isinstance(value, str)


def _typed(kind: SqlType, value: bool | int | float | str) -> str:
    """``value`` as a literal of the column's type (True = 1 for numbers, as in Python)."""
    if kind == "boolean" and not isinstance(value, bool):
        return literal(bool(value)) if value in (0, 1) else "NULL"
    if kind in {"integer", "double"} and isinstance(value, bool):
        return literal(int(value))
    return literal(value)


def compile_condition(condition: Condition, types: FactTypes, *, partial: bool = False) -> str:
    """The SQL boolean expression of ``condition``: TRUE, FALSE or NULL (unknown).

    A fact without a column raises :class:`NotCompilable`, or with ``partial`` reads as
    NULL: the expression is then TRUE or FALSE only where that holds whatever the fact's
    value (Kleene logic is monotone), NULL elsewhere."""
    if partial and isinstance(condition, IsTrue | Compare) and condition.fact not in types:
        return "CAST(NULL AS BOOLEAN)"
    if isinstance(condition, Const):
        return literal(condition.value)
    if isinstance(condition, IsTrue):
        kind = _kind(condition.fact, types)
        name = column(condition.fact)
        if kind == "boolean":
            return name
        if kind == "text":
            return f"(CASE WHEN {name} IS NULL THEN NULL ELSE {name} <> '' END)"
        return f"(CASE WHEN {name} IS NULL THEN NULL ELSE {name} <> 0 END)"
    if isinstance(condition, Not):
        return f"(NOT {compile_condition(condition.item, types, partial=partial)})"
    if isinstance(condition, All | AnyOf):
        joiner = " AND " if isinstance(condition, All) else " OR "
        return (
            "("
            + joiner.join(compile_condition(i, types, partial=partial) for i in condition.items)
            + ")"
        )
    if isinstance(condition, Compare):
        return _compare(condition, types)
    raise TypeError(f"not a condition: {condition!r}")


def _kind(fact: str, types: FactTypes) -> SqlType:
    if fact not in types:
        raise NotCompilable(fact)
    return types[fact]


def _compare(condition: Compare, types: FactTypes) -> str:
    kind = _kind(condition.fact, types)
    name = column(condition.fact)
    unknown_or_false = f"(CASE WHEN {name} IS NULL THEN NULL ELSE FALSE END)"
    if condition.op == "in":
        assert isinstance(condition.operand, tuple)
        # Python's ``in`` compares with ==: a value of another type is simply not equal
        values = [_typed(kind, v) for v in condition.operand if _fits(kind, v)]
        values = [v for v in values if v != "NULL"]
        if not values:
            return unknown_or_false
        return f"({name} IN ({', '.join(values)}))"
    assert not isinstance(condition.operand, tuple)
    operand = condition.operand
    if not _fits(kind, operand):
        # == and != never raise in Python: another type is simply unequal
        if condition.op == "eq":
            return unknown_or_false
        if condition.op == "ne":
            return f"(CASE WHEN {name} IS NULL THEN NULL ELSE TRUE END)"
        return unknown_or_false  # TypeError in the engine -> False
    typed = _typed(kind, operand)
    if typed == "NULL":  # a boolean column against a number other than 0/1
        if condition.op in {"eq", "ne"}:
            result = "FALSE" if condition.op == "eq" else "TRUE"
            return f"(CASE WHEN {name} IS NULL THEN NULL ELSE {result} END)"
        typed = literal(operand)
        return f"(CAST({name} AS INTEGER) {OPERATORS[condition.op]} {typed})"
    return f"({name} {OPERATORS[condition.op]} {typed})"
