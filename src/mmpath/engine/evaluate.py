"""Evaluate one guideline pack over a patient's facts -> one result (recommendation-v1).

Steps: applicability; every rule's condition (Kleene); the options of rules that are
true (``recommended``) or unknown (``conditional``), merged by option id keeping the
best tier and every reason and source; per-option exclusions, pack constraints and the
record's contraindications; cautions and dose notes for this patient; notes; and the
facts that are unknown and would change the result (``missing``).
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from mmpath.assess import FACTS, Assessment
from mmpath.assess.fact import Value, in_words
from mmpath.assess.refractoriness import (
    CAUTION_CLASSES,
    SAME_TARGET_CLASSES,
    class_refractory_other,
    drug_refractory,
    target_refractory,
)
from mmpath.catalogue import Catalogue
from mmpath.engine.compiled import CompiledPack, OptionInfo, compiled
from mmpath.engine.conditions import (
    NOTHING,
    All,
    Condition,
    Const,
    Not,
    Outcome,
    describe,
    evaluate,
    fact_names,
    residual,
)
from mmpath.engine.coverage import LeafValue, completions
from mmpath.engine.definitions import Scoped
from mmpath.engine.drug_notes import (
    DrugNote,
    drug_note_fact_names,
    maintenance_note,
    source_text,
)
from mmpath.engine.label_cautions import label_caution_fact_names
from mmpath.engine.pack import TIER_RANK, Caution, OptionSpec, Pack, Rule, Target, Tier
from mmpath.engine.pathway import plan
from mmpath.recommendation import (
    SEVERITY_RANK,
    AvailabilityOut,
    CautionOut,
    EmptyBranchOut,
    ExcludedOut,
    FactOut,
    MissingOut,
    NearestOut,
    NoteOut,
    OptionOut,
    Provenance,
    ResultOut,
    Severity,
    SourceOut,
    TierIfOut,
)

SHARED_TARGET_FACTS = frozenset(f"{klass}_refractory" for klass in SAME_TARGET_CLASSES)
"""the class facts that decide refractoriness by target (``assess.refractoriness``)"""

SAFETY_TEXTS_FROM = "mm-common"
"""mmpath's own safety rules take their texts, severities and provenance from the shipped
library (``safety:`` in mmpath/packs/mm-common/library.yaml); this module keeps only the
mechanics (which option, which drug, when)."""


@dataclass
class _Option:
    id: str
    spec: OptionSpec
    drugs: tuple[str, ...]
    name: str
    order: int
    info: OptionInfo
    """what the option is, independent of the patient (``CompiledPack.option``)"""
    contributions: list[tuple[Rule, OptionSpec, bool | None, frozenset[str]]] = field(
        default_factory=list
    )
    moved_to: Tier | None = None
    """the tier mmpath shows when refractoriness moves the option down"""
    unless: list[str] = field(default_factory=list)
    """constraints that would exclude the option, still unknown for this patient"""
    if_not_refractory: list[str] = field(default_factory=list)
    """drugs whose unknown refractoriness keeps a preferred option conditional"""
    refractory_cautions: list[CautionOut] = field(default_factory=list)
    in_every_case: Tier | None = None
    """set by :meth:`settle` when the rules that may give the option together give it
    whatever the unknown facts turn out to be: the worst tier they give (``coverage``)"""
    _listed: Tier | None = None
    _exempt: frozenset[str] = frozenset()

    def contribute(
        self, rule: Rule, spec: OptionSpec, value: bool | None, requires: frozenset[str]
    ) -> None:
        """Add one rule's giving of the option. Later steps may rewrite a contribution's
        value and requirements, never its rule or spec: the listed tier and the drugs
        exempt from refractoriness, which depend only on the specs, are kept here."""
        self.contributions.append((rule, spec, value, requires))
        if self._listed is None or TIER_RANK[spec.tier] < TIER_RANK[self._listed]:
            self._listed = spec.tier
        if spec.despite_refractory is not None:
            self._exempt = self._exempt | frozenset(spec.despite_refractory.drugs)

    def make_conditional(self, requires: frozenset[str]) -> None:
        """Something still unknown (a constraint, refractoriness) stands between the patient
        and the option: a true contribution becomes unknown, and each needs ``requires``."""
        self.contributions = [
            (rule, spec, None if v else v, req | requires)
            for rule, spec, v, req in self.contributions
        ]
        self.in_every_case = None

    def settle(self, applicability: Condition, leaf: LeafValue) -> None:
        """Whether the rules that may give the option give it in every case (coverage):
        called once all rules have contributed, before any constraint; ``leaf`` answers
        the conditions' leaves for this patient."""
        if sum(c[2] is None for c in self.contributions) < 2:
            return  # one unknown rule alone leaves the option as unknown as its condition
        conditions = [
            All(
                (
                    applicability,
                    rule.condition,
                    spec.condition,
                    *(() if spec.exclusion is None else (Not(spec.exclusion),)),
                )
            )
            for rule, spec, value, _ in self.contributions
        ]
        rows = completions(conditions, leaf)
        if rows is None or not all(any(row) for row in rows):
            return
        tiers = [spec.tier for _, spec, _, _ in self.contributions]
        worst = max(
            (
                min(
                    (t for t, holds in zip(tiers, row, strict=True) if holds),
                    key=TIER_RANK.__getitem__,
                )
                for row in rows
            ),
            key=TIER_RANK.__getitem__,
        )
        if (
            any(c[2] is True for c in self.contributions)
            and TIER_RANK[worst] >= TIER_RANK[self.listed_tier]
        ):
            return  # nothing better than what the true rules already give
        self.in_every_case = worst

    @property
    def drug_set(self) -> frozenset[str]:
        return self.info.drug_set

    @property
    def listed_tier(self) -> Tier:
        """The guideline's own tier: the best of the rules that give the option to this
        patient, or, when none does yet, of those that may (conditional). A rule that only
        may apply does not lift the tier of an option another rule gives now (review/
        dk-ndmm-te r16: D-R "consider" when MRD-positive, "preferred" only if high risk)."""
        assert self._listed is not None  # every option has a contribution
        given = [spec.tier for _, spec, value, _ in self.contributions if value is True]
        if self.in_every_case is not None:
            given.append(self.in_every_case)
        if not given:
            return self._listed
        return min(given, key=TIER_RANK.__getitem__)

    @property
    def tier_if(
        self,
    ) -> tuple[Tier, list[tuple[Rule, OptionSpec, bool | None, frozenset[str]]]] | None:
        """The better tier still-unknown rules give a recommended option, with those rules'
        contributions; None when there is none or refractoriness moved the option down."""
        if self.moved_to is not None or not self.recommended:
            return None
        shown = TIER_RANK[self.listed_tier]
        better = [c for c in self.contributions if c[2] is None and TIER_RANK[c[1].tier] < shown]
        if not better:
            return None
        tier = min((c[1].tier for c in better), key=TIER_RANK.__getitem__)
        return tier, [c for c in better if c[1].tier == tier]

    @property
    def tier(self) -> Tier:
        return self.moved_to or self.listed_tier

    def exempt(self) -> frozenset[str]:
        """Drugs the source gives this option for despite refractoriness."""
        return self._exempt

    @property
    def recommended(self) -> bool:
        return self.in_every_case is not None or any(c[2] is True for c in self.contributions)

    @property
    def requires(self) -> frozenset[str]:
        if self.recommended:
            return NOTHING
        return frozenset().union(*(c[3] for c in self.contributions))


