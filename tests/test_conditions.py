"""Kleene evaluation of pack conditions."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmpath.assess.fact import Value
from mmpath.engine.conditions import ConditionError, describe, evaluate, fact_names, parse


class Facts:
    def __init__(self, **values: Value) -> None:
        self.values = values

    def value(self, name: str) -> Value:
        return self.values.get(name)


TRI = [True, False, None]


@pytest.mark.parametrize(("a", "b"), list(itertools.product(TRI, TRI)))
def test_all_and_any_follow_kleene_truth_tables(a: Value, b: Value) -> None:
    facts = Facts(a=a, b=b)
    conj, _ = evaluate(parse({"all": ["a", "b"]}), facts)
    disj, _ = evaluate(parse({"any": ["a", "b"]}), facts)
    expected_and = False if False in (a, b) else (True if a is True and b is True else None)
    expected_or = True if True in (a, b) else (False if a is False and b is False else None)
    assert conj is expected_and
    assert disj is expected_or


def test_unknown_result_names_only_the_facts_that_could_settle_it() -> None:
    cond = parse({"all": ["a", {"any": ["b", "c"]}, {"not": "d"}]})
    value, unknown = evaluate(cond, Facts(a=True, b=None, c=False, d=None))
    assert value is None
    assert unknown == {"b", "d"}
    value, unknown = evaluate(cond, Facts(a=False, b=None, c=None, d=None))
    assert value is False
    assert unknown == frozenset()


def test_comparisons_and_unknown_numbers() -> None:
    assert evaluate(parse({"fact": "n", "ge": 2}), Facts(n=2))[0] is True
    assert evaluate(parse({"fact": "n", "lt": 30}), Facts(n=30.0))[0] is False
    assert evaluate(parse({"fact": "r", "in": ["NL", "BE"]}), Facts(r="BE"))[0] is True
    value, unknown = evaluate(parse({"fact": "n", "eq": 1}), Facts())
    assert value is None and unknown == {"n"}


def test_comparing_incompatible_types_is_false_not_an_error() -> None:
    assert evaluate(parse({"fact": "r", "lt": 3}), Facts(r="NL"))[0] is False


@pytest.mark.parametrize(
    "raw",
    [{"all": []}, {"any": "a"}, {"fact": "n", "between": 2}, {"not": "a", "all": ["b"]}, 3, None],
)
def test_malformed_conditions_are_rejected(raw: object) -> None:
    with pytest.raises(ConditionError):
        parse(raw)


def test_describe_and_fact_names() -> None:
    cond = parse({"all": ["a", {"not": {"fact": "n", "ge": 2}}]})
    assert describe(cond) == "(a and not n ≥ 2)"
    assert sorted(fact_names(cond)) == ["a", "n"]


tri = st.sampled_from(TRI)


@given(a=tri, b=tri, c=tri)
def test_knowing_more_never_flips_a_result(a: Value, b: Value, c: Value) -> None:
    """Monotonicity: replacing unknowns by values can only settle, never contradict."""
    cond = parse({"any": [{"all": ["a", {"not": "b"}]}, "c"]})
    partial, _ = evaluate(cond, Facts(a=a, b=b, c=c))
    for filled in itertools.product([True, False], repeat=3):
        full = dict(zip("abc", filled, strict=True))
        if all(v is None or v == full[k] for k, v in {"a": a, "b": b, "c": c}.items()):
            complete, _ = evaluate(cond, Facts(**full))
            assert partial is None or partial == complete


def test_residual_keeps_only_what_is_unknown() -> None:
    from mmpath.engine.conditions import Const, describe, residual

    facts = Facts(a=True, b=None, c=False, n=3)
    assert residual(parse({"all": ["a", "b"]}), facts) == parse("b")
    assert residual(parse({"any": ["c", "b", {"not": "b"}]}), facts) == parse(
        {"any": ["b", {"not": "b"}]}
    )
    assert residual(parse({"all": ["a", {"fact": "n", "ge": 2}]}), facts) == Const(True)
    assert residual(parse({"any": ["a", "b"]}), facts) == Const(True)
    assert residual(parse({"all": ["c", "b"]}), facts) == Const(False)
    assert describe(residual(parse({"all": ["a", {"not": "b"}]}), facts)) == "not b"
