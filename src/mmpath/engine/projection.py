"""What cohort classification reads of a pack's result, computed lean and memoised exactly.

The cohort's classification (``cohort/classify.py``) and its rows read only part of a
recommendation-v1 ``ResultOut``: ``applicable``, ``applicability``, whether there is a
``pathway``, the options' ``id, kind, drugs, tier, status, requires, rules, phase`` in
their order, the exclusions' ``id, drugs, reason`` in their order, and the missing facts
with what they affect. That part is a :class:`Projection`.

:class:`Projector` computes the projection of one pack for one patient without
rendering anything else (no caution or dose-note texts, no sources, no ``why`` texts
except a constraint exclusion's, no fact outputs, no pathway steps, no empty-branch
explanation, no ``applies_if`` wording). It follows ``engine.evaluate._Run`` step by
step (reusing its ``_Option``, ``_Missing`` and ``_and``), keeping only what changes the
projection, in two parts:

- :meth:`Projector.project` → :class:`Partial`: applicability, rules, option conditions
  and exclusions, contraindications, the pack's constraints, refractoriness ranking,
  intolerance ranking, the order of the options, and the first additions to ``missing``
  (applicability, conditional options' requirements);
- :meth:`Projector.finish` → :class:`Projection`: the rest of ``missing`` (every
  condition of the cautions, dose notes, product-label cautions of the options shown and
  of the pack's notes, in ``_Run``'s order) and the reasons of constraint exclusions
  (they quote the patient's ``why`` texts).

tests/cohort/test_projection.py compares the projection with :func:`project_result` of
the full evaluator's result for every pack at every decision of synthetic cohorts and for
every vignette and review-case record. The projector is a second implementation of that
logic: a change to ``engine/evaluate.py`` that changes what classification reads must be
made here too (those tests fail until it is, as far as their records reach).

The projector sees the patient only through :class:`Reads`, each read a value ``Read``:

- ``("t", fact)`` — an ``IsTrue`` leaf: ``None`` (unknown) or ``bool(value)``;
- ``("c", fact, op, repr(operand), operand)`` — a ``Compare`` leaf: ``None``, or the
  comparison's result (``False`` when the types do not compare), exactly as
  ``conditions.evaluate``;
- ``("r", drug)`` — the value (not the reason) of ``refractoriness.target_refractory``;
- ``("x", drug)`` — ``Assessment.contraindicated`` (the reason, or None);
- ``("i", drug)`` — ``Assessment.intolerant``;
- ``("w", fact)`` — a fact's ``why`` (only :meth:`Projector.finish`, for a constraint
  exclusion's reason).

Each read is a function of the patient alone (facts and drug statements are memoised per
assessment), so a repeated read is answered from :attr:`Reads.answers` and logged once.
Everything else the projector uses is fixed for the process: the pack, its compiled form,
the catalogue, mmpath's safety texts.

**The memo** (:class:`ProjectionMemo`, one per pack and process) is a decision trie
(:class:`_Trie`) of the reads of :meth:`Projector.project`. A node holds the read the
projector makes next; its edges are keyed by the read's answer (its type and value, so
``True`` and ``1`` differ); a leaf holds the :class:`Partial`. On a patient the memo
walks from the root performing each node's read on the patient and following the
answer's edge: reaching a leaf, that partial is the patient's; a missing edge is a miss,
and the projector runs on fresh reads and its log of reads is added as a path.
:meth:`Projector.finish` then runs on the patient either way (it is not memoised: its
reads are the comorbidities and kidney function, whose combinations made a second trie
miss more than it hit).

**Why this is exact.** :meth:`Projector.project` is a deterministic function of the
answers to its reads: it keeps no state between runs and reads nothing else of the
patient. By induction over the reads, a run on a patient whose answers equal those along
a path makes the same reads in the same order and returns that path's partial. No key is
listed by hand: what is read is what keys, so a read added to the evaluator later keys
the memo too. :meth:`_Trie.add` checks that every path agrees with the trie (a node's
read is the run's read, no path ends inside another), so a projector that was not a
function of its reads would fail loudly rather than answer wrongly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from mmpath.assess import FACTS, Assessment
from mmpath.assess.fact import Fact, Value
from mmpath.assess.refractoriness import target_refractory
from mmpath.catalogue import Catalogue
from mmpath.engine.compiled import CompiledPack, compiled
from mmpath.engine.conditions import (
    COMPARISONS,
    NOTHING,
    All,
    AnyOf,
    Compare,
    Condition,
    Const,
    IsTrue,
    Not,
    Outcome,
    fact_names,
)
from mmpath.engine.definitions import Scoped
from mmpath.engine.evaluate import _and, _Missing, _Option, if_not_refractory
from mmpath.engine.pack import TIER_RANK, Constraint, OptionSpec, Pack, Target
from mmpath.recommendation import ResultOut

# -- the projection ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OptionView:
    """An option as classification reads it (``OptionOut``'s fields of the same names)."""

    id: str
    kind: str
    drugs: tuple[str, ...] | None
    tier: str
    status: str
    requires: tuple[str, ...]
    rules: tuple[str, ...]
    phase: str | None


@dataclass(frozen=True, slots=True)
class ExcludedView:
    """An exclusion as classification reads it (``ExcludedOut``'s id, drugs, reason)."""

    id: str
    drugs: tuple[str, ...] | None
    reason: str


@dataclass(frozen=True, slots=True)
class MissingView:
    """A missing fact and what it affects (``MissingOut``'s fact and affects)."""

    fact: str
    affects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _ConstraintExclusion:
    """An option excluded by a pack constraint: the reason names the patient's facts."""

    id: str
    drugs: tuple[str, ...] | None
    constraint: Constraint
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Projection:
    """The part of a pack's ``ResultOut`` that cohort classification and rows read."""

    applicable: bool | None
    applicability: str
    pathway: tuple[()] | None
    """``()`` for a pathway pack (the result has steps), ``None`` otherwise; only whether
    it is ``None`` is read"""
    options: tuple[OptionView, ...]
    excluded: tuple[ExcludedView, ...]
    missing: tuple[MissingView, ...]


@dataclass(frozen=True, slots=True)
class _Shown:
    """An option of the result, for what its rendering adds to ``missing``."""

    plan: tuple[tuple[Callable[[Reads], Outcome], str, bool], ...]
    """``Projector._render_plan`` of the option"""


@dataclass(frozen=True, slots=True)
class Partial:
    """What the memo keeps (a trie leaf): the projection's options and exclusions and the
    first part of ``missing`` — applicability and the conditional options' requirements,
    as ``(facts, what)`` additions in order. :meth:`Projector.finish` completes it for a
    patient: the constraint exclusions' reasons (they quote the patient's ``why`` texts)
    and the rest of ``missing`` (the conditions of the cautions, dose notes, product-label
    cautions and notes, evaluated on the patient's reads), as ``_Run`` does."""

    applicable: bool | None
    unknown: frozenset[str]
    """the facts that leave applicability unknown"""
    options: tuple[OptionView, ...]
    shown: tuple[_Shown, ...]
    excluded: tuple[ExcludedView | _ConstraintExclusion, ...]
    adds: tuple[tuple[frozenset[str], str], ...]


def project_result(result: ResultOut) -> Projection:
    """The projection of a full result (what the lean path must equal; tests)."""
    return Projection(
        applicable=result.applicable,
        applicability=result.applicability,
        pathway=None if result.pathway is None else (),
        options=tuple(
            OptionView(
                o.id,
                o.kind,
                None if o.drugs is None else tuple(o.drugs),
                o.tier,
                o.status,
                tuple(o.requires),
                tuple(o.rules),
                o.phase,
            )
            for o in result.options
        ),
        excluded=tuple(
            ExcludedView(e.id, None if e.drugs is None else tuple(e.drugs), e.reason)
            for e in result.excluded
        ),
        missing=tuple(MissingView(m.fact, tuple(m.affects)) for m in result.missing),
    )


# -- the assessment ------------------------------------------------------------------------


class ValueAssessment(Assessment):
    """An :class:`~mmpath.assess.Assessment` whose :meth:`value` does not compute the
    fact's ``warnings`` (record inconsistencies shown beside a fact, e.g. the lab
    progressions the record does not list): the value is the derivation's value, the same
    as ``get(name).value``. A later :meth:`get` reuses the derivation and adds the
    warnings, so ``get`` gives the same ``Fact`` as on a plain assessment. Used for the
    projections only (``Fact.warnings`` is in no projection); the recommendation path
    keeps the plain assessment."""

    def __init__(self, record: Any, *, today: dt.date | None = None) -> None:
        super().__init__(record, today=today)
        self._derived: dict[str, tuple[Value, str]] = {}

    def value(self, name: str) -> Value:
        found = self._facts.get(name)
        if found is not None:
            return found.value
        derived = self._derived.get(name)
        if derived is not None:
            return derived[0]
        if (self.record.asserted or {}).get(name) is not None:
            return self.get(name).value
        derived = self._derived[name] = FACTS[name].derive(self)
        return derived[0]

    def get(self, name: str) -> Fact:
        found = self._facts.get(name)
        if found is not None:
            return found
        derived = self._derived.get(name)
        if derived is None or (self.record.asserted or {}).get(name) is not None:
            return super().get(name)
        spec = FACTS[name]
        warnings = tuple(spec.warnings(self)) if spec.warnings is not None else ()
        value, why = derived
        found = Fact(name, value, why, spec.definition, spec.needs, warnings=warnings)
        self._facts[name] = found
        return found


# -- reads -----------------------------------------------------------------------------------

Read = tuple[Any, ...]
"""A read as data: ("t", fact) an ``IsTrue`` leaf; ("c", fact, op, repr(operand), operand) a
``Compare`` leaf (the ``repr`` keeps ``1``, ``1.0`` and ``True`` apart); ("r", drug)
refractoriness by target; ("x", drug) contraindicated; ("i", drug) intolerant."""


_UNREAD = object()


class Reads:
    """The patient as the projector may see it: the five reads of the module docstring.

    Every read is a function of the patient alone (facts and drug statements are
    memoised per assessment), so its answer is kept: a read repeated in one projection
    (the same fact in several rules, the same drug in several options) is answered from
    :attr:`answers` and appears once, at its first use, in :attr:`log`."""

    __slots__ = ("answers", "facts", "log")

    def __init__(self, facts: Any) -> None:
        self.facts = facts
        """the pack's view of the assessment (``Scoped`` when the pack defines facts)"""
        self.answers: dict[Read, Any] = {}
        self.log: list[tuple[Read, Any]] = []
        """(read, answer) of each distinct read, in the order of first use"""

    def read(self, key: Read) -> Any:
        answer = self.answers.get(key, _UNREAD)
        if answer is _UNREAD:
            answer = self.answers[key] = self._perform(key)
            self.log.append((key, answer))
        return answer

    def _perform(self, key: Read) -> Any:
        kind = key[0]
        if kind == "t":
            value = self.facts.value(key[1])
            return None if value is None else bool(value)
        if kind == "c":
            value = self.facts.value(key[1])
            if value is None:
                return None
            try:
                return COMPARISONS[key[2]](value, key[4])
            except TypeError:
                return False
        if kind == "r":
            return target_refractory(self.facts, key[1])[0]
        if kind == "x":
            found: str | None = self.facts.contraindicated(key[1])
            return found
        if kind == "i":
            return bool(self.facts.intolerant(key[1]))
        raise ValueError(f"unknown read {kind!r}")

    def target_refractory(self, drug: str) -> Value:
        """The value of ``assess.refractoriness.target_refractory`` (not its reason)."""
        answer: Value = self.read(("r", drug))
        return answer

    def contraindicated(self, drug: str) -> str | None:
        """``Assessment.contraindicated``: the reason, or None."""
        answer: str | None = self.read(("x", drug))
        return answer

    def intolerant(self, drug: str) -> bool:
        """``Assessment.intolerant``."""
        answer: bool = self.read(("i", drug))
        return answer


Check = Callable[[Reads], Outcome]


def _compile(condition: Condition) -> Check:
    """``condition`` over :class:`Reads`: the same Kleene result and "would settle it" set
    as ``conditions.evaluate``, with each leaf one read."""
    if type(condition) is Const:
        constant: Outcome = (condition.value, NOTHING)
        return lambda reads: constant
    if type(condition) is IsTrue:
        truth: Read = ("t", condition.fact)
        alone = frozenset((condition.fact,))

        def is_true(reads: Reads) -> Outcome:
            value = reads.read(truth)
            return (None, alone) if value is None else (value, NOTHING)

        return is_true
    if type(condition) is Compare:
        operand = condition.operand
        comparison: Read = ("c", condition.fact, condition.op, repr(operand), operand)
        unknown = frozenset((condition.fact,))

        def compared(reads: Reads) -> Outcome:
            value = reads.read(comparison)
            return (None, unknown) if value is None else (value, NOTHING)

        return compared
    if type(condition) is Not:
        inner = _compile(condition.item)

        def negated(reads: Reads) -> Outcome:
            value, missing = inner(reads)
            return (None if value is None else not value), missing

        return negated
    if type(condition) is All or type(condition) is AnyOf:
        items = tuple(_compile(item) for item in condition.items)
        settle = type(condition) is AnyOf
        settled: Outcome = (settle, NOTHING)
        unsettled: Outcome = (not settle, NOTHING)

        def combined(reads: Reads) -> Outcome:
            unknown: frozenset[str] | None = None
            for item in items:
                value, missing = item(reads)
                if value is settle:
                    return settled
                if value is None:
                    unknown = missing if unknown is None else unknown | missing
            return unsettled if unknown is None else (None, unknown)

        return combined
    raise TypeError(f"not a condition: {condition!r}")


# -- the lean evaluation ---------------------------------------------------------------------


class Projector:
    """The projection of one pack for one patient (``_Run`` without the rendering).

    Holds only what is fixed for the process (the compiled pack, compiled conditions);
    every run's state is local to :meth:`project`."""

    def __init__(self, pack: CompiledPack) -> None:
        self.c = pack
        self.pack: Pack = pack.pack
        self.catalogue: Catalogue = pack.catalogue
        self._checks: dict[int, tuple[Condition, Check]] = {}
        self._plans: dict[tuple[int, frozenset[str]], tuple[OptionSpec, Plan]] = {}
        self.pathway: tuple[()] | None = () if self.pack.phases else None

    def check(self, condition: Condition) -> Check:
        found = self._checks.get(id(condition))
        if found is None or found[0] is not condition:
            found = self._checks[id(condition)] = (condition, _compile(condition))
        return found[1]

    def view(self, facts: Assessment) -> Any:
        """The pack's view of an assessment (as ``_Run.run``)."""
        return Scoped(facts, self.pack.scope) if self.pack.scope else facts

    def project(self, reads: Reads) -> Partial:
        """The part of the projection the memo keeps (``Partial``); its reads are all in
        ``reads.log`` when it returns (:meth:`finish` reads more)."""
        pack = self.pack
        applies = self.check(pack.applicability.condition)(reads)
        adds: list[tuple[frozenset[str], str]] = [(applies[1], "applicability")]
        options: dict[str, _Option] = {}
        excluded: dict[str, ExcludedView | _ConstraintExclusion] = {}
        if applies[0] is not False:
            self._collect(reads, applies, options, excluded)
        self._constrain(reads, options, excluded, adds)
        ordered = sorted(
            options.values(), key=lambda o: (TIER_RANK[o.tier], not o.recommended, o.order)
        )
        return Partial(
            applicable=applies[0],
            unknown=applies[1],
            options=tuple(
                OptionView(
                    o.id,
                    o.spec.kind,
                    tuple(o.drugs) if o.spec.kind == "regimen" else None,
                    o.tier,
                    "recommended" if o.recommended else "conditional",
                    tuple(sorted(o.requires)),
                    tuple(dict.fromkeys(c[0].id for c in o.contributions)),
                    o.spec.phase,
                )
                for o in ordered
            ),
            shown=tuple(
                _Shown(
                    self._render_plan(o.spec, frozenset(c[0].id for c in o.contributions), o.drugs)
                )
                for o in ordered
            ),
            excluded=tuple(excluded.values()),
            adds=tuple(adds),
        )

    def finish(self, partial: Partial, reads: Reads) -> Projection:
        """The projection for the patient of ``reads`` (see :class:`Partial`)."""
        missing = _Missing()
        for facts, what in partial.adds:
            missing.add(facts, what)
        outcomes: dict[int, Outcome] = {}  # a condition shared by options: checked once
        for shown in partial.shown:
            for check, what, only_unknown in shown.plan:
                found = outcomes.get(id(check))
                if found is None:
                    found = outcomes[id(check)] = check(reads)
                value, unknown = found
                if value is False or (only_unknown and value is not None):
                    continue
                missing.add(unknown, what)
        applies = (partial.applicable, partial.unknown)
        for note in self.pack.notes:
            if applies[0] is False:
                break
            value, unknown = _and(applies, self.check(note.condition)(reads))
            if value is False:
                continue
            missing.add(unknown, f"note:{note.id}")
        excluded = [
            item if isinstance(item, ExcludedView) else self._reason(item, reads)
            for item in partial.excluded
        ]
        return Projection(
            applicable=partial.applicable,
            applicability=self.pack.applicability.text,
            pathway=self.pathway,
            options=partial.options,
            excluded=tuple(excluded),
            missing=tuple(
                MissingView(name, tuple(affects))
                for name, affects in sorted(missing.affects.items())
            ),
        )

    def evaluate(self, reads: Reads) -> Projection:
        """The projection, computed (no memo)."""
        return self.finish(self.project(reads), reads)

    @staticmethod
    def _reason(item: _ConstraintExclusion, reads: Reads) -> ExcludedView:
        """A constraint exclusion's reason for this patient, worded as ``_Run._exclusion``."""
        here = "; ".join(reads.facts.get(name).why for name in item.names)
        return ExcludedView(item.id, item.drugs, f"{item.constraint.reason} (this patient: {here})")

    def _collect(
        self,
        reads: Reads,
        applies: Outcome,
        options: dict[str, _Option],
        excluded: dict[str, ExcludedView | _ConstraintExclusion],
    ) -> None:
        order = 0
        for rule in self.pack.rules:
            rule_value = _and(applies, self.check(rule.condition)(reads))
            if rule_value[0] is False:
                continue
            for spec in rule.options:
                order += 1
                value = _and(rule_value, self.check(spec.condition)(reads))
                if value[0] is False:
                    continue
                info = self.c.option(spec)
                oid, drugs = info.id, info.drugs
                if spec.exclusion is not None:
                    out, unknown = self.check(spec.exclusion)(reads)
                    if out is True:
                        excluded.setdefault(
                            oid,
                            ExcludedView(
                                oid, tuple(drugs) if drugs else None, spec.exclude_reason or ""
                            ),
                        )
                        continue
                    if out is None:
                        value = (None, value[1] | unknown)
                key = oid if spec.phase is None else f"{oid}@{spec.phase}"
                option = options.get(key)
                if option is None:
                    option = options[key] = _Option(oid, spec, drugs, info.name, order, info)
                option.contribute(rule, spec, value[0], value[1])
            for ex in rule.excluded:
                code = ex.regimen or ex.procedure or ""
                regimen = self.catalogue.regimen(code) if ex.regimen else None
                oid = regimen.id if regimen else code
                excluded.setdefault(
                    oid,
                    ExcludedView(oid, tuple(regimen.drugs) if regimen else None, ex.reason),
                )
        applicability = self.pack.applicability.condition
        for option in options.values():
            option.settle(applicability, lambda leaf: self.check(leaf)(reads)[0])

    def _constrain(
        self,
        reads: Reads,
        options: dict[str, _Option],
        excluded: dict[str, ExcludedView | _ConstraintExclusion],
        adds: list[tuple[frozenset[str], str]],
    ) -> None:
        for key, option in list(options.items()):
            found = self._exclusion(reads, option)
            if found is not None:
                del options[key]
                excluded.setdefault(option.id, found)
                continue
            self._rank_by_refractoriness(reads, option)
            self._rank_by_intolerance(reads, option)
            if option.moved_to is None and self._all_active_refractory(reads, option):
                del options[key]
                drugs = ", ".join(option.info.active)
                excluded.setdefault(
                    option.id,
                    ExcludedView(
                        option.id,
                        _drugs(option),
                        self.c.safety["refractory_all"].text.format(drugs=drugs),
                    ),
                )
                continue
            if not option.recommended:
                adds.append((option.requires, option.id))
            elif (better := option.tier_if) is not None:
                adds.append((frozenset().union(*(c[3] for c in better[1])), option.id))

    def _exclusion(
        self, reads: Reads, option: _Option
    ) -> ExcludedView | _ConstraintExclusion | None:
        for drug in option.drugs:
            why = reads.contraindicated(drug)
            if why is not None:
                return ExcludedView(option.id, _drugs(option), why)
        for constraint in self.pack.constraints:
            if not self._matches(constraint.applies_to, option):
                continue
            value, unknown = self.check(constraint.condition)(reads)
            if value is True:
                names = tuple(dict.fromkeys(fact_names(constraint.condition)))
                return _ConstraintExclusion(option.id, _drugs(option), constraint, names)
            if value is None:
                option.unless.append(constraint.reason)
                option.make_conditional(unknown)
        return None

    def _matches(self, target: Target, option: _Option) -> bool:
        if target.rules and not any(c[0].id in target.rules for c in option.contributions):
            return False
        return self.c.matches(target, option.spec)

    def _all_active_refractory(self, reads: Reads, option: _Option) -> bool:
        active = option.info.active
        if not active or set(active) <= option.exempt():
            return False
        return all(reads.target_refractory(d) is True for d in active)

    def _rank_by_refractoriness(self, reads: Reads, option: _Option) -> None:
        """``_Run._rank_by_refractoriness`` without its cautions (a drug exempt by
        ``despite_refractory`` only gets a caution there, so it is not read here)."""
        active = option.info.active
        exempt = option.exempt()
        refractory = 0
        unknown: list[str] = []
        for drug in active:
            if drug in exempt:
                continue
            value = reads.target_refractory(drug)
            if value is True:
                refractory += 1
            elif value is None:
                unknown.append(drug)
        all_refractory = bool(active) and refractory == len(active)
        if refractory and not all_refractory and option.listed_tier != "consider":
            option.moved_to = "consider"
        pathway = bool(self.pack.phases)
        # the two cases of _Run (no active drug known to work; a preferred option with an
        # unknown refractoriness) make the option conditional the same way
        if (
            unknown
            and not pathway
            and (
                refractory + len(unknown) == len(active)
                or (not refractory and option.tier == "preferred")
            )
        ):
            if_not_refractory(option, unknown)

    def _rank_by_intolerance(self, reads: Reads, option: _Option) -> None:
        if self.pack.phases or option.listed_tier == "consider":
            return
        if any(reads.intolerant(d) for d in option.info.active):
            option.moved_to = "consider"

    def _render_plan(self, spec: OptionSpec, rules: frozenset[str], drugs: tuple[str, ...]) -> Plan:
        """What ``_Run._render`` adds to ``missing`` for an option, as checks in order: the
        pack's cautions and dose notes whose target selects it (a ``rules`` selector
        applied to the rules that gave it), the kidney dose notes of each of its drugs and
        its product-label cautions. Each is (condition, what it affects, whether it counts
        only when unknown — the kidney notes — or whenever not false). Fixed per option
        and set of rules: built once."""
        key = (id(spec), rules)
        found = self._plans.get(key)
        if found is not None and found[0] is spec:
            return found[1]
        checks = self.c.option_checks(spec)
        plan: list[tuple[Check, str, bool]] = [
            (self.check(caution.condition), f"caution:{caution.id}", False)
            for caution in (*checks.cautions, *checks.dosing)
            if not caution.applies_to.rules or not rules.isdisjoint(caution.applies_to.rules)
        ]
        plan += [
            (self.check(note.condition), f"dosing:{note.id}", True)
            for drug in drugs
            for note in self.c.notes_by_drug.get(drug, ())
        ]
        plan += [(self.check(c.condition), f"label:{c.id}", False) for c in checks.labels]
        self._plans[key] = (spec, tuple(plan))
        return tuple(plan)


Plan = tuple[tuple[Check, str, bool], ...]


def _drugs(option: _Option) -> tuple[str, ...] | None:
    return tuple(option.drugs) if option.drugs else None


# -- the memo ------------------------------------------------------------------------------


Leaf = TypeVar("Leaf")


@dataclass(slots=True)
class _Node(Generic[Leaf]):
    read: Read | None = None
    """the read made next on this path (None: a fresh node)"""
    edges: dict[tuple[type, Any], _Node[Leaf] | _Leaf[Leaf]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Leaf(Generic[Leaf]):
    value: Leaf


def _answer(value: Any) -> tuple[type, Any]:
    """An edge's key: the answer's type and value (``True`` and ``1`` are not one edge)."""
    return (type(value), value)


class _Trie(Generic[Leaf]):
    """A decision trie over reads: each path is the (read, answer) log of one run of a
    function of the reads alone, in order; its leaf is that run's result."""

    __slots__ = ("constant", "root")

    def __init__(self) -> None:
        self.root: _Node[Leaf] = _Node()
        self.constant: _Leaf[Leaf] | None = None
        """the result of a run that read nothing"""

    def find(self, reads: Reads) -> _Leaf[Leaf] | None:
        """The leaf of the path whose answers are the patient's (performing its reads in
        the path's order), or None when the patient leaves the known paths."""
        if self.constant is not None:
            return self.constant
        node: _Node[Leaf] | _Leaf[Leaf] = self.root
        while isinstance(node, _Node):
            if node.read is None:
                return None
            found = node.edges.get(_answer(reads.read(node.read)))
            if found is None:
                return None
            node = found
        return node

    def add(self, log: Sequence[tuple[Read, Any]], value: Leaf) -> None:
        """Add one run's path: its reads in order with their answers, and its result. A
        node whose read differs from the run's, or a path ending inside another, means the
        function is not a function of its reads: refused loudly."""
        if not log:
            self.constant = _Leaf(value)
            return
        node = self.root
        for i, (read, answer) in enumerate(log):
            if node.read is None:
                node.read = read
            elif node.read != read:
                raise AssertionError(f"the projector is not deterministic at read {i}")
            key = _answer(answer)
            child = node.edges.get(key)
            if i == len(log) - 1:
                if child is not None:
                    raise AssertionError("a path ends where another continues")
                node.edges[key] = _Leaf(value)
                return
            if child is None:
                child = node.edges[key] = _Node()
            if not isinstance(child, _Node):
                raise AssertionError("a path continues where another ended")
            node = child


class ProjectionMemo:
    """The decision trie of one pack's projector (module docstring: why it is exact). It
    keeps the :class:`Partial` (options, exclusions, the first missing facts);
    :meth:`Projector.finish` completes it for each patient.

    ``limit`` bounds the partials kept: beyond it a miss is computed, not added (the trie
    with its nodes took about 11 kB per partial kept on the synthetic cohorts, so the
    default bounds one pack's memo to about 55 MB per process)."""

    def __init__(self, pack: Pack, catalogue: Catalogue, limit: int = 5_000) -> None:
        self.projector = Projector(compiled(pack, catalogue))
        self.limit = limit
        self.trie: _Trie[Partial] = _Trie()
        self.leaves = 0
        self.hits = 0
        self.misses = 0

    def project(self, facts: Assessment) -> Projection:
        """The projection for the assessment ``facts`` (its partial from the memo when
        the patient's answers follow a known path)."""
        projector = self.projector
        view = projector.view(facts)
        walk = Reads(view)
        found = self.trie.find(walk)
        if found is not None:
            self.hits += 1
            return projector.finish(found.value, walk)
        self.misses += 1
        reads = Reads(view)  # afresh: the path added is the projector's own reads
        partial = projector.project(reads)
        if self.leaves < self.limit:
            self.leaves += 1
            self.trie.add(tuple(reads.log), partial)
        return projector.finish(partial, reads)
