"""The condition language of guideline packs, evaluated with Kleene (three-valued) logic.

A condition is written in YAML as one of:

- ``fact_name`` — a boolean fact is true;
- ``{all: [c, ...]}``, ``{any: [c, ...]}``, ``{not: c}``;
- ``{fact: name, eq|ne|lt|le|gt|ge: value}`` or ``{fact: name, in: [values]}``;
- ``true`` / ``false``.

Evaluation gives ``True``, ``False`` or ``None`` (unknown) and, when unknown, the facts
whose being known could settle it (Kleene: a false conjunct or a true disjunct settles
the whole, so facts in other branches are then irrelevant).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

if TYPE_CHECKING:  # no import at run time: mmpath.assess imports this module (definitions)
    from mmpath.assess.fact import Value

Scalar: TypeAlias = bool | int | float | str
Operand: TypeAlias = Scalar | tuple[Scalar, ...]
"""What a comparison compares a fact with: one value, or a tuple of values for ``in``."""
Loc: TypeAlias = tuple[str | int, ...]

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "in": lambda value, options: value in options,
}
SYMBOLS = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "in"}


class Facts(Protocol):
    def value(self, name: str) -> Value: ...


@dataclass(frozen=True, slots=True)
class Const:
    value: bool


@dataclass(frozen=True, slots=True)
class IsTrue:
    fact: str


@dataclass(frozen=True, slots=True)
class Compare:
    fact: str
    op: str
    operand: Operand


@dataclass(frozen=True, slots=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Condition


Condition: TypeAlias = Const | IsTrue | Compare | All | AnyOf | Not
Outcome: TypeAlias = tuple[bool | None, frozenset[str]]
NOTHING: frozenset[str] = frozenset()


class ConditionError(ValueError):
    """A condition is not well formed; ``loc`` is where inside the condition."""

    def __init__(self, message: str, loc: Loc = ()) -> None:
        self.loc = loc
        super().__init__(message)


def _where(where: str, loc: Loc) -> str:
    return where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)


def parse(raw: object, where: str = "when") -> Condition:
    """Parse the YAML form of a condition; errors name the path inside the pack."""
    return _parse(raw, where, ())


def _is_scalar(value: object) -> bool:
    return isinstance(value, bool | int | float | str)


def _parse(raw: object, where: str, loc: Loc) -> Condition:
    def fail(message: str, at: Loc = ()) -> ConditionError:
        return ConditionError(f"{_where(where, (*loc, *at))}: {message}", (*loc, *at))

    if isinstance(raw, bool):
        return Const(raw)
    if isinstance(raw, str):
        return IsTrue(raw)
    if not isinstance(raw, dict):
        raise fail(f"expected a fact name or a mapping, got {raw!r}")
    keys = set(raw)
    if keys == {"all"} or keys == {"any"}:
        (key,) = keys
        items = raw[key]
        if not isinstance(items, list) or not items:
            raise fail("expected a non-empty list", (key,))
        parsed = tuple(_parse(item, where, (*loc, key, i)) for i, item in enumerate(items))
        return All(parsed) if key == "all" else AnyOf(parsed)
    if keys == {"not"}:
        return Not(_parse(raw["not"], where, (*loc, "not")))
    ops = keys - {"fact"}
    if "fact" in keys and len(ops) == 1 and next(iter(ops)) in COMPARISONS:
        (op,) = ops
        if not isinstance(raw["fact"], str):
            raise fail("expected a fact name", ("fact",))
        operand = raw[op]
        if op == "in":
            if not isinstance(operand, list) or not all(_is_scalar(v) for v in operand):
                raise fail("expected a list of values", (op,))
            return Compare(raw["fact"], op, tuple(operand))
        if not _is_scalar(operand):
            raise fail(f"expected a number, text or true/false, got {operand!r}", (op,))
        return Compare(raw["fact"], op, operand)
    raise fail(
        f"expected one of all/any/not or fact + one of {'/'.join(COMPARISONS)}, "
        f"got keys {sorted(map(str, keys))}"
    )


def to_yaml(condition: Condition) -> bool | str | dict[str, object]:
    """The YAML (JSON) form of a parsed condition: ``parse(to_yaml(c)) == c``."""
    if isinstance(condition, Const):
        return condition.value
    if isinstance(condition, IsTrue):
        return condition.fact
    if isinstance(condition, Compare):
        operand = (
            list(condition.operand) if isinstance(condition.operand, tuple) else condition.operand
        )
        return {"fact": condition.fact, condition.op: operand}
    if isinstance(condition, Not):
        return {"not": to_yaml(condition.item)}
    key = "all" if isinstance(condition, All) else "any"
    return {key: [to_yaml(item) for item in condition.items]}


def evaluate(condition: Condition, facts: Facts) -> Outcome:
    """Kleene evaluation; the set lists unknown facts that would settle an unknown result."""
    # dispatch on the exact node type, commonest first: this runs ~100 times per patient
    if type(condition) is IsTrue:
        value = facts.value(condition.fact)
        if value is None:
            return None, frozenset((condition.fact,))
        return bool(value), NOTHING
    if type(condition) is All or type(condition) is AnyOf:
        settle = type(condition) is AnyOf
        unknown: frozenset[str] | None = None  # None: no item unknown so far
        for item in condition.items:
            value, missing = evaluate(item, facts)
            if value is settle:
                return settle, NOTHING
            if value is None:
                unknown = missing if unknown is None else unknown | missing
        return (not settle, NOTHING) if unknown is None else (None, unknown)
    if type(condition) is Not:
        value, inner = evaluate(condition.item, facts)
        return (None if value is None else not value), inner
    if type(condition) is Compare:
        value = facts.value(condition.fact)
        if value is None:
            return None, frozenset((condition.fact,))
        try:
            return COMPARISONS[condition.op](value, condition.operand), NOTHING
        except TypeError:
            return False, NOTHING
    if type(condition) is Const:
        return condition.value, NOTHING
    raise TypeError(f"not a condition: {condition!r}")


def fact_names(condition: Condition) -> Iterator[str]:
    if isinstance(condition, IsTrue | Compare):
        yield condition.fact
    elif isinstance(condition, All | AnyOf):
        for item in condition.items:
            yield from fact_names(item)
    elif isinstance(condition, Not):
        yield from fact_names(condition.item)


def describe(condition: Condition, label: Callable[[str], str] = str) -> str:
    """A readable rendering, e.g. ``lenalidomide_refractory and not daratumumab_refractory``;
    ``label`` turns a fact name into the words shown (default: the name itself)."""
    if isinstance(condition, Const):
        return "always" if condition.value else "never"
    if isinstance(condition, IsTrue):
        return label(condition.fact)
    if isinstance(condition, Compare):
        operand = condition.operand
        shown = "{" + ", ".join(map(str, operand)) + "}" if isinstance(operand, tuple) else operand
        return f"{label(condition.fact)} {SYMBOLS[condition.op]} {shown}"
    if isinstance(condition, Not):
        return f"not {describe(condition.item, label)}"
    joiner = " and " if isinstance(condition, All) else " or "
    inner = joiner.join(describe(i, label) for i in condition.items)
    return inner if len(condition.items) == 1 else f"({inner})"


def residual(condition: Condition, facts: Facts) -> Condition:
    """``condition`` with every known fact substituted and simplified (Kleene).

    What is left mentions only unknown facts: for an unknown condition it says what would
    have to hold (``residual`` of ``all: [relapsed, aggressive_disease]`` for a relapsed
    patient is ``aggressive_disease``); a known condition reduces to a constant.
    """
    if type(condition) is IsTrue or type(condition) is Compare:
        value, _ = evaluate(condition, facts)
        return condition if value is None else Const(value)
    if type(condition) is Not:
        inner = residual(condition.item, facts)
        return Const(not inner.value) if type(inner) is Const else Not(inner)
    if type(condition) is All or type(condition) is AnyOf:
        settle = type(condition) is AnyOf
        kept: list[Condition] = []
        for item in condition.items:
            reduced = residual(item, facts)
            if type(reduced) is Const:
                if reduced.value is settle:
                    return Const(settle)
                continue
            if reduced not in kept:
                kept.append(reduced)
        if not kept:
            return Const(not settle)
        if len(kept) == 1:
            return kept[0]
        return AnyOf(tuple(kept)) if settle else All(tuple(kept))
    return condition


Compiled: TypeAlias = Callable[[Facts], Outcome]
"""A condition compiled to a function (``engine.codegen``): ``compiled(facts)`` equals
``evaluate(c, facts)``."""
