"""Facts: named, documented, three-valued statements about a patient at ``as_of``.

A fact's value is ``True``, ``False``, ``None`` (unknown: the record lacks what it
needs) or, for graded facts, a number or a string. Each fact carries a human reason
(``why``), the definition it applies with its source, the record fields it read, and
warnings: inconsistencies in the record that bear on it (e.g. a progression the lab
series shows but the record's progressions do not list).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from mmpath.assess.assessment import Assessment

Value: TypeAlias = bool | int | float | str | None


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    value: Value
    why: str
    definition: str
    needs: tuple[str, ...] = ()
    asserted: bool = False
    warnings: tuple[str, ...] = ()


Derivation: TypeAlias = Callable[["Assessment"], tuple[Value, str]]
Warnings: TypeAlias = Callable[["Assessment"], list[str]]


@dataclass(frozen=True, slots=True)
class FactSpec:
    """How a fact is derived: the function, its definition, the record fields it needs."""

    name: str
    derive: Derivation
    definition: str
    needs: tuple[str, ...]
    kind: str = "boolean"  # boolean | number | string
    warnings: Warnings | None = None
    library: str | None = None
    """the library of definitions (YAML) that defines the fact; None: defined in Python"""


FACTS: dict[str, FactSpec] = {}


def fact(
    name: str,
    *,
    definition: str,
    needs: tuple[str, ...],
    kind: str = "boolean",
    warnings: Warnings | None = None,
) -> Callable[[Derivation], Derivation]:
    """Register ``derive`` as the derivation of fact ``name`` (``warnings``: what in the
    record bears on the fact but does not add up)."""

    def register(derive: Derivation) -> Derivation:
        if name in FACTS:
            raise ValueError(f"fact {name!r} is registered twice")
        FACTS[name] = FactSpec(name, derive, definition, needs, kind, warnings)
        return derive

    return register


def register(spec: FactSpec) -> None:
    """Register a fact built programmatically (e.g. one per drug)."""
    if spec.name in FACTS:
        raise ValueError(f"fact {spec.name!r} is registered twice")
    FACTS[spec.name] = spec


def kleene_and(values: list[Value]) -> bool | None:
    if any(v is False for v in values):
        return False
    if all(v is True for v in values):
        return True
    return None


def kleene_or(values: list[Value]) -> bool | None:
    if any(v is True for v in values):
        return True
    if all(v is False for v in values):
        return False
    return None


def kleene_not(value: Value) -> bool | None:
    return None if value is None else not value


def in_words(value: object) -> str:
    """A fact value inside a sentence a clinician reads (a reason, a note, the summary):
    'yes' / 'no' / 'unknown', never Python's True / False / None; other values as they are."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
