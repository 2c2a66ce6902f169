"""A pack compiled once for evaluation: what does not depend on the patient, prepared.

``PackEvaluator`` (``engine.evaluate``) evaluates a :class:`CompiledPack`; each run keeps
its own memo (``engine.evaluate._Run``) and the compiled pack is never written after it
is built, so one compiled pack serves every request and thread. Built on first use per
loaded pack (:func:`compiled`) and kept for the process:

- every condition of the pack, of the product-label cautions and of the kidney dose
  notes compiled to one generated Python function (``engine.codegen``) that evaluates
  them all, reading each fact once; a run looks an outcome up by the condition;
- each option's catalogue identity (id, drugs, name), its active (non-steroid) drugs
  and whether it is a maintenance option;
- each quote's output object (``SourceOut``) and the result's ``guideline`` block
  (``GuidelineOut``), built once and shared (never mutated);
- the names of the facts the result shows (``fact_names_read``), sorted;
- the kidney dose notes by drug;
- which options each constraint, caution and dose note selects (drugs, classes, ids);
- per option, the pack's cautions and dose notes whose target selects it by drugs,
  classes, id or size (:class:`OptionChecks`; the run still applies a ``rules`` selector),
  and the product-label cautions about its drugs that no pack caution replaces;
- the texts of mmpath's own safety rules, from the shipped library mm-common.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from mmpath.catalogue import Catalogue
from mmpath.engine.codegen import compile_program
from mmpath.engine.conditions import Condition, fact_names
from mmpath.engine.drug_notes import DrugNote, drug_note_fact_names, drug_notes
from mmpath.engine.label_cautions import LabelCaution, label_cautions
from mmpath.engine.pack import Caution, OptionSpec, Pack, Target
from mmpath.engine.vocabulary import NAMES
from mmpath.recommendation import GuidelineOut, SourceOut


@dataclass(frozen=True, slots=True)
class OptionInfo:
    """What an option is, independent of the patient."""

    id: str
    drugs: tuple[str, ...]
    name: str
    drug_set: frozenset[str]
    classes: frozenset[str]
    """the drug classes of the option's drugs"""
    active: tuple[str, ...]
    """the option's drugs other than corticosteroids, sorted"""
    maintenance: bool
    """phase maintenance, or a regimen the catalogue gives only as maintenance"""


@dataclass(frozen=True, slots=True)
class OptionChecks:
    """The cautions that can apply to one option, chosen once from its drugs and id."""

    cautions: tuple[Caution, ...]
    """the pack's ``cautions`` whose target selects the option (pack order)"""
    dosing: tuple[Caution, ...]
    """the pack's ``dosing`` notes whose target selects the option (pack order)"""
    labels: tuple[LabelCaution, ...]
    """the product-label cautions about the option's drugs that no pack caution on the
    same drug and comorbidity replaces (``label_cautions`` order)"""


