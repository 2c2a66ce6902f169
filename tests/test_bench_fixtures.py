"""The benchmark's inputs are sound: its fixture record validates, and the zen-engine
translation of the nl-rrmm conditions reads exactly the facts each condition reads.

(The translation's *results* are checked against mmpath's evaluation by the benchmark
itself, bench/bench_rules_vs_zen.py, which refuses to report timings on any mismatch;
zen-engine is a bench-only dependency, so these tests do not import it.)
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from mmpath.assess import FACTS
from mmpath.engine.conditions import Compare, IsTrue, fact_names
from mmpath.engine.drug_notes import drug_notes
from mmpath.engine.packs import select
from mmpath.record.load import parse_record

BENCH = Path(__file__).resolve().parent.parent / "bench"
KINDS = {name: spec.kind for name, spec in FACTS.items()}


def _zen_translate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("zen_translate", BENCH / "zen_translate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


zt = _zen_translate()


def test_fixture_record_validates_with_the_advertised_size() -> None:
    raw = json.loads((BENCH / "record_6_courses_20_labs.json").read_text("utf-8"))
    record = parse_record(raw)
    assert record.treatments is not None and len(record.treatments) == 6
    assert record.labs is not None and len(record.labs) == 20


def test_translation_reads_exactly_the_facts_of_each_condition() -> None:
    entries = zt.pack_conditions(select("nl-rrmm")[0], drug_notes())
    jdm = zt.build_jdm([(key, c) for key, _, c in entries], KINDS)
    (node,) = [n for n in jdm["nodes"] if n["type"] == "expressionNode"]
    expressions = node["content"]["expressions"]
    assert [e["key"] for e in expressions] == [key for key, _, _ in entries]
    assert len({e["id"] for e in expressions}) == len(expressions)
    for expression, (key, where, condition) in zip(expressions, entries, strict=True):
        read = zt.identifiers(expression["value"])
        assert read == set(fact_names(condition)), (key, where, expression["value"])
        assert read <= set(FACTS), (key, where)


def test_translation_of_leaves() -> None:
    kinds = {"a": "boolean", "n": "number"}
    assert zt.kleene_expression(IsTrue("a"), kinds) == (
        "(a == true) ? true : ((a == false) ? false : null)"
    )
    assert zt.definitely_false(Compare("n", "ge", 2), kinds) == ("(n != null) and (not (n >= 2))")


def test_translator_refuses_a_number_used_as_a_boolean() -> None:
    with pytest.raises(zt.TranslationError, match="kind is number"):
        zt.kleene_expression(IsTrue("n"), {"n": "number"})
