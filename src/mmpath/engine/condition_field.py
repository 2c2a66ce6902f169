"""The pydantic field type of a condition in pack and library YAML (held parsed)."""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from mmpath.engine.conditions import (
    All,
    AnyOf,
    Compare,
    Condition,
    Const,
    IsTrue,
    Not,
    parse,
    to_yaml,
)

CONDITION_MARK = "x-mmpath-condition"


def _condition(raw: object) -> Condition:
    if isinstance(raw, Const | IsTrue | Compare | All | AnyOf | Not):
        return raw  # already parsed (copies of a validated pack)
    return parse(raw)


ConditionField = Annotated[
    Condition,
    PlainValidator(_condition),
    PlainSerializer(to_yaml),
    # replaced by a reference to the condition grammar in engine.pack_schema
    WithJsonSchema({CONDITION_MARK: True}),
]
"""A condition as written in YAML (``conditions``), held parsed."""
