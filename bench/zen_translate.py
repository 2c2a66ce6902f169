"""Translate mmpath conditions into a GoRules JDM decision (zen-engine), keeping Kleene logic.

Used only by the benchmark (bench_rules_vs_zen.py); it imports no zen code, so the test
suite can check its output without zen-engine installed.

ZEN's ``and`` / ``or`` / ``not`` / ``?:`` are not three-valued: they raise on a null left
operand (zen-engine 2.1.3, see bench/README.md). Comparisons with ``== true`` /
``== false`` / ``!= null`` never raise. So each condition ``c`` becomes two null-safe
boolean expressions, ``T(c)`` ("c is definitely true") and ``F(c)`` ("c is definitely
false"), and the output expression is ``T(c) ? true : (F(c) ? false : null)``:

- ``fact`` (a boolean fact): ``T = fact == true``, ``F = fact == false``;
- ``{fact: x, op: v}``: ``T = x != null and (x op v)``, ``F = x != null and not (x op v)``;
- ``not c``: ``T = F(c)``, ``F = T(c)``;
- ``all``: ``T`` = and of the items' ``T``, ``F`` = or of the items' ``F``;
- ``any``: ``T`` = or of the items' ``T``, ``F`` = and of the items' ``F``;
- ``true`` / ``false``: constants.

This is exactly mmpath's ``evaluate`` value (not the set of facts that would settle an
unknown result, which ZEN is not asked to compute) as long as every fact has the kind
it is registered with: a boolean fact is true, false or null, a number fact a number or
null. The translator refuses a bare number/string fact used as a boolean (mmpath would
apply Python truthiness; ``mmpath lint`` rejects such packs too).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from mmpath.engine.conditions import All, Compare, Condition, Const, IsTrue, Not

ZEN_OPERATORS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "in": "in"}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# reserved words of the ZEN expression language that cannot name a fact
_RESERVED = {"true", "false", "null", "and", "or", "not", "in"}


class TranslationError(ValueError):
    """A condition that this translator cannot express faithfully in ZEN."""


def _name(fact: str) -> str:
    if not _IDENTIFIER.match(fact) or fact in _RESERVED:
        raise TranslationError(f"fact name {fact!r} is not a plain ZEN identifier")
    return fact


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TranslationError(f"non-finite number {value!r}")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    raise TranslationError(f"cannot write {value!r} as a ZEN literal")


def _join(parts: list[str], op: str) -> str:
    return "(" + f" {op} ".join(f"({p})" for p in parts) + ")"


def definitely_true(condition: Condition, kinds: Mapping[str, str]) -> str:
    """A ZEN expression that is ``true`` iff ``condition`` is true (never null, never raises)."""
    if isinstance(condition, Const):
        return "true" if condition.value else "false"
    if isinstance(condition, IsTrue):
        _boolean(condition.fact, kinds)
        return f"{_name(condition.fact)} == true"
    if isinstance(condition, Compare):
        name = _name(condition.fact)
        test = f"{name} {ZEN_OPERATORS[condition.op]} {_literal(condition.operand)}"
        return f"({name} != null) and ({test})"
    if isinstance(condition, Not):
        return definitely_false(condition.item, kinds)
    parts = [definitely_true(item, kinds) for item in condition.items]
    return _join(parts, "and" if isinstance(condition, All) else "or")


def definitely_false(condition: Condition, kinds: Mapping[str, str]) -> str:
    """A ZEN expression that is ``true`` iff ``condition`` is false (never null, never raises)."""
    if isinstance(condition, Const):
        return "false" if condition.value else "true"
    if isinstance(condition, IsTrue):
        _boolean(condition.fact, kinds)
        return f"{_name(condition.fact)} == false"
    if isinstance(condition, Compare):
        name = _name(condition.fact)
        test = f"{name} {ZEN_OPERATORS[condition.op]} {_literal(condition.operand)}"
        return f"({name} != null) and (not ({test}))"
    if isinstance(condition, Not):
        return definitely_true(condition.item, kinds)
    parts = [definitely_false(item, kinds) for item in condition.items]
    return _join(parts, "or" if isinstance(condition, All) else "and")


def _boolean(fact: str, kinds: Mapping[str, str]) -> None:
    kind = kinds.get(fact)
    if kind != "boolean":
        raise TranslationError(f"{fact} is used as a boolean but its kind is {kind}")


def kleene_expression(condition: Condition, kinds: Mapping[str, str]) -> str:
    """One ZEN expression with the three-valued result: true, false or null."""
    true, false = definitely_true(condition, kinds), definitely_false(condition, kinds)
    return f"({true}) ? true : (({false}) ? false : null)"


def build_jdm(
    conditions: Iterable[tuple[str, Condition]], kinds: Mapping[str, str]
) -> dict[str, Any]:
    """A JDM graph: input -> one expression node (one output per condition) -> output.

    Output keys are the given keys; they must not contain dots (ZEN nests dotted keys).
    """
    expressions = []
    for i, (key, condition) in enumerate(conditions):
        if "." in key or not key:
            raise TranslationError(f"output key {key!r} must be non-empty and dot-free")
        expressions.append(
            {"id": f"e{i}", "key": key, "value": kleene_expression(condition, kinds)}
        )
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "facts", "position": {"x": 0, "y": 0}},
            {
                "id": "rules",
                "type": "expressionNode",
                "name": "conditions",
                "position": {"x": 250, "y": 0},
                "content": {"expressions": expressions},
            },
            {"id": "out", "type": "outputNode", "name": "values", "position": {"x": 500, "y": 0}},
        ],
        "edges": [
            {"id": "in-rules", "sourceId": "in", "targetId": "rules", "type": "edge"},
            {"id": "rules-out", "sourceId": "rules", "targetId": "out", "type": "edge"},
        ],
    }


_TOKEN = re.compile(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"|[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = _RESERVED


def identifiers(expression: str) -> set[str]:
    """The identifiers a ZEN expression built here reads (string literals skipped)."""
    return {
        token
        for token in _TOKEN.findall(expression)
        if token[0] not in "'\"" and token not in _KEYWORDS
    }


def pack_conditions(pack: Any, drug_notes: Iterable[Any]) -> list[tuple[str, str, Condition]]:
    """(output key, where in the pack, condition) for every condition mmpath evaluates for a
    patient with this pack: the pack's own and the drug-level dose notes'."""
    found = list(pack.conditions())
    found += [(f"dose note {note.id}", note.condition) for note in drug_notes]
    return [(f"c{i:03d}", where, condition) for i, (where, condition) in enumerate(found)]
