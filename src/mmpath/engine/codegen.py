"""Conditions compiled to Python: all of a pack's conditions as one generated function.

``compile_program(conditions)`` writes the source of one function, compiles it once with
:func:`compile` and returns it: ``program(facts)[i]`` equals ``conditions.evaluate(
conditions[i], facts)`` — the same Kleene value and the same "would settle it" set of
unknown facts — for every condition and every ``facts`` (``tests/
test_conditions_reference.py`` checks this against a reference evaluator on random
conditions and facts).

Why generate code: the evaluator needs every condition of a pack for every patient (and
shows every fact they read). A tree of closures pays a Python call and a tuple per node
and reads a fact once per mention; the program reads each fact once into a local, then
combines the values inline, leaving a condition's block as soon as Kleene logic settles it
(a false conjunct, a true disjunct). A nested ``all``/``any`` is computed just before
the condition that uses it.

Safety: the generated source contains only identifiers this module makes (``a0``,
``g3``, ``n3``, ``k1``, ...), Python operators from a fixed table, ``None`` and
``True``. Fact names, operands and the outcome tuples are passed in the function's
namespace, never written into the source, so a pack from anywhere cannot inject code.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Sequence
from importlib.util import MAGIC_NUMBER
from types import CodeType
from typing import TYPE_CHECKING, Any, TypeAlias

from mmpath.engine import pack_cache
from mmpath.engine.conditions import (
    NOTHING,
    All,
    AnyOf,
    Compare,
    Condition,
    Const,
    IsTrue,
    Not,
    Outcome,
)

if TYPE_CHECKING:
    from mmpath.engine.conditions import Compiled, Facts

_OPERATORS = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "in": "in"}
"""Every comparison is written inside ``try``: an ordering between types (a text and a
number) raises TypeError, and the engine's rule is that such a comparison is false
(``conditions.evaluate``); ``try`` costs nothing in CPython 3.11+ when nothing raises."""


class _Module:
    """The source being written and the constants it refers to: the body of one function
    for many conditions that reads every fact once into a local and leaves each
    condition's outcome in ``gN`` (a ``while True`` block with ``break`` stands in for an
    early return)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {"NOTHING": NOTHING}
        self._constants: dict[tuple[str, object], str] = {}
        self.outcomes = 0
        self.reads: dict[str, str] = {}
        """program form: fact name -> the local holding its value"""
        self.program: list[str] = []
        """program form: the statements after the reads"""

    def constant(self, prefix: str, value: object) -> str:
        """A namespace name bound to ``value`` (one name per distinct value)."""
        key = (prefix, (type(value), value))
        found = self._constants.get(key)
        if found is None:
            found = self._constants[key] = f"{prefix}{len(self._constants)}"
            self.names[found] = value
        return found

    def operand(self, value: object) -> str:
        """A namespace name for a comparison operand (never shared: ``1`` and ``True``
        inside tuples compare equal but are different operands)."""
        name = f"k{len(self.names)}"
        self.names[name] = value
        return name

    def _alone(self, fact: str) -> str:
        return self.constant("m", frozenset((fact,)))

    def _compare(self, condition: Compare, value: str, target: str, body: list[str]) -> None:
        """``target = value <op> operand`` with the engine's rule for mismatched types
        (``value`` is known, not None)."""
        operator = _OPERATORS[condition.op]
        operand = self.operand(condition.operand)
        body += [
            "try:",
            f"    {target} = {value} {operator} {operand}",
            "except TypeError:",
            f"    {target} = False",
        ]

    def outcome(self, condition: Condition) -> str:
        """Write the statements leaving ``condition``'s outcome in a local; return it."""
        name = f"g{self.outcomes}"
        self.outcomes += 1
        body: list[str] = []
        if isinstance(condition, All | AnyOf):
            self._group(condition, body, name + " = {}\nbreak", self._local, self._earlier)
            self.program.append("while True:")
            self.program += ["    " + line for line in body]
        else:
            self._single(condition, body, name + " = {}", self._local, self._earlier)
            self.program += body
        return name

    def _local(self, fact: str, body: list[str]) -> str:
        found = self.reads.get(fact)
        if found is None:
            found = self.reads[fact] = f"a{len(self.reads)}"
        return found

    def _earlier(self, group: All | AnyOf, body: list[str]) -> str:
        return self.outcome(group)  # written before the statements of the group using it

    def _single(
        self, condition: Condition, body: list[str], finish: str, read: Reader, nested: Nested
    ) -> None:
        """Statements for a condition that is not ``all``/``any``."""
        negate = False
        while isinstance(condition, Not):
            negate = not negate
            condition = condition.item
        if isinstance(condition, Const):
            value = condition.value != negate
            _finish(body, finish, self.constant("o", (value, NOTHING)))
            return
        if isinstance(condition, All | AnyOf):
            pair = nested(condition, body)
            body.append(f"v, u = {pair}")
            _finish(body, finish, "(None if v is None else not v), u" if negate else "v, u")
            return
        yes = self.constant("o", (True, NOTHING))
        no = self.constant("o", (False, NOTHING))
        if negate:
            yes, no = no, yes
        v = read(condition.fact, body)
        unknown = f"(None, {self._alone(condition.fact)})"
        if isinstance(condition, IsTrue):
            _finish(body, finish, f"{unknown} if {v} is None else {yes} if {v} else {no}")
            return
        # a comparison of two values of the record's types (bool, number, text) is a bool
        body.append(f"if {v} is None:")
        _finish(body, finish, unknown, indent="    ")
        body.append("else:")
        compared: list[str] = []
        self._compare(condition, v, "r", compared)
        body += ["    " + line for line in compared]
        _finish(body, finish, f"{yes} if r else {no}", indent="    ")

    def _group(
        self, condition: All | AnyOf, body: list[str], finish: str, read: Reader, nested: Nested
    ) -> None:
        """Statements for ``all``/``any``: items inline, finished early where one settles it."""
        settle = isinstance(condition, AnyOf)
        settled = self.constant("o", (settle, NOTHING))
        unsettled = self.constant("o", (not settle, NOTHING))
        body.append("u = None")
        for item in condition.items:
            negate = False
            while isinstance(item, Not):
                negate = not negate
                item = item.item
            if isinstance(item, Const):
                if (item.value != negate) is settle:
                    _finish(body, finish, settled)
                    return
                continue
            if isinstance(item, All | AnyOf):
                pair = nested(item, body)
                body.append(f"v, w = {pair}")
                # a negated group settles when it is the opposite of ``settle``
                body.append(f"if v is {not settle if negate else settle}:")
                _finish(body, finish, settled, indent="    ")
                body += ["if v is None:", "    u = w if u is None else u | w"]
                continue
            assert isinstance(item, IsTrue | Compare)
            alone = self._alone(item.fact)
            v = read(item.fact, body)
            body += [f"if {v} is None:", f"    u = {alone} if u is None else u | {alone}"]
            if isinstance(item, IsTrue):
                # bool(v) settles when it equals ``settle`` (negated: when it does not)
                test = v if settle != negate else f"not {v}"
                body.append(f"elif {test}:")
                _finish(body, finish, settled, indent="    ")
                continue
            body.append("else:")
            compared: list[str] = []
            self._compare(item, v, "r", compared)
            body += ["    " + line for line in compared]
            # a comparison result is a bool; negated, it settles when it is not ``settle``
            body.append(f"    if r is {not settle if negate else settle}:")
            _finish(body, finish, settled, indent="        ")
        _finish(body, finish, f"{unsettled} if u is None else (None, u)")


