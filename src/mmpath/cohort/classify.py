"""Was the choice made at a decision point on the guideline's pathway?

One decision (what was started, :class:`~mmpath.cohort.decisions.DecisionPoint`) against
one guideline's result for the as-of record (recommendation-v1 ``ResultOut``):

- ``not_covered`` — the guideline does not apply to the patient (``applicable`` false),
  or it applies but none of its rules gives an option here (no rule); a pathway guideline
  (phases) addresses every phase it names, so there an empty phase is ``off_pathway``;
- ``on_pathway`` (with the option's tier) — the choice is an option the guideline
  recommends for this patient;
- ``undetermined`` (with the unknown facts) — the choice is an option only under facts
  that are unknown (a *conditional* option), or the guideline's applicability is unknown;
- ``off_pathway`` — anything else: the choice is excluded for this patient (the reason is
  kept), or no rule that is true or unknown gives it. Settling unknown facts cannot
  change this (Kleene logic: no unknown rule yields it), so it is not ``undetermined``.

A regimen matches an option by its drug set (the catalogue identifies regimens by drug
set across aliases), or failing that by the same drugs with or without a corticosteroid;
a procedure matches through :data:`PROCEDURE_OPTIONS`. For pathway packs only the options
of the decision's phase count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from mmpath.catalogue import load_catalogue
from mmpath.cohort.decisions import DecisionPoint

Classification = Literal["on_pathway", "off_pathway", "not_covered", "undetermined"]
CLASSIFICATIONS: tuple[Classification, ...] = (
    "on_pathway",
    "off_pathway",
    "undetermined",
    "not_covered",
)

PROCEDURE_OPTIONS = {
    ("stem_cell_collection", 1): "stem_cell_mobilisation",
    ("autologous_sct", 1): "high_dose_melphalan",
    ("autologous_sct", 2): "tandem_autologous_sct",
}
"""Extract procedure (type, ordinal) -> pack option id: a stem-cell collection is the
mobilisation the pathway plans; the first autologous transplant is the high-dose melphalan
with stem-cell support, the second the tandem transplant."""


class Identified(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def drugs(self) -> Sequence[str] | None: ...


T = TypeVar("T", bound=Identified)


class OptionLike(Protocol):
    """What classification reads of an option (``OptionOut``, ``projection.OptionView``)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def drugs(self) -> Sequence[str] | None: ...
    @property
    def tier(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def requires(self) -> Sequence[str]: ...
    @property
    def rules(self) -> Sequence[str]: ...
    @property
    def phase(self) -> str | None: ...


class ExcludedLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def drugs(self) -> Sequence[str] | None: ...
    @property
    def reason(self) -> str: ...


class MissingLike(Protocol):
    @property
    def fact(self) -> str: ...
    @property
    def affects(self) -> Sequence[str]: ...


class ResultLike(Protocol):
    """What classification reads of a result: a recommendation-v1 ``ResultOut``, or the
    compiled backend's lean ``engine.projection.Projection`` of one."""

    @property
    def applicable(self) -> bool | None: ...
    @property
    def applicability(self) -> str: ...
    @property
    def pathway(self) -> object | None: ...
    @property
    def options(self) -> Sequence[OptionLike]: ...
    @property
    def excluded(self) -> Sequence[ExcludedLike]: ...
    @property
    def missing(self) -> Sequence[MissingLike]: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    classification: Classification
    detail: str
    tier: str | None = None
    option: str | None = None
    node: str | None = None
    unknown_facts: tuple[str, ...] = ()


def classify(decision: DecisionPoint, result: ResultLike) -> Verdict:
    """Classify ``decision`` against one guideline's ``result`` for the as-of record."""
    pathway = result.pathway is not None
    if result.applicable is False:
        return Verdict("not_covered", "guideline not applicable: " + result.applicability)
    options = [o for o in result.options if not pathway or o.phase == decision.phase]
    if pathway and decision.phase is None:
        return Verdict("not_covered", "not a decision of this pathway")
    applicability_unknown = tuple(
        sorted(m.fact for m in result.missing if "applicability" in m.affects)
    )
    match = _match(decision, options)
    node = decision.phase if pathway else _node(match, options)
    if result.applicable is None:
        unknown = applicability_unknown + (tuple(match.requires) if match else ())
        return Verdict(
            "undetermined",
            "whether the guideline applies is unknown",
            match.tier if match else None,
            match.id if match else None,
            node,
            tuple(sorted(set(unknown))),
        )
    if not options and not pathway:
        return Verdict("not_covered", "the guideline applies but no rule gives an option here")
    if match is not None:
        if match.status == "recommended":
            return Verdict("on_pathway", f"{match.tier} option", match.tier, match.id, node)
        return Verdict(
            "undetermined",
            "an option only if unknown facts are settled",
            match.tier,
            match.id,
            node,
            tuple(match.requires),
        )
    excluded = next(iter(_find(decision, result.excluded)), None)
    if excluded is not None:
        return Verdict("off_pathway", f"excluded: {excluded.reason}", None, excluded.id, node)
    if not options:
        # a pathway guideline addresses every phase it names: no option in this one for the
        # patient is a "no" (review r92-07: a tandem ASCT in CR after the first, where the
        # tandem is given only without CR; r92-03: consolidation after an unnamed induction)
        return Verdict(
            "off_pathway",
            f"the guideline gives no {decision.phase} option for this patient",
            node=node,
        )
    return Verdict("off_pathway", "not among the guideline's options for this patient", node=node)


def _same(
    decision: DecisionPoint, drugs: Sequence[str] | None, option_id: str, *, steroid: bool = True
) -> bool:
    """Whether an option (or exclusion) is the choice: the procedure's option, or the same
    drug set — with ``steroid`` False, the same set once corticosteroids are set aside."""
    if decision.procedure is not None:
        return PROCEDURE_OPTIONS.get((decision.procedure, decision.ordinal)) == option_id
    if drugs is None:
        return False
    if steroid:
        return frozenset(drugs) == frozenset(decision.drugs)
    bare = _without_steroids(decision.drugs)
    return bool(bare) and _without_steroids(drugs) == bare


def _without_steroids(drugs: Sequence[str]) -> frozenset[str]:
    catalogue = load_catalogue()
    return frozenset(d for d in drugs if not catalogue.is_steroid(d))


def _find(decision: DecisionPoint, items: Sequence[T]) -> list[T]:
    """The options (or exclusions) that are the choice: the exact drug set; failing that,
    the same drugs with or without their corticosteroid. A guideline writes "Pomalidomide"
    where the clinic gives pomalidomide with dexamethasone, and a registry may leave the
    steroid out of its rows (review r91-11: Pd after "Pomalidomide" was off pathway)."""
    exact = [o for o in items if _same(decision, o.drugs, o.id)]
    return exact or [o for o in items if _same(decision, o.drugs, o.id, steroid=False)]


def _match(decision: DecisionPoint, options: list[OptionLike]) -> OptionLike | None:
    """The best-ranked option that is the choice (recommended before conditional)."""
    return min(_find(decision, options), key=lambda o: o.status != "recommended", default=None)


def _node(match: OptionLike | None, options: list[OptionLike]) -> str | None:
    """The guideline's branch: the rule giving the choice, else the rule of the first-ranked
    treatment option (regimens and procedures; referrals and supportive care run alongside)."""
    treatments = [o for o in options if o.kind in {"regimen", "procedure"}]
    first = match or next((o for o in treatments if o.status == "recommended"), None)
    first = first or next(iter(treatments), None)
    return first.rules[0] if first is not None and first.rules else None