_DrugNotes = tuple[tuple[CautionOut, ...], tuple[tuple[frozenset[str], str], ...]]
"""One drug's dose notes as output, and the (unknown facts, what they affect) pairs they
add to ``missing``, in the order the notes are checked."""


class _Missing:
    def __init__(self) -> None:
        self.affects: dict[str, list[str]] = {}

    def add(self, facts: frozenset[str], what: str) -> None:
        for name in facts:
            targets = self.affects.setdefault(name, [])
            if what not in targets:
                targets.append(what)


def _and(
    a: tuple[bool | None, frozenset[str]], b: tuple[bool | None, frozenset[str]]
) -> tuple[bool | None, frozenset[str]]:
    if a[0] is False or b[0] is False:
        return False, NOTHING
    if a[0] is True and b[0] is True:
        return True, NOTHING
    return None, a[1] | b[1]


class PackEvaluator:
    """Evaluates one pack: its compiled form (``engine.compiled``, built once per pack and
    read-only) and, per call of :meth:`run`, a fresh run holding that run's memo only."""

    def __init__(self, pack: Pack, catalogue: Catalogue) -> None:
        self.pack = pack
        self.catalogue = catalogue
        self.compiled = compiled(pack, catalogue)

    def run(self, facts: Assessment) -> ResultOut:
        return _Run(self.compiled).run(facts)