class CompiledPack:
    """One pack prepared for evaluation (read-only once built)."""

    def __init__(self, pack: Pack, catalogue: Catalogue) -> None:
        from mmpath.assess import defined
        from mmpath.engine.evaluate import fact_names_read

        self.pack = pack
        self.catalogue = catalogue
        assert defined.SHIPPED_LIBRARY is not None  # registered when mmpath.assess loads
        self.safety = defined.SHIPPED_LIBRARY.safety
        """mmpath's safety rules: texts, severities, provenance (mm-common ``safety:``)"""
        notes = drug_notes()
        conditions = [condition for _, _, condition in pack.located_conditions()]
        conditions += [caution.condition for caution in label_cautions()]
        conditions += [note.condition for note in notes]
        self.program = compile_program(conditions, pack.id)
        """every condition above evaluated in one call, each fact read once: a run
        evaluates them all (every fact they read is shown in the output, so all are
        derived anyway) and looks the outcomes up by :meth:`index`"""
        self._index: dict[int, tuple[Condition, int]] = {
            id(condition): (condition, i) for i, condition in enumerate(conditions)
        }
        self.notes_shared = pack.scope.keys().isdisjoint(drug_note_fact_names())
        """whether the dose notes read no fact the pack defines itself: then one drug's
        notes are the same for every pack of an assessment (``_Run._notes_for``)"""
        self.notes_by_drug: dict[str, tuple[DrugNote, ...]] = {}
        for note in notes:
            self.notes_by_drug[note.drug] = (*self.notes_by_drug.get(note.drug, ()), note)
        self.guideline = GuidelineOut(
            id=pack.id,
            title=pack.title,
            version=pack.version,
            source_document=pack.source_document,
            language=pack.language,
            organisation=pack.organisation,
            source_limitations=pack.source_limitations,
        )
        """the result's ``guideline`` block (built once, shared by every result; read-only)"""
        self.sources = {
            key: SourceOut(
                document=pack.source_document,
                section=q.section,
                quote=q.quote,
                english=q.english,
                grade=q.grade,
            )
            for key, q in pack.quotes.items()
        }
        self.facts_read: tuple[str, ...] = tuple(sorted(fact_names_read(pack)))
        self.shown_facts: tuple[tuple[str, tuple[str, str], bool], ...] = tuple(
            (name, ("fact-out", name), name in pack.scope) for name in self.facts_read
        )
        """per shown fact: its name, its key in the assessment's memo of fact outputs, and
        whether the pack defines it itself (then its output is the pack's own)"""
        self.options: dict[int, OptionInfo] = {
            id(spec): self._option(spec) for rule in pack.rules for spec in rule.options
        }
        targets = [
            item.applies_to
            for group in (pack.constraints, pack.cautions, pack.dosing)
            for item in group
        ]
        self._targets: dict[tuple[int, int], bool] = {
            (id(target), key): self._matches(target, info)
            for target in targets
            for key, info in self.options.items()
        }
        self.label_sources: dict[str, str] = {c.id: c.source for c in label_cautions()}
        """each product-label caution's ``source`` text, by caution id"""
        self._label_facts = {c.id: c.facts for c in label_cautions()}
        self._own_facts = [frozenset(fact_names(own.condition)) for own in pack.cautions]
        self.checks: dict[int, OptionChecks] = {
            key: self._option_checks(key, info) for key, info in self.options.items()
        }

    def _option_checks(self, key: int, info: OptionInfo) -> OptionChecks:
        def selected(items: list[Caution]) -> tuple[Caution, ...]:
            return tuple(c for c in items if self._targets[(id(c.applies_to), key)])

        labels = tuple(
            c
            for c in label_cautions()
            if not c.drugs.isdisjoint(info.drug_set) and not self._pack_covers(c, info)
        )
        return OptionChecks(selected(self.pack.cautions), selected(self.pack.dosing), labels)

    def _pack_covers(self, caution: LabelCaution, info: OptionInfo) -> bool:
        """Whether one of the pack's own cautions on a drug of the option that ``caution``
        is about reads the same comorbidity (the guideline's words then stand alone)."""
        drugs = caution.drugs & info.drug_set
        for own, own_facts in zip(self.pack.cautions, self._own_facts, strict=True):
            target = own.applies_to
            about_drug = not drugs.isdisjoint(target.drugs) or any(
                not self.catalogue.classes_of(d).isdisjoint(target.classes) for d in drugs
            )
            if about_drug and not self._label_facts[caution.id].isdisjoint(own_facts):
                return True
        return False

    def _matches(self, target: Target, info: OptionInfo) -> bool:
        if not (target.drugs or target.classes or target.options or target.max_drugs):
            return True
        # any one of the selectors given matches
        drugs = info.drug_set
        return bool(
            (target.drugs and not drugs.isdisjoint(target.drugs))
            or (target.classes and not info.classes.isdisjoint(target.classes))
            or (target.options and info.id in target.options)
            or (target.max_drugs and drugs and len(drugs) <= target.max_drugs)
        )

    def matches(self, target: Target, spec: OptionSpec) -> bool:
        """Whether a constraint, caution or dose note's target selects the option by its
        drugs, classes, id or size (the ``rules`` selector depends on the run)."""
        found = self._targets.get((id(target), id(spec)))
        if found is None:
            return self._matches(target, self.option(spec))
        return found

    def index(self, condition: Condition) -> int | None:
        """Where ``condition``'s outcome is in the :attr:`program`'s result (None: not a
        condition of this pack)."""
        found = self._index.get(id(condition))
        return found[1] if found is not None and found[0] is condition else None

    def _option(self, spec: OptionSpec) -> OptionInfo:
        if spec.kind == "regimen":
            regimen = self.catalogue.regimen(spec.code)
            if regimen is None:
                raise ValueError(f"pack {self.pack.id}: unknown regimen {spec.code!r}")
            oid, drugs, name = regimen.id, regimen.drugs, regimen.name
            listed = self.catalogue.regimen(oid)
            maintenance = spec.phase == "maintenance" or (
                listed is not None and listed.setting == "maintenance"
            )
        else:
            oid, drugs = spec.code, ()
            name = NAMES[spec.kind].get(spec.code, spec.code.replace("_", " "))
            maintenance = spec.phase == "maintenance"
        active = tuple(sorted(self.catalogue.active_drugs(drugs)))
        classes = frozenset(k for d in drugs for k in self.catalogue.classes_of(d))
        return OptionInfo(oid, drugs, name, frozenset(drugs), classes, active, maintenance)

    def option(self, spec: OptionSpec) -> OptionInfo:
        return self.options[id(spec)]

    def option_checks(self, spec: OptionSpec) -> OptionChecks:
        """The cautions, dose notes and label cautions that can apply to the option."""
        return self.checks[id(spec)]


_cache: dict[int, tuple[Pack, CompiledPack]] = {}
_lock = threading.Lock()


def compiled(pack: Pack, catalogue: Catalogue) -> CompiledPack:
    """The compiled form of ``pack`` (built on first use, kept for the process)."""
    found = _cache.get(id(pack))
    if found is not None and found[0] is pack and found[1].catalogue is catalogue:
        return found[1]
    with _lock:
        found = _cache.get(id(pack))
        if found is None or found[0] is not pack or found[1].catalogue is not catalogue:
            found = _cache[id(pack)] = (pack, CompiledPack(pack, catalogue))
    return found[1]
