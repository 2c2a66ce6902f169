"""``evaluate`` agrees with a plain reference reading of Kleene logic on random trees.

The reference is written for clarity, not speed (``evaluate`` dispatches on node types
for speed): a value is true, false or unknown (None); an unknown result lists the facts
that are unknown in the items that decide it (a false conjunct or a true disjunct settles
the whole, so when one is present nothing is listed).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mmpath.engine.codegen import compile_condition, compile_program
from mmpath.engine.conditions import (
    COMPARISONS,
    All,
    AnyOf,
    Compare,
    Condition,
    Const,
    IsTrue,
    Not,
    evaluate,
)

BOOLEANS = ("a", "b", "c", "d")


class Facts:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def value(self, name: str) -> Any:
        return self.values.get(name)


def reference(condition: Condition, facts: Facts) -> tuple[bool | None, frozenset[str]]:
    if isinstance(condition, Const):
        return condition.value, frozenset()
    if isinstance(condition, IsTrue | Compare):
        value = facts.value(condition.fact)
        if value is None:
            return None, frozenset({condition.fact})
        if isinstance(condition, IsTrue):
            return bool(value), frozenset()
        try:
            return COMPARISONS[condition.op](value, condition.operand), frozenset()
        except TypeError:
            return False, frozenset()
    if isinstance(condition, Not):
        value, unknown = reference(condition.item, facts)
        return (None if value is None else not value), unknown
    results = [reference(item, facts) for item in condition.items]
    settle = isinstance(condition, AnyOf)
    if any(value is settle for value, _ in results):
        # the first settling item stops evaluation, as in evaluate
        return settle, frozenset()
    unknown = [missing for value, missing in results if value is None]
    if unknown:
        return None, frozenset().union(*unknown)
    return not settle, frozenset()


leaves = st.one_of(
    st.sampled_from(BOOLEANS).map(IsTrue),
    st.builds(
        Compare,
        st.just("n"),
        st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]),
        st.integers(0, 3),
    ),
    st.builds(Compare, st.just("n"), st.just("in"), st.just((1, 3))),
    st.booleans().map(Const),
)
conditions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=1, max_size=4).map(lambda items: All(tuple(items))),
        st.lists(inner, min_size=1, max_size=4).map(lambda items: AnyOf(tuple(items))),
    ),
    max_leaves=12,
)
fact_values = st.fixed_dictionaries(
    {},
    optional={
        # a boolean fact is read by truth value (0 and 2 too, as ``bool`` reads them)
        **{name: st.sampled_from([True, False, None, 0, 2]) for name in BOOLEANS},
        "n": st.sampled_from([None, 0, 1, 2, 2.5, 3, "text"]),
    },
)


@settings(max_examples=500)
@given(conditions, fact_values)
def test_evaluate_matches_the_reference(condition: Condition, values: dict[str, Any]) -> None:
    facts = Facts(values)
    assert evaluate(condition, facts) == reference(condition, facts)


@settings(max_examples=500)
@given(conditions, fact_values)
def test_the_compiled_condition_matches_the_reference(
    condition: Condition, values: dict[str, Any]
) -> None:
    facts = Facts(values)
    assert compile_condition(condition)(facts) == reference(condition, facts)


def test_fact_names_and_operands_are_never_written_into_the_generated_source() -> None:
    """A pack from anywhere must not be able to inject code through a name or an operand."""
    hostile = "x'), __import__('os').system('false') or ('"
    condition = AnyOf((IsTrue(hostile), Compare(hostile, "eq", hostile), Not(IsTrue("a"))))
    check = compile_condition(condition)
    assert check(Facts({hostile: hostile})) == (True, frozenset())
    assert check(Facts({"a": True})) == (None, frozenset({hostile}))
    assert check(Facts({})) == (None, frozenset({hostile, "a"}))


@settings(max_examples=200)
@given(st.lists(conditions, min_size=1, max_size=8), fact_values)
def test_a_compiled_program_gives_every_condition_s_reference_outcome(
    items: list[Condition], values: dict[str, Any]
) -> None:
    facts = Facts(values)
    assert list(compile_program(items)(facts)) == [reference(c, facts) for c in items]


def test_a_program_reads_each_fact_once() -> None:
    reads: list[str] = []

    class Counting(Facts):
        def value(self, name: str) -> Any:
            reads.append(name)
            return super().value(name)

    items = [IsTrue("a"), All((IsTrue("a"), Not(IsTrue("b")))), Compare("n", "lt", 2)]
    assert compile_program(items)(Counting({"a": True, "n": 1})) == (
        (True, frozenset()),
        (None, frozenset({"b"})),
        (True, frozenset()),
    )
    assert sorted(reads) == ["a", "b", "n"]