class _Run:
    """One evaluation of a compiled pack for one patient (its memo lives and dies here)."""

    def __init__(self, pack: CompiledPack) -> None:
        self.c = pack
        self.pack = pack.pack
        self.catalogue = pack.catalogue
        self.fired: list[str] = []
        self._refractory: dict[str, tuple[Value, str]] = {}
        self._target: dict[str, tuple[Value, str]] = {}
        self._class_hits: dict[str, list[tuple[str, str, str]]] = {}
        self._outcomes: tuple[Outcome, ...] = ()
        self._notes: dict[tuple[str, str], _DrugNotes] = {}
        self._caution_outs: dict[tuple[int, str], CautionOut] = {}

    def refractory(self, facts: Assessment, drug: str) -> tuple[Value, str]:
        """``drug_refractory`` remembered for this run (options share drugs)."""
        found = self._refractory.get(drug)
        if found is None:
            found = self._refractory[drug] = drug_refractory(facts, drug)
        return found

    def target_refractory(self, facts: Assessment, drug: str) -> tuple[Value, str]:
        """``target_refractory`` (anti-CD38 by target) remembered for this run."""
        found = self._target.get(drug)
        if found is None:
            found = self._target[drug] = target_refractory(facts, drug)
        return found

    def _fire(self, what: str) -> None:
        if what not in self.fired:
            self.fired.append(what)

    def sources(self, keys: list[str]) -> list[SourceOut]:
        return [self._source(key) for key in dict.fromkeys(keys)]

    def _source(self, key: str) -> SourceOut:
        """One quote as output (built once per pack, shared)."""
        return self.c.sources[key]

    def check(self, condition: Condition, facts: Assessment) -> Outcome:
        """``evaluate`` for this run: every condition of the pack was evaluated once at
        the start (``CompiledPack.program``); another is evaluated on demand."""
        index = self.c.index(condition)
        if index is None:
            return evaluate(condition, facts)
        return self._outcomes[index]

    def identify(self, spec: OptionSpec) -> tuple[str, tuple[str, ...], str]:
        info = self.c.option(spec)
        return info.id, info.drugs, info.name

    def matches(self, target: Target, option: _Option) -> bool:
        if target.rules and not any(c[0].id in target.rules for c in option.contributions):
            return False
        return self.c.matches(target, option.spec)

    def run(self, facts: Assessment) -> ResultOut:
        pack = self.pack
        if pack.scope:
            # the pack's own definitions (and non-fact library ones), computed for this run
            facts = Scoped(facts, pack.scope)  # type: ignore[assignment]
        self.fired = []
        self._refractory = {}
        self._target = {}
        self._class_hits = {}
        self._outcomes = self.c.program(facts)
        self._notes = {}
        self._caution_outs = {}
        self._true_rules: list[Rule] = []
        missing = _Missing()
        applies = self.check(pack.applicability.condition, facts)
        missing.add(applies[1], "applicability")
        notes = [f"Source limitation: {text}" for text in pack.source_limitations]
        options: dict[str, _Option] = {}
        excluded: dict[str, ExcludedOut] = {}
        if applies[0] is not False:
            self._collect(facts, applies, options, excluded, missing)
        else:
            notes.insert(0, _not_applicable(pack, facts))
        self._constrain(facts, options, excluded, missing)
        ordered = sorted(
            options.values(), key=lambda o: (TIER_RANK[o.tier], not o.recommended, o.order)
        )
        rendered = [self._render(o, facts, missing) for o in ordered]
        pathway = None
        if pack.phases:
            pathway, rendered = plan(pack, facts, rendered, applies[0])
        empty = (
            self._empty_branch(rendered, list(excluded.values()), bool(pack.phases))
            if applies[0] is True
            else None
        )
        annotations = []
        for note in pack.notes:
            if applies[0] is False:
                break
            value, unknown = _and(applies, self.check(note.condition, facts))
            if value is False:
                continue
            missing.add(unknown, f"note:{note.id}")
            self._fire(f"note:{note.id}")
            text = render_text(note.text, facts)
            annotations.append(
                NoteOut(
                    id=note.id,
                    text=text,
                    applies=value,
                    requires=sorted(unknown),
                    sources=self.sources(note.sources),
                )
            )
            if value:
                notes.append(text)
        return ResultOut(
            guideline=self.c.guideline,
            applicable=applies[0],
            applicability=pack.applicability.text,
            facts=self._facts(facts),
            options=rendered,
            excluded=list(excluded.values()),
            missing=[
                MissingOut(
                    fact=name,
                    needs=list(facts.get(name).needs),
                    affects=affects,
                    why=facts.get(name).why,
                )
                for name, affects in sorted(missing.affects.items())
            ],
            notes=notes,
            annotations=annotations,
            pathway=pathway,
            empty_branch=empty,
            fired=self.fired,
        )

    def _collect(
        self,
        facts: Assessment,
        applies: tuple[bool | None, frozenset[str]],
        options: dict[str, _Option],
        excluded: dict[str, ExcludedOut],
        missing: _Missing,
    ) -> None:
        order = 0
        for rule in self.pack.rules:
            rule_value = _and(applies, self.check(rule.condition, facts))
            if rule_value[0] is False:
                continue
            self._fire(f"rule:{rule.id}")
            if rule_value[0] is True:
                self._true_rules.append(rule)
            for spec in rule.options:
                order += 1
                value = _and(rule_value, self.check(spec.condition, facts))
                if value[0] is False:
                    continue
                oid, drugs, name = self.identify(spec)
                if spec.exclusion is not None:
                    out, unknown = self.check(spec.exclusion, facts)
                    if out is True:
                        excluded.setdefault(
                            oid,
                            ExcludedOut(
                                id=oid,
                                kind=spec.kind,
                                name=name,
                                drugs=list(drugs) if drugs else None,
                                reason=spec.exclude_reason or "",
                                by=f"rule:{rule.id}",
                                sources=self.sources(spec.sources or rule.sources),
                                provenance="guideline",
                            ),
                        )
                        continue
                    if out is None:
                        value = (None, value[1] | unknown)
                key = oid if spec.phase is None else f"{oid}@{spec.phase}"
                option = options.get(key)
                if option is None:
                    option = options[key] = _Option(
                        oid, spec, drugs, name, order, self.c.option(spec)
                    )
                option.contribute(rule, spec, value[0], value[1])
            for ex in rule.excluded:
                code = ex.regimen or ex.procedure or ""
                regimen = self.catalogue.regimen(code) if ex.regimen else None
                oid = regimen.id if regimen else code
                excluded.setdefault(
                    oid,
                    ExcludedOut(
                        id=oid,
                        kind="regimen" if ex.regimen else "procedure",
                        name=regimen.name if regimen else code,
                        drugs=list(regimen.drugs) if regimen else None,
                        reason=ex.reason,
                        by=f"rule:{rule.id}",
                        sources=self.sources(ex.sources),
                        provenance="guideline",
                        indication_not_stated=ex.indication_not_stated,
                    ),
                )
        applicability = self.pack.applicability.condition
        for option in options.values():
            option.settle(applicability, lambda leaf: evaluate(leaf, facts)[0])

    def _constrain(
        self,
        facts: Assessment,
        options: dict[str, _Option],
        excluded: dict[str, ExcludedOut],
        missing: _Missing,
    ) -> None:
        for key, option in list(options.items()):
            oid = option.id
            found = self._exclusion(facts, option)
            if found is not None:
                del options[key]
                excluded.setdefault(oid, found)
                continue
            self._rank_by_refractoriness(facts, option)
            self._rank_by_intolerance(facts, option)
            if option.moved_to is None and self._all_active_refractory(facts, option):
                del options[key]
                drugs = ", ".join(option.info.active)
                excluded.setdefault(
                    oid,
                    self._excluded(
                        option,
                        self.c.safety["refractory_all"].text.format(drugs=drugs),
                        by="refractoriness",
                        provenance=self.c.safety["refractory_all"].provenance,
                        source=self.c.safety["refractory_all"].rule,
                    ),
                )
                continue
            if not option.recommended:
                missing.add(option.requires, oid)
            elif (better := option.tier_if) is not None:
                missing.add(frozenset().union(*(c[3] for c in better[1])), oid)

    def _excluded(
        self,
        option: _Option,
        reason: str,
        *,
        by: str,
        provenance: Provenance,
        source: str | None = None,
        sources: list[SourceOut] | None = None,
    ) -> ExcludedOut:
        return ExcludedOut(
            id=option.id,
            kind=option.spec.kind,
            name=option.name,
            drugs=list(option.drugs) if option.drugs else None,
            reason=reason,
            by=by,
            provenance=provenance,
            source=source,
            sources=sources or [],
        )

    def _exclusion(self, facts: Assessment, option: _Option) -> ExcludedOut | None:
        """The record's contraindications, then the pack's constraints."""
        for drug in option.drugs:
            why = facts.contraindicated(drug)
            if why is not None:
                return self._excluded(
                    option,
                    why,
                    by="contraindication",
                    provenance=self.c.safety["contraindication"].provenance,
                    source=self.c.safety["contraindication"].rule,
                )
        for constraint in self.pack.constraints:
            if not self.matches(constraint.applies_to, option):
                continue
            value, unknown = self.check(constraint.condition, facts)
            if value is not False:
                self._fire(f"constraint:{constraint.id}")
            if value is True:
                # say why it holds for this patient, not only the general rule
                names = dict.fromkeys(fact_names(constraint.condition))
                here = "; ".join(facts.get(name).why for name in names)
                return self._excluded(
                    option,
                    f"{constraint.reason} (this patient: {here})",
                    by=f"constraint:{constraint.id}",
                    provenance="guideline",
                    sources=self.sources(constraint.sources),
                )
            if value is None:
                option.unless.append(constraint.reason)
                option.make_conditional(unknown)
        return None

    def _all_active_refractory(self, facts: Assessment, option: _Option) -> bool:
        active = option.info.active
        if not active or set(active) <= option.exempt():
            return False
        return all(self.target_refractory(facts, d)[0] is True for d in active)

    def _rank_by_refractoriness(self, facts: Assessment, option: _Option) -> None:
        """Issue 9, rule 1: a drug the patient is refractory to moves the option out of the
        preferred tier (to "consider", the first caution saying why), unless the guideline
        gives the option to such patients; an unknown refractoriness keeps a preferred
        option conditional on it. Every active drug refractory: excluded (``_constrain``)."""
        active = option.info.active
        exempt = option.exempt()
        refractory: list[tuple[str, str]] = []
        unknown: list[str] = []
        for drug in active:
            value, why = self.target_refractory(facts, drug)
            if drug in exempt:
                if value is True:
                    quoted = [
                        k
                        for _, s, _, _ in option.contributions
                        if s.despite_refractory is not None
                        for k in s.despite_refractory.sources
                    ]
                    option.refractory_cautions.append(
                        self._refractory_caution(
                            "refractory_despite", "information", drug, why, self.sources(quoted)
                        )
                    )
                continue
            if value is True:
                refractory.append((drug, why))
            elif value is None:
                unknown.append(drug)
        all_refractory = bool(active) and len(refractory) == len(active)
        if refractory and not all_refractory:
            listed = option.listed_tier
            if listed != "consider":
                option.moved_to = "consider"
            for drug, why in refractory:
                option.refractory_cautions.append(
                    self._refractory_caution("refractory", "contraindicating", drug, why)
                )
        pathway = bool(self.pack.phases)  # first line: refractoriness is not yet known
        if unknown and len(refractory) + len(unknown) == len(active) and not pathway:
            # no active drug known to work: excluded if the unknown ones are refractory too
            self._if_not_refractory(option, unknown)
        elif unknown and not refractory and option.tier == "preferred" and not pathway:
            self._if_not_refractory(option, unknown)
            rule = self.c.safety["refractory_unknown"]
            option.refractory_cautions.append(
                CautionOut(
                    id="refractoriness-unknown-" + "-".join(unknown),
                    text=rule.text.format(drugs=", ".join(unknown)),
                    applies=None,
                    requires=sorted(option.requires),
                    severity=rule.severity or "contraindicating",
                    provenance=rule.provenance,
                    source=rule.rule,
                    sources=[],
                )
            )

    def _rank_by_intolerance(self, facts: Assessment, option: _Option) -> None:
        """A drug the record lists as not tolerated (``intolerances``) moves the option out
        of the preferred tier to "consider" (the guideline's tier kept as ``listed_tier``),
        like refractoriness; its ``intolerance-<drug>`` caution says why. First-line pathway
        packs are left to their own intolerance rules (dk-ndmm-te)."""
        if self.pack.phases or option.listed_tier == "consider":
            return
        if any(facts.intolerant(d) for d in option.info.active):
            option.moved_to = "consider"

    def _refractory_caution(
        self,
        safety: str,
        severity: Severity,
        drug: str,
        why: str,
        sources: list[SourceOut] | None = None,
    ) -> CautionOut:
        """The caution of the base library's safety text ``safety`` for a drug of the option
        the patient is refractory to (``severity`` when the text sets none)."""
        rule = self.c.safety[safety]
        return CautionOut(
            id=f"refractory-{drug}",
            text=rule.text.format(drug=drug, why=why),
            applies=True,
            requires=[],
            severity=rule.severity or severity,
            provenance=rule.provenance,
            source=rule.rule,
            sources=[] if sources is None else sources,
        )

    def _if_not_refractory(self, option: _Option, drugs: list[str]) -> None:
        if_not_refractory(option, drugs)

    def _render(self, option: _Option, facts: Assessment, missing: _Missing) -> OptionOut:
        spec = option.spec
        contributions = option.contributions
        if len(contributions) == 1:
            rule, first, _, _ = contributions[0]
            rationale = first.rationale or rule.rationale
        else:
            rationale = " | ".join(
                f"{rule.title} ({s.tier}): {s.rationale or rule.rationale}"
                for rule, s, _, _ in contributions
            )
        keys: list[str] = []
        for rule, s, _, _ in contributions:
            keys += s.sources or rule.sources
        checks = self.c.option_checks(spec)
        cautions = self._cautions(checks.cautions, option, facts, missing)
        dosing = self._cautions(checks.dosing, option, facts, missing, severity="dose")
        dosing += self._drug_notes(option, facts, missing)
        cautions += self._class_refractoriness(option, facts)
        cautions += self._label_cautions(option, facts, missing)
        intolerance = self.c.safety["intolerance"]
        for drug in option.drugs:
            if facts.intolerant(drug):
                cautions.append(
                    CautionOut(
                        id=f"intolerance-{drug}",
                        text=intolerance.text.format(drug=drug),
                        applies=True,
                        requires=[],
                        severity=intolerance.severity or "contraindicating",
                        provenance=intolerance.provenance,
                        source=intolerance.rule,
                        sources=[],
                    )
                )
        cautions.sort(key=lambda c: SEVERITY_RANK[c.severity])
        # the refractoriness is the first, prominent caution (issue 9), then by severity
        cautions = [*option.refractory_cautions, *cautions]
        region = facts.value("region")
        availability = [
            AvailabilityOut(text=a.text, status=a.status, sources=self.sources(a.sources))
            for s in {id(c[1]): c[1] for c in contributions}.values()
            for a in s.availability
            if not a.regions or region is None or region in a.regions
        ]
        return OptionOut(
            id=option.id,
            kind=spec.kind,
            name=option.name,
            drugs=list(option.drugs) if spec.kind == "regimen" else None,
            procedure=spec.code if spec.kind == "procedure" else None,
            tier=option.tier,
            status="recommended" if option.recommended else "conditional",
            listed_tier=option.listed_tier if option.moved_to else None,
            tier_if=TierIfOut(
                tier=better[0],
                requires=sorted(frozenset().union(*(c[3] for c in better[1]))),
                applies_if=self._conditions_in_words(better[1], facts),
            )
            if (better := option.tier_if) is not None
            else None,
            phase=spec.phase,
            requires=sorted(option.requires),
            applies_if=None if option.recommended else self._applies_if(option, facts),
            basis="principle"
            if all(rule.basis == "principle" for rule, _, _, _ in contributions)
            else "named",
            rationale=rationale,
            rules=list(dict.fromkeys(c[0].id for c in contributions)),
            grade=_joined(s.grade for _, s, _, _ in contributions),
            details=_joined(s.details for _, s, _, _ in contributions),
            sources=self.sources(keys),
            cautions=cautions,
            dosing=dosing,
            availability=availability,
        )

    def _empty_branch(
        self, options: list[OptionOut], excluded: list[ExcludedOut], pathway: bool
    ) -> EmptyBranchOut | None:
        """Issue 9, rule 3: the guideline applies but leaves this patient no regimen that
        applies now; say so, name the branch and why, and list what the source offers
        nearest (excluded, conditional or moved-down options, with why not)."""
        kinds = {"regimen", "procedure"} if pathway else {"regimen"}
        usable = [
            o
            for o in options
            if o.kind in kinds
            and o.status == "recommended"
            and o.listed_tier is None
            and (o.current_step or not pathway)
        ]
        if usable:
            return None
        branch_rules = [
            r
            for r in self._true_rules
            if any(spec.kind in kinds for spec in r.options) or r.excluded
        ]
        branch = "; ".join(r.title for r in branch_rules) or "no rule of this guideline matches"
        nearest = [
            NearestOut(id=e.id, name=e.name, drugs=e.drugs, why_not=f"excluded: {e.reason}")
            for e in excluded
            if e.kind in kinds
        ]
        for o in options:
            if o.kind not in kinds or (
                pathway and not o.current_step and o.status == "recommended"
            ):
                continue
            if o.listed_tier is not None:
                why_not = next(
                    (c.text for c in o.cautions if c.id.startswith(("refractory", "intolerance"))),
                    "",
                )
                nearest.append(
                    NearestOut(
                        id=o.id, name=o.name, drugs=o.drugs, why_not=f"moved down: {why_not}"
                    )
                )
            elif o.status == "conditional":
                nearest.append(
                    NearestOut(
                        id=o.id, name=o.name, drugs=o.drugs, why_not=f"only if {o.applies_if}"
                    )
                )
        if not branch_rules:
            why = "no rule of the guideline gives a regimen for this patient's situation"
        elif nearest:
            why = "every regimen of this branch is excluded, moved down or conditional for this patient"
        else:
            why = "this branch of the guideline names no regimen"
        return EmptyBranchOut(branch=branch, why=why, nearest=nearest)

    def _conditions_in_words(
        self,
        contributions: list[tuple[Rule, OptionSpec, bool | None, frozenset[str]]],
        facts: Assessment,
    ) -> str:
        """What would have to hold for any of ``contributions`` to apply, in words."""
        ways = []
        for rule, spec, value, _ in contributions:
            if value is False:
                continue
            condition = residual(
                All((self.pack.applicability.condition, rule.condition, spec.condition)), facts
            )
            if not (type(condition) is Const and condition.value):
                ways.append(describe(condition, _fact_label))
        text = " or ".join(dict.fromkeys(ways))
        return f"either {text}" if len(ways) > 1 else text

    def _applies_if(self, option: _Option, facts: Assessment) -> str:
        """What would have to hold for a conditional option, in words."""
        text = self._conditions_in_words(option.contributions, facts)
        extra = [f"not refractory to {d}" for d in option.if_not_refractory]
        extra += [f"unless: {reason}" for reason in option.unless]
        return "; ".join(p for p in [text, *extra] if p) or "unknown facts are settled"

    def _class_refractoriness(self, option: _Option, facts: Assessment) -> list[CautionOut]:
        """mmpath's rule: an option with a drug of a class (anti-CD38, PI, IMiD) the patient
        is refractory to through another drug of that class is flagged (one caution per drug
        and class); for anti-CD38 antibodies (one target, CD38) as refractoriness to the
        target. A drug the patient is refractory to itself has its own caution instead."""
        out = []
        for drug in option.info.active:
            if self.target_refractory(facts, drug)[0] is True:
                continue  # the refractoriness ranking flags it (by target for anti-CD38)
            key = f"class:{drug}"
            if key not in self._class_hits:
                self._class_hits[key] = class_refractory_other(facts, drug)
            by_class: dict[str, list[str]] = {}
            for klass, other, why in self._class_hits[key]:
                if other not in option.drugs:  # the option's own drugs have their own caution
                    by_class.setdefault(klass, []).append(f"{other} ({why})")
            rule = self.c.safety["class_refractory"]
            for klass, reasons in by_class.items():
                label = CAUTION_CLASSES[klass]
                how = "same_target" if klass in SAME_TARGET_CLASSES else "same_class"
                same = self.c.safety[f"class_refractory_{how}"].text.format(drug=drug, label=label)
                out.append(
                    CautionOut(
                        id=f"class-refractory-{klass}-{drug}",
                        text=rule.text.format(label=label, same=same, reasons="; ".join(reasons)),
                        applies=True,
                        requires=[],
                        sources=[],
                        severity=rule.severity or "information",
                        provenance=rule.provenance,
                        source=rule.rule,
                    )
                )
        return out

    def _cautions(
        self,
        items: tuple[Caution, ...],
        option: _Option,
        facts: Assessment,
        missing: _Missing,
        severity: Severity = "information",
    ) -> list[CautionOut]:
        """The pack's cautions (or dose notes) for the option: ``items`` are those whose
        target already selects it (``CompiledPack.option_checks``); a ``rules`` selector
        is checked here, as it depends on the rules that gave the option."""
        out = []
        for caution in items:
            rules = caution.applies_to.rules
            if rules and not any(c[0].id in rules for c in option.contributions):
                continue
            value, unknown = self.check(caution.condition, facts)
            if value is False:
                continue
            missing.add(unknown, f"caution:{caution.id}")
            self._fire(f"caution:{caution.id}")
            target = caution.applies_to
            if value is None and not (target.drugs or target.classes or target.options):
                continue  # an unknown general caution is listed under missing, not on every option
            out.append(self._caution_out(caution, value, unknown, severity, facts))
        return out

    def _caution_out(
        self,
        caution: Caution,
        value: bool | None,
        unknown: frozenset[str],
        severity: Severity,
        facts: Assessment,
    ) -> CautionOut:
        """A pack caution as output: it depends on the caution and the patient only, so it
        is built once per run and shared by the options it applies to (read-only)."""
        key = (id(caution), severity)
        found = self._caution_outs.get(key)
        if found is None:
            found = self._caution_outs[key] = CautionOut(
                id=caution.id,
                text=render_text(caution.text, facts),
                applies=value,
                requires=sorted(unknown),
                severity=caution.severity or severity,
                provenance="guideline",
                sources=self.sources(caution.sources),
            )
        return found

    def _label_cautions(
        self, option: _Option, facts: Assessment, missing: _Missing
    ) -> list[CautionOut]:
        """Product-label cautions by comorbidity (``label_cautions``) for the option's drugs,
        unless one of the pack's own cautions on that drug reads the same comorbidity
        (both chosen once per option: ``CompiledPack.option_checks``).
        Like a pack's drug-specific caution, it is shown as a check when the comorbidity is
        not recorded."""
        out = []
        for caution in self.c.option_checks(option.spec).labels:
            value, unknown = self.check(caution.condition, facts)
            if value is False:
                continue
            missing.add(unknown, f"label:{caution.id}")
            out.append(
                CautionOut(
                    id=caution.id,
                    text=render_text(caution.text, facts),
                    applies=value,
                    requires=sorted(unknown),
                    severity=caution.severity,
                    provenance="label",
                    source=self.c.label_sources[caution.id],
                    sources=[],
                )
            )
        return out

    def is_maintenance(self, option: _Option) -> bool:
        """A maintenance option: phase maintenance, or a regimen the catalogue gives only as
        maintenance (lenalidomide alone, D-R, Isa-R, KR)."""
        return option.info.maintenance

    def _drug_notes(
        self, option: _Option, facts: Assessment, missing: _Missing
    ) -> list[CautionOut]:
        """Kidney-function dose notes from the product labels (``dose_notes.yaml``); a
        maintenance option gets no relapse / induction starting dose but the prompt to use
        the label's maintenance adjustment; while undecided, one 'check' line per drug."""
        out: list[CautionOut] = []
        maintenance = self.is_maintenance(option)
        for drug in option.drugs:
            notes, unknowns = self._notes_for(drug, maintenance, facts)
            for unknown, what in unknowns:
                missing.add(unknown, what)
            out += notes
        return out

    def _notes_for(self, drug: str, maintenance: bool, facts: Assessment) -> _DrugNotes:
        """One drug's dose notes (for a maintenance option or not) and the unknown facts
        they add to ``missing``, in order. They depend only on the patient: remembered for
        the assessment (every option and pack with the drug asks), or for this run when
        the pack defines a fact the notes read itself."""
        key = (f"drug-notes:{maintenance}", drug)
        memo = facts.memo if self.c.notes_shared else self._notes
        found: _DrugNotes | None = memo.get(key)
        if found is None:
            found = memo[key] = self._derive_notes(drug, maintenance, facts)
        return found

    def _derive_notes(self, drug: str, maintenance: bool, facts: Assessment) -> _DrugNotes:
        out: list[CautionOut] = []
        unknowns: list[tuple[frozenset[str], str]] = []
        applying: list[DrugNote] = []
        undecided: list[DrugNote] = []
        requires: set[str] = set()
        for note in self.c.notes_by_drug.get(drug, ()):
            value, unknown = self.check(note.condition, facts)
            if value is True:
                applying.append(note)
            elif value is None:
                undecided.append(note)
                requires |= unknown
                unknowns.append((unknown, f"dosing:{note.id}"))
        starting = [n for n in applying if n.scope == "starting"]
        if maintenance and starting:
            nid, text = maintenance_note(drug, starting)
            out.append(
                CautionOut(
                    id=nid,
                    text=render_text(text, facts),
                    applies=True,
                    requires=[],
                    sources=list(starting[0].sources),
                    severity="dose",
                    provenance="label",
                    source=source_text(
                        [label for n in starting for label in n.labels],
                        "maintenance (mmpath holds no maintenance table)",
                    ),
                )
            )
            applying = [n for n in applying if n.scope != "starting"]
        out += [
            CautionOut(
                id=n.id,
                text=render_text(n.text, facts),
                applies=True,
                requires=[],
                sources=list(n.sources),
                severity="dose",
                provenance="label",
                source=n.source,
            )
            for n in applying
        ]
        if undecided and not applying and not (maintenance and starting):
            # with the clearance known, each undecided note reads right ("... 26.3 mL/min, no
            # dialysis: 15 mg every 48 hours"): show them as the cases to choose from
            cases = [n for n in undecided if not (maintenance and n.scope == "starting")]
            alternatives = cases and facts.value("creatinine_clearance") is not None
            rule = self.c.safety[
                "kidney_dose_alternatives" if alternatives else "kidney_dose_unknown"
            ]
            out.append(
                CautionOut(
                    id=f"{drug}-kidney-function-unknown",
                    text=rule.text.format(
                        drug=drug,
                        facts=", ".join(sorted(requires)),
                        alternatives=" | ".join(render_text(n.text, facts) for n in cases),
                    ),
                    applies=None,
                    requires=sorted(requires),
                    sources=list(undecided[0].sources),
                    severity=rule.severity or "dose",
                    provenance=rule.provenance,
                    source=undecided[0].source,
                )
            )
        return tuple(out), tuple(unknowns)

    def _facts(self, facts: Assessment) -> dict[str, FactOut]:
        out = {}
        memo = facts.memo
        for name, key, scoped in self.c.shown_facts:
            # one output object per fact and assessment, shared by the packs that show it
            shown = None if scoped else memo.get(key)
            if shown is None:
                f = facts.get(name)
                shown = FactOut(
                    value=f.value,
                    asserted=f.asserted,
                    why=f.why,
                    definition=f.definition,
                    warnings=list(f.warnings),
                )
                if not scoped:
                    memo[key] = shown
            out[name] = shown
        return out