Reader: TypeAlias = Callable[[str, list[str]], str]
"""Where a fact's value is: writes any statement needed, returns the expression."""
Nested: TypeAlias = Callable[[All | AnyOf, list[str]], str]
"""Where a nested group's outcome is: writes any statement needed, returns the expression."""


def _finish(body: list[str], finish: str, value: str, indent: str = "") -> None:
    body += [indent + line for line in finish.format(value).split("\n")]


Program: TypeAlias = Callable[["Facts"], tuple[Outcome, ...]]
"""Every condition of a list at once: ``program(facts)[i] == evaluate(conditions[i], facts)``."""


def compile_program(conditions: Sequence[Condition], label: str = "pack") -> Program:
    """One generated function that reads each fact the conditions name once and returns
    every condition's outcome (same order as ``conditions``)."""
    module = _Module()
    results = [module.outcome(condition) for condition in conditions]
    lines = ["def program(facts):", "    value = facts.value"]
    lines += [
        f"    {local} = value({module.constant('n', fact)})" for fact, local in module.reads.items()
    ]
    lines += ["    " + line for line in module.program]
    lines.append("    return (" + "".join(f"{r}, " for r in results) + ")")
    namespace = dict(module.names)
    exec(_code("\n".join(lines) + "\n", f"<mmpath program: {label}>"), namespace)
    program: Program = namespace["program"]
    return program


def _code(source: str, label: str) -> CodeType:
    """``compile(source)``, kept in the compiled-pack cache folder (``engine.pack_cache``)
    under the digest of the source and the interpreter's bytecode version: compiling a
    pack's program takes 5–10 ms, loading it about 0.2 ms, and a short-lived process
    (``mmpath recommend``) would otherwise pay the compile every time. Any problem with the
    cache falls back to compiling, silently."""
    digest = hashlib.sha256(MAGIC_NUMBER + label.encode() + b"\0" + source.encode())
    key = f"{digest.hexdigest()}.marshal"
    data = pack_cache.read_entry("code", key)
    if data is not None:
        try:
            code = marshal.loads(data)
            if isinstance(code, CodeType):
                return code
        except Exception:
            pass
    code = compile(source, label, "exec")
    if pack_cache.folder() is not None:
        pack_cache.write_entry("code", key, marshal.dumps(code))
    return code


def compile_condition(condition: Condition) -> Compiled:
    """One condition compiled on its own: ``compiled(facts) == evaluate(condition, facts)``."""
    program = compile_program([condition], "condition")

    def compiled(facts: Facts) -> Outcome:
        return program(facts)[0]

    return compiled
