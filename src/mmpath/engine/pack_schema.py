"""`mmpath schema pack`: the JSON Schema of pack.yaml, for editors.

The pack model (``engine.pack``) gives the shape; conditions are held parsed there, so
their grammar (``engine.conditions``) is written out here and every ``when`` points to
it. Fact names are offered as ``examples`` (editors complete them) rather than an
``enum``: which names resolve is decided when the pack is loaded, with ``file:line``.
"""

from __future__ import annotations

from typing import Any

from mmpath.engine.condition_field import CONDITION_MARK
from mmpath.engine.conditions import COMPARISONS
from mmpath.engine.pack import Pack
from mmpath.engine.vocabulary import NAMES

SCHEMA_ID = "https://mmpath.invalid/schema/pack.json"
REF = {"$ref": "#/$defs/Condition"}


def _condition_schema(facts: dict[str, str]) -> dict[str, Any]:
    boolean_facts = sorted(n for n, kind in facts.items() if kind == "boolean")
    scalar = {"type": ["boolean", "number", "string"]}
    fact_name = {
        "type": "string",
        "pattern": "^[a-z][a-z0-9_]*$",
        "description": "a fact (mmpath facts --list)",
        "examples": sorted(facts),
    }
    comparisons = [
        {
            "type": "object",
            "properties": {
                "fact": fact_name,
                op: {"type": "array", "items": scalar, "minItems": 1} if op == "in" else scalar,
            },
            "required": ["fact", op],
            "additionalProperties": False,
        }
        for op in COMPARISONS
    ]
    return {
        "description": "A condition over facts, evaluated with Kleene (three-valued) logic: "
        "a boolean fact's name, true/false, {all: [...]}, {any: [...]}, {not: ...}, or "
        "{fact: NAME, eq|ne|lt|le|gt|ge|in: VALUE}.",
        "anyOf": [
            {"type": "boolean"},
            {
                "type": "string",
                "pattern": "^[a-z][a-z0-9_]*$",
                "description": "a boolean fact is true",
                "examples": boolean_facts,
            },
            *(
                {
                    "type": "object",
                    "properties": {key: {"type": "array", "items": REF, "minItems": 1}},
                    "required": [key],
                    "additionalProperties": False,
                }
                for key in ("all", "any")
            ),
            {
                "type": "object",
                "properties": {"not": REF},
                "required": ["not"],
                "additionalProperties": False,
            },
            *comparisons,
        ],
    }


def _link(node: Any) -> Any:
    """Replace the pack model's condition markers by references to the grammar."""
    if isinstance(node, dict):
        if node.get(CONDITION_MARK):
            rest = {k: v for k, v in node.items() if k != CONDITION_MARK}
            return {**rest, **REF} if "default" not in rest else {"allOf": [REF], **rest}
        return {key: _link(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_link(item) for item in node]
    return node


def pack_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of a pack file, with the facts of this installation."""
    from mmpath.assess import FACTS

    schema = _link(Pack.model_json_schema())
    schema["$defs"]["Condition"] = _condition_schema({n: s.kind for n, s in FACTS.items()})
    option = schema["$defs"]["OptionSpec"]["properties"]
    for kind, codes in NAMES.items():
        option[kind]["examples"] = sorted(codes)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "mmpath guideline pack (pack.yaml)",
        **schema,
    }