def _fact_label(name: str) -> str:
    return name.replace("_", " ")


def _joined(values: Iterable[str | None]) -> str | None:
    """Distinct non-empty values of merged contributions, in order (None when none)."""
    distinct = list(dict.fromkeys(v for v in values if v))
    return " | ".join(distinct) if distinct else None


def _not_applicable(pack: Pack, facts: Assessment) -> str:
    """The pack's not-applicable text with the facts that decided it and their reasons."""
    from mmpath.engine.conditions import fact_names

    names = dict.fromkeys(fact_names(pack.applicability.condition))
    reasons = []
    for name in names:
        f = facts.get(name)
        reasons.append(f"{name}: {in_words(f.value)} ({f.why})")
    return (
        f"{pack.applicability.not_applicable} — " + "; ".join(reasons)
        if reasons
        else (pack.applicability.not_applicable)
    )


def if_not_refractory(option: _Option, drugs: list[str]) -> None:
    """Make ``option`` conditional on the patient not being refractory to ``drugs``."""
    requires = frozenset(f"{d}_refractory" for d in drugs if f"{d}_refractory" in FACTS)
    option.if_not_refractory = drugs
    option.make_conditional(requires or SHARED_TARGET_FACTS)


def fact_names_read(pack: Pack) -> set[str]:
    """The facts the pack's conditions and the dose notes read (shown in the output)."""
    names = set(pack.fact_names | drug_note_fact_names() | label_caution_fact_names())
    return names | refractory_facts_read(pack) | set(SHARED_TARGET_FACTS)


def refractory_facts_read(pack: Pack) -> set[str]:
    """The drug refractoriness facts the refractoriness rules read for the pack's regimens."""
    from mmpath.catalogue import load_catalogue

    catalogue = load_catalogue()
    names: set[str] = set()
    for rule in pack.rules:
        for option in rule.options:
            regimen = catalogue.regimen(option.code) if option.kind == "regimen" else None
            if regimen is not None:
                names.update(f"{d}_refractory" for d in catalogue.active_drugs(regimen.drugs))
    return names & set(FACTS)


def render_text(text: str, facts: Assessment) -> str:
    """Fill ``{fact_name}`` placeholders with the fact's value."""
    if "{" not in text:
        return text
    values = {}
    for name in _placeholders(text):
        value = facts.value(name)
        values[name] = (
            "unknown"
            if value is None
            else (f"{value:g}" if isinstance(value, float) else str(value))
        )
    return text.format(**values)


@cache
def _placeholders(text: str) -> tuple[str, ...]:
    """The ``{fact_name}`` placeholders of a pack or library text (texts are few and fixed:
    parsed once per process)."""
    return tuple(name for _, name, _, _ in string.Formatter().parse(text) if name)
