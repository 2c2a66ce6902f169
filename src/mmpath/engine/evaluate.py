"""Evaluate one guideline pack over a patient's facts -> one result (recommendation-v1).

Steps: applicability; every rule's condition (Kleene); the options of rules that are
true (``recommended``) or unknown (``conditional``), merged by option id keeping the
best tier and every reason and source; per-option exclusions, pack constraints and the
record's contraindications; cautions and dose notes for this patient; notes; and the
facts that are unknown and would change the result (``missing``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mmpath.assess import FACTS, Assessment
from mmpath.assess.fact import Value
from mmpath.assess.refractoriness import (
    CAUTION_CLASSES,
    SAME_TARGET_CLASSES,
    class_refractory_other,
    drug_refractory,
    target_refractory,
)
from mmpath.catalogue import Catalogue
from mmpath.engine.conditions import NOTHING, Condition, Outcome, evaluate, fact_names
from mmpath.engine.drug_notes import (
    DrugNote,
    drug_note_fact_names,
    drug_notes,
    maintenance_note,
    source_text,
)
from mmpath.engine.pack import TIER_RANK, Caution, OptionSpec, Pack, Rule, Target, Tier
from mmpath.engine.pathway import plan
from mmpath.engine.vocabulary import NAMES
from mmpath.recommendation import (
    AvailabilityOut,
    CautionOut,
    ExcludedOut,
    FactOut,
    GuidelineOut,
    MissingOut,
    NoteOut,
    OptionOut,
    ResultOut,
    SourceOut,
)


@dataclass
class _Option:
    id: str
    spec: OptionSpec
    drugs: tuple[str, ...]
    name: str
    order: int
    contributions: list[tuple[Rule, OptionSpec, bool | None, frozenset[str]]] = field(
        default_factory=list
    )
    drug_set: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.drug_set = frozenset(self.drugs)

    @property
    def tier(self) -> Tier:
        return min((c[1].tier for c in self.contributions), key=TIER_RANK.__getitem__)

    @property
    def recommended(self) -> bool:
        return any(c[2] is True for c in self.contributions)

    @property
    def requires(self) -> frozenset[str]:
        if self.recommended:
            return NOTHING
        return frozenset().union(*(c[3] for c in self.contributions))


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


REFRACTORY_RULE = "mmpath rule: drug refractoriness (IMWG, Rajkumar 2011)"
CLASS_RULE = "mmpath rule: refractory to another drug of the same class (anti-CD38: same target)"
INTOLERANCE_RULE = "mmpath rule: intolerance recorded in the patient record"
CONTRAINDICATION_RULE = "mmpath rule: contraindication recorded in the patient record"


class PackEvaluator:
    """Evaluates one pack; holds the catalogue lookups it needs."""

    def __init__(self, pack: Pack, catalogue: Catalogue) -> None:
        self.pack = pack
        self.catalogue = catalogue
        self.fired: list[str] = []
        self._refractory: dict[str, tuple[Value, str]] = {}
        self._class_hits: dict[str, list[tuple[str, str, str]]] = {}
        self._sources: dict[str, SourceOut] = {}
        self._outcomes: dict[int, Outcome] = {}

    def refractory(self, facts: Assessment, drug: str) -> tuple[Value, str]:
        """``drug_refractory`` remembered for this run (options share drugs)."""
        found = self._refractory.get(drug)
        if found is None:
            found = self._refractory[drug] = drug_refractory(facts, drug)
        return found

    def target_refractory(self, facts: Assessment, drug: str) -> tuple[Value, str]:
        """``target_refractory`` (anti-CD38 by target) remembered for this run."""
        key = f"target:{drug}"
        found = self._refractory.get(key)
        if found is None:
            found = self._refractory[key] = target_refractory(facts, drug)
        return found

    def _fire(self, what: str) -> None:
        if what not in self.fired:
            self.fired.append(what)

    def sources(self, keys: list[str]) -> list[SourceOut]:
        return [self._source(key) for key in dict.fromkeys(keys)]

    def _source(self, key: str) -> SourceOut:
        """One quote as output, made once per run (options share quotes)."""
        found = self._sources.get(key)
        if found is None:
            q = self.pack.quotes[key]
            found = self._sources[key] = SourceOut(
                document=self.pack.source_document,
                section=q.section,
                quote=q.quote,
                english=q.english,
                grade=q.grade,
            )
        return found

    def check(self, condition: Condition, facts: Assessment) -> Outcome:
        """``evaluate`` remembered for this run: cautions, dose notes and constraints are
        checked once per option, but their conditions read only the patient's facts."""
        found = self._outcomes.get(id(condition))
        if found is None:
            found = self._outcomes[id(condition)] = evaluate(condition, facts)
        return found

    def identify(self, spec: OptionSpec) -> tuple[str, tuple[str, ...], str]:
        if spec.kind == "regimen":
            regimen = self.catalogue.regimen(spec.code)
            if regimen is None:
                raise ValueError(f"pack {self.pack.id}: unknown regimen {spec.code!r}")
            return regimen.id, regimen.drugs, regimen.name
        return spec.code, (), NAMES[spec.kind].get(spec.code, spec.code.replace("_", " "))

    def matches(self, target: Target, option: _Option) -> bool:
        if target.rules and not any(c[0].id in target.rules for c in option.contributions):
            return False
        if not (target.drugs or target.classes or target.options or target.max_drugs):
            return True
        # any one of the selectors given matches
        drugs = option.drug_set
        return bool(
            (target.drugs and not drugs.isdisjoint(target.drugs))
            or (
                target.classes
                and any(not self.catalogue.classes_of(d).isdisjoint(target.classes) for d in drugs)
            )
            or (target.options and option.id in target.options)
            or (target.max_drugs and drugs and len(drugs) <= target.max_drugs)
        )

    def run(self, facts: Assessment) -> ResultOut:
        pack = self.pack
        self.fired = []
        self._refractory = {}
        self._class_hits = {}
        self._sources = {}
        self._outcomes = {}
        missing = _Missing()
        applies = evaluate(pack.applicability.condition, facts)
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
        annotations = []
        for note in pack.notes:
            if applies[0] is False:
                break
            value, unknown = _and(applies, evaluate(note.condition, facts))
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
            guideline=GuidelineOut(
                id=pack.id,
                title=pack.title,
                version=pack.version,
                source_document=pack.source_document,
                language=pack.language,
                organisation=pack.organisation,
                source_limitations=pack.source_limitations,
            ),
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
            rule_value = _and(applies, evaluate(rule.condition, facts))
            if rule_value[0] is False:
                continue
            self._fire(f"rule:{rule.id}")
            for spec in rule.options:
                order += 1
                value = _and(rule_value, evaluate(spec.condition, facts))
                if value[0] is False:
                    continue
                oid, drugs, name = self.identify(spec)
                if spec.exclusion is not None:
                    out, unknown = evaluate(spec.exclusion, facts)
                    if out is True:
                        excluded.setdefault(
                            oid,
                            ExcludedOut(
                                id=oid,
                                kind=spec.kind,
                                name=name,
                                drugs=list(drugs) if drugs else None,
                                reason=spec.exclude_reason or "",
                                sources=self.sources(spec.sources or rule.sources),
                                provenance="guideline",
                            ),
                        )
                        continue
                    if out is None:
                        value = (None, value[1] | unknown)
                key = oid if spec.phase is None else f"{oid}@{spec.phase}"
                option = options.setdefault(key, _Option(oid, spec, drugs, name, order))
                option.contributions.append((rule, spec, value[0], value[1]))
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
                        sources=self.sources(ex.sources),
                        provenance="guideline",
                    ),
                )

    def _constrain(
        self,
        facts: Assessment,
        options: dict[str, _Option],
        excluded: dict[str, ExcludedOut],
        missing: _Missing,
    ) -> None:
        for key, option in list(options.items()):
            oid = option.id
            reason, sources = self._exclusion(facts, option, missing)
            if reason is not None:
                del options[key]
                excluded.setdefault(
                    oid,
                    ExcludedOut(
                        id=oid,
                        kind=option.spec.kind,
                        name=option.name,
                        drugs=list(option.drugs) if option.drugs else None,
                        reason=reason,
                        sources=sources,
                        provenance="guideline" if sources else "mmpath_rule",
                    ),
                )
            elif not option.recommended:
                missing.add(option.requires, oid)

    def _exclusion(
        self, facts: Assessment, option: _Option, missing: _Missing
    ) -> tuple[str | None, list[SourceOut]]:
        for drug in option.drugs:
            why = facts.contraindicated(drug)
            if why is not None:
                return why, []
        for constraint in self.pack.constraints:
            if not self.matches(constraint.applies_to, option):
                continue
            if constraint.refractory_to_all_active_drugs:
                active = self.catalogue.active_drugs(option.drugs)
                verdicts = [self.target_refractory(facts, d)[0] for d in sorted(active)]
                if active and all(v is True for v in verdicts):
                    self._fire(f"constraint:{constraint.id}")
                    drugs = ", ".join(
                        d if self.refractory(facts, d)[0] is True else f"{d} by target"
                        for d in sorted(active)
                    )
                    return f"{constraint.reason} ({drugs})", self.sources(constraint.sources)
                if active and all(v is not False for v in verdicts):
                    # refractory to some drugs, unknown for the rest: the exclusion is unknown
                    self._fire(f"constraint:{constraint.id}")
                    unknown = frozenset(
                        f"{d}_refractory"
                        for d, v in zip(sorted(active), verdicts, strict=True)
                        if v is None and f"{d}_refractory" in FACTS
                    )
                    option.contributions = [
                        (rule, spec, None if v else v, req | unknown)
                        for rule, spec, v, req in option.contributions
                    ]
                continue
            value, unknown = self.check(constraint.condition, facts)
            if value is not False:
                self._fire(f"constraint:{constraint.id}")
            if value is True:
                # say why it holds for this patient, not only the general rule
                names = dict.fromkeys(fact_names(constraint.condition))
                here = "; ".join(facts.get(name).why for name in names)
                return f"{constraint.reason} (this patient: {here})", self.sources(
                    constraint.sources
                )
            if value is None:
                option.contributions = [
                    (rule, spec, None if v else v, req | unknown)
                    for rule, spec, v, req in option.contributions
                ]
        return None, []

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
        cautions = self._cautions(self.pack.cautions, option, facts, missing)
        dosing = [
            c.model_copy(update={"severity": "dose"})
            for c in self._cautions(self.pack.dosing, option, facts, missing)
        ]
        dosing += self._drug_notes(option, facts, missing)
        for drug in sorted(self.catalogue.active_drugs(option.drugs)):
            refractory, why = self.refractory(facts, drug)
            if refractory is True:
                cautions.append(
                    CautionOut(
                        id=f"refractory-{drug}",
                        text=f"Refractory to {drug}: {why}.",
                        applies=True,
                        requires=[],  # given, not defaulted: pydantic deep-copies defaults
                        sources=[],
                        provenance="mmpath_rule",
                        source=REFRACTORY_RULE,
                    )
                )
        cautions += self._class_refractoriness(option, facts)
        for drug in option.drugs:
            if facts.intolerant(drug):
                cautions.append(
                    CautionOut(
                        id=f"intolerance-{drug}",
                        text=f"The record says the patient did not tolerate {drug}.",
                        applies=True,
                        requires=[],
                        sources=[],
                        provenance="mmpath_rule",
                        source=INTOLERANCE_RULE,
                    )
                )
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
            phase=spec.phase,
            requires=sorted(option.requires),
            rationale=rationale,
            rules=list(dict.fromkeys(c[0].id for c in contributions)),
            grade=_joined(s.grade for _, s, _, _ in contributions),
            details=_joined(s.details for _, s, _, _ in contributions),
            sources=self.sources(keys),
            cautions=cautions,
            dosing=dosing,
            availability=availability,
        )

    def _class_refractoriness(self, option: _Option, facts: Assessment) -> list[CautionOut]:
        """mmpath's rule: an option with a drug of a class (anti-CD38, PI, IMiD) the patient
        is refractory to through another drug of that class is flagged (one caution per drug
        and class); for anti-CD38 antibodies (one target, CD38) as refractoriness to the
        target. A drug the patient is refractory to itself has its own caution instead."""
        out = []
        for drug in sorted(self.catalogue.active_drugs(option.drugs)):
            if self.refractory(facts, drug)[0] is True:
                continue
            key = f"class:{drug}"
            if key not in self._class_hits:
                self._class_hits[key] = class_refractory_other(facts, drug)
            by_class: dict[str, list[str]] = {}
            for klass, other, why in self._class_hits[key]:
                if other not in option.drugs:  # the option's own drugs have their own caution
                    by_class.setdefault(klass, []).append(f"{other} ({why})")
            for klass, reasons in by_class.items():
                label = CAUTION_CLASSES[klass]
                same = (
                    f"same target: {drug} is {label} too"
                    if klass in SAME_TARGET_CLASSES
                    else f"{drug} is {label} too; the guideline's own rules decide whether it "
                    "is still an option"
                )
                out.append(
                    CautionOut(
                        id=f"class-refractory-{klass}-{drug}",
                        text=f"Refractory to {label} ({same}): {'; '.join(reasons)}.",
                        applies=True,
                        requires=[],
                        sources=[],
                        severity=None if klass in SAME_TARGET_CLASSES else "information",
                        provenance="mmpath_rule",
                        source=CLASS_RULE,
                    )
                )
        return out

    def _cautions(
        self, items: list[Caution], option: _Option, facts: Assessment, missing: _Missing
    ) -> list[CautionOut]:
        out = []
        for caution in items:
            if not self.matches(caution.applies_to, option):
                continue
            value, unknown = self.check(caution.condition, facts)
            if value is False:
                continue
            missing.add(unknown, f"caution:{caution.id}")
            self._fire(f"caution:{caution.id}")
            target = caution.applies_to
            if value is None and not (target.drugs or target.classes or target.options):
                continue  # an unknown general caution is listed under missing, not on every option
            out.append(
                CautionOut(
                    id=caution.id,
                    text=render_text(caution.text, facts),
                    applies=value,
                    requires=sorted(unknown),
                    sources=self.sources(caution.sources),
                    provenance="guideline",
                )
            )
        return out

    def is_maintenance(self, option: _Option) -> bool:
        """A maintenance option: phase maintenance, or a regimen the catalogue gives only as
        maintenance (lenalidomide alone, D-R, Isa-R, KR)."""
        if option.spec.phase == "maintenance":
            return True
        regimen = self.catalogue.regimen(option.id) if option.spec.kind == "regimen" else None
        return regimen is not None and regimen.setting == "maintenance"

    def _drug_notes(
        self, option: _Option, facts: Assessment, missing: _Missing
    ) -> list[CautionOut]:
        """Kidney-function dose notes from the product labels (``dose_notes.yaml``); a
        maintenance option gets no relapse / induction starting dose but the prompt to use
        the label's maintenance adjustment; while undecided, one 'check' line per drug."""
        out = []
        notes: list[DrugNote] = drug_notes()
        maintenance = self.is_maintenance(option)
        for drug in option.drugs:
            applying: list[DrugNote] = []
            undecided: list[DrugNote] = []
            requires: set[str] = set()
            for note in (n for n in notes if n.drug == drug):
                value, unknown = self.check(note.condition, facts)
                if value is True:
                    applying.append(note)
                elif value is None:
                    undecided.append(note)
                    requires |= unknown
                    missing.add(unknown, f"dosing:{note.id}")
            starting = [n for n in applying if n.scope == "starting"]
            if maintenance and starting:
                nid, text = maintenance_note(drug, starting)
                out.append(
                    CautionOut(
                        id=nid,
                        text=text,
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
                out.append(
                    CautionOut(
                        id=f"{drug}-kidney-function-unknown",
                        text=f"Not settled ({', '.join(sorted(requires))} unknown): the dose of "
                        f"{drug} depends on kidney function and the label that applies.",
                        applies=None,
                        requires=sorted(requires),
                        sources=list(undecided[0].sources),
                        severity="dose",
                        provenance="label",
                        source=undecided[0].source,
                    )
                )
        return out

    def _facts(self, facts: Assessment) -> dict[str, FactOut]:
        names = sorted(fact_names_read(self.pack))
        out = {}
        for name in names:
            f = facts.get(name)
            out[name] = FactOut(
                value=f.value,
                asserted=f.asserted,
                why=f.why,
                definition=f.definition,
                warnings=list(f.warnings),
            )
        return out


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
        shown = "unknown" if f.value is None else str(f.value).lower()
        reasons.append(f"{name}: {shown} ({f.why})")
    return (
        f"{pack.applicability.not_applicable} — " + "; ".join(reasons)
        if reasons
        else (pack.applicability.not_applicable)
    )


def fact_names_read(pack: Pack) -> set[str]:
    """The facts the pack's conditions and the dose notes read (shown in the output)."""
    names = set(pack.fact_names | drug_note_fact_names())
    if any(c.refractory_to_all_active_drugs for c in pack.constraints):
        names |= refractory_facts_read(pack)
    return names


def refractory_facts_read(pack: Pack) -> set[str]:
    """The drug refractoriness facts a refractory-to-all-active-drugs constraint reads."""
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


def _placeholders(text: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(text) if name]
