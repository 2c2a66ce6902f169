"""Whether rules that each only *may* apply together apply whatever the unknown turns out to be.

Kleene logic judges each rule alone. With frailty unknown, jp-rrmm's "first relapse, not
frail: triplet preferred" and "first relapse, frail: triplet as the alternative" are each
unknown, so a triplet given by both would be shown "only if either not frail or frail"
although it is given in every case. mmpath therefore asks, of an option given by several
rules, what holds in every *completion* of the unknown facts (supervaluation: van
Fraassen 1966): the option applies now when some rule gives it in every completion, at
the worst of the tiers the completions give (the better tier stays as ``tier_if``, with
its condition in words).

Each unknown leaf of the conditions (a boolean fact, or one comparison of a fact) is
taken as an independent true/false. That includes combinations that cannot occur (say
``imwg_frailty_score = 1`` together with ``frail``), so what holds in every combination
holds in every real case (sound); a case that only the facts' relations would settle
(``score = 1`` or ``score ≥ 2`` with the score unknown) stays conditional, as before.
Beyond :data:`MAX_UNKNOWN` unknown leaves nothing is concluded.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import TypeAlias

from mmpath.engine.conditions import All, AnyOf, Compare, Condition, Const, IsTrue, Not

Leaf: TypeAlias = IsTrue | Compare
LeafValue: TypeAlias = Callable[[Leaf], bool | None]
"""A leaf's value for this patient: ``conditions.evaluate``'s, ``None`` when unknown."""

MAX_UNKNOWN = 8
"""At most 2**8 completions are tried (a pack's option conditions read far fewer)."""


def completions(conditions: Sequence[Condition], leaf: LeafValue) -> list[tuple[bool, ...]] | None:
    """For every completion of the unknown leaves of ``conditions``: which of them hold.

    ``None`` when more than :data:`MAX_UNKNOWN` leaves are unknown. Every leaf is asked
    once, in the order of the conditions (the cohort's projector logs these reads).
    """
    known: dict[Leaf, bool] = {}
    unknown: list[Leaf] = []
    for condition in conditions:
        for node in _leaves(condition):
            if node in known or node in unknown:
                continue
            value = leaf(node)
            if value is None:
                unknown.append(node)
            else:
                known[node] = value
    if len(unknown) > MAX_UNKNOWN:
        return None
    rows = []
    for bits in itertools.product((True, False), repeat=len(unknown)):
        values = known | dict(zip(unknown, bits, strict=True))
        rows.append(tuple(_holds(condition, values) for condition in conditions))
    return rows


def _leaves(condition: Condition) -> Iterator[Leaf]:
    if type(condition) is IsTrue or type(condition) is Compare:
        yield condition
    elif type(condition) is All or type(condition) is AnyOf:
        for item in condition.items:
            yield from _leaves(item)
    elif type(condition) is Not:
        yield from _leaves(condition.item)


def _holds(condition: Condition, values: dict[Leaf, bool]) -> bool:
    if type(condition) is IsTrue or type(condition) is Compare:
        return values[condition]
    if type(condition) is All:
        return all(_holds(item, values) for item in condition.items)
    if type(condition) is AnyOf:
        return any(_holds(item, values) for item in condition.items)
    if type(condition) is Not:
        return not _holds(condition.item, values)
    assert type(condition) is Const
    return condition.value
