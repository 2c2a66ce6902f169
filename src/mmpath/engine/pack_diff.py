"""`mmpath pack diff OLD NEW`: what changed between two versions of a pack, in clinical
terms, and which patients (vignettes) it changes the outcome for.

For guideline committees reviewing an update and for the audit trail (which stores pack
versions): a YAML diff says which lines moved; this says "rule X: option Kd re-tiered
preferred → alternative", "constraint Y added", "quote Z: the sentence changed", and
runs every vignette record through both versions to list the patients whose options,
tiers, statuses, exclusions or cautions differ.

Things are matched by id: rules, constraints, cautions, dose notes and notes by their
``id``, quotes by key, options within a rule by option id (the catalogue regimen id, so
``Dara-Vd`` and ``DVd`` are one option) and phase.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import BaseModel

from mmpath.assess import Assessment
from mmpath.catalogue import Catalogue, load_catalogue
from mmpath.engine.conditions import Condition, describe
from mmpath.engine.evaluate import PackEvaluator
from mmpath.engine.pack import Caution, Constraint, Note, OptionSpec, Pack, Rule
from mmpath.recommendation import ResultOut
from mmpath.record.errors import RecordError
from mmpath.record.load import parse_record


@dataclass(frozen=True)
class Change:
    """One clinical change: ``what`` changed (``added``, ``removed``, ``changed``,
    ``re-tiered``), and how."""

    what: str
    change: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.what}: {self.change}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class OutcomeChange:
    """A vignette patient whose result differs between the two versions."""

    vignette: str
    title: str
    changes: list[str]


@dataclass
class PackDiff:
    old: Pack
    new: Pack
    changes: list[Change] = field(default_factory=list)
    outcomes: list[OutcomeChange] = field(default_factory=list)
    same_outcome: int = 0
    """vignettes evaluated whose outcome is the same under both versions"""
    skipped: list[str] = field(default_factory=list)
    """vignettes that could not be evaluated (the record is refused), with why"""

    def as_json(self) -> dict[str, object]:
        return {
            "old": {"id": self.old.id, "version": self.old.version},
            "new": {"id": self.new.id, "version": self.new.version},
            "changes": [asdict(c) for c in self.changes],
            "outcomes": [asdict(o) for o in self.outcomes],
            "same_outcome": self.same_outcome,
            "skipped": self.skipped,
        }

    def lines(self) -> list[str]:
        """The diff as plain text, one statement per line."""
        out = [f"{self.old.id} {self.old.version} → {self.new.id} {self.new.version}"]
        out += [f"  {c}" for c in self.changes] or ["  no clinical change in the pack"]
        evaluated = len(self.outcomes) + self.same_outcome
        out.append(
            f"vignettes: {len(self.outcomes)} of {evaluated} change outcome"
            + (f", {len(self.skipped)} not evaluated" if self.skipped else "")
        )
        for outcome in self.outcomes:
            out.append(f"  {outcome.vignette} ({outcome.title})")
            out += [f"    {c}" for c in outcome.changes]
        out += [f"  not evaluated: {s}" for s in self.skipped]
        return out


# -- the packs ------------------------------------------------------------------------------


def _text(value: object) -> str:
    if isinstance(value, BaseModel):
        return json.dumps(value.model_dump(exclude_defaults=True), ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return "none" if value is None else str(value)


def _fields(what: str, old: object, new: object, names: Sequence[str]) -> list[Change]:
    changes = []
    for name in names:
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            changes.append(Change(what, "changed", f"{name} {_text(a)} → {_text(b)}"))
    return changes


def _condition(what: str, old: Condition, new: Condition) -> list[Change]:
    if old == new:
        return []
    return [Change(what, "changed", f"condition {describe(old)} → {describe(new)}")]


def _option_key(option: OptionSpec, catalogue: Catalogue) -> str:
    regimen = catalogue.regimen(option.code) if option.kind == "regimen" else None
    code = regimen.id if regimen is not None else option.code
    return f"{code}@{option.phase}" if option.phase else code


def _options(rule_what: str, old: Rule, new: Rule, catalogue: Catalogue) -> list[Change]:
    before = {_option_key(o, catalogue): o for o in old.options}
    after = {_option_key(o, catalogue): o for o in new.options}
    changes = []
    for key, option in after.items():
        what = f"{rule_what} option {key}"
        if key not in before:
            changes.append(Change(what, "added", f"{option.tier}{_when(option.condition)}"))
            continue
        was = before[key]
        if was.tier != option.tier:
            changes.append(Change(what, "re-tiered", f"{was.tier} → {option.tier}"))
        changes += _condition(what, was.condition, option.condition)
        if was.exclusion != option.exclusion:
            a = describe(was.exclusion) if was.exclusion else "none"
            b = describe(option.exclusion) if option.exclusion else "none"
            changes.append(Change(what, "changed", f"excluded when {a} → {b}"))
        changes += _fields(
            what,
            was,
            option,
            ("exclude_reason", "rationale", "grade", "details", "sources"),
        )
        if was.availability != option.availability:
            a = "; ".join(x.text for x in was.availability) or "none"
            b = "; ".join(x.text for x in option.availability) or "none"
            changes.append(Change(what, "changed", f"availability {a} → {b}"))
    changes += [
        Change(f"{rule_what} option {key}", "removed", f"was {option.tier}")
        for key, option in before.items()
        if key not in after
    ]
    return changes


def _when(condition: Condition) -> str:
    text = describe(condition)
    return "" if text == "always" else f", when {text}"


def _rules(old: Pack, new: Pack, catalogue: Catalogue) -> list[Change]:
    before = {r.id: r for r in old.rules}
    changes = []
    for rule in new.rules:
        what = f"rule {rule.id}"
        was = before.get(rule.id)
        if was is None:
            offered = ", ".join(f"{_option_key(o, catalogue)} ({o.tier})" for o in rule.options)
            changes.append(
                Change(what, "added", f"when {describe(rule.condition)}: {offered or 'no option'}")
            )
            continue
        changes += _condition(what, was.condition, rule.condition)
        changes += _fields(what, was, rule, ("title", "rationale", "sources"))
        changes += _options(what, was, rule, catalogue)
        ex_before = {e.regimen or e.procedure: e for e in was.excluded}
        ex_after = {e.regimen or e.procedure: e for e in rule.excluded}
        changes += [
            Change(f"{what} excludes {k}", "added", e.reason)
            for k, e in ex_after.items()
            if k not in ex_before
        ]
        changes += [
            Change(f"{what} excludes {k}", "removed", e.reason)
            for k, e in ex_before.items()
            if k not in ex_after
        ]
        changes += [
            c
            for k, e in ex_after.items()
            if k in ex_before
            for c in _fields(f"{what} excludes {k}", ex_before[k], e, ("reason", "sources"))
        ]
    after = {r.id for r in new.rules}
    changes += [
        Change(f"rule {r.id}", "removed", f"was when {describe(r.condition)}")
        for r in old.rules
        if r.id not in after
    ]
    return changes


def _items(
    kind: str,
    old: Iterable[Constraint | Caution | Note],
    new: Iterable[Constraint | Caution | Note],
    names: Sequence[str],
) -> list[Change]:
    before = {i.id: i for i in old}
    after = {i.id: i for i in new}
    changes = []
    for item_id, item in after.items():
        what = f"{kind} {item_id}"
        was = before.get(item_id)
        if was is None:
            changes.append(Change(what, "added", f"when {describe(item.condition)}"))
            continue
        changes += _condition(what, was.condition, item.condition)
        changes += _fields(what, was, item, [n for n in names if hasattr(item, n)])
    changes += [
        Change(f"{kind} {item_id}", "removed") for item_id in before if item_id not in after
    ]
    return changes


def _quotes(old: Pack, new: Pack) -> list[Change]:
    changes = []
    for key, quote in new.quotes.items():
        was = old.quotes.get(key)
        if was is None:
            changes.append(Change(f"quote {key}", "added", quote.quote))
            continue
        changes += _fields(f"quote {key}", was, quote, ("quote", "english", "section", "grade"))
    changes += [
        Change(f"quote {key}", "removed", quote.quote)
        for key, quote in old.quotes.items()
        if key not in new.quotes
    ]
    return changes


def pack_changes(old: Pack, new: Pack, catalogue: Catalogue | None = None) -> list[Change]:
    """The clinical changes from ``old`` to ``new``, in pack order."""
    catalogue = catalogue or load_catalogue()
    changes = _fields(
        "pack",
        old,
        new,
        (
            "id",
            "version",
            "title",
            "organisation",
            "language",
            "published",
            "source_document",
            "source_limitations",
            "regions",
            "phases",
        ),
    )
    changes += _condition("applicability", old.applicability.condition, new.applicability.condition)
    changes += _fields("applicability", old.applicability, new.applicability, ("text",))
    changes += _rules(old, new, catalogue)
    target = ("applies_to", "reason", "sources")
    changes += _items("constraint", old.constraints, new.constraints, target)
    cautions = ("applies_to", "text", "sources", "severity")
    changes += _items("caution", old.cautions, new.cautions, cautions)
    changes += _items("dose note", old.dosing, new.dosing, cautions)
    changes += _items("note", old.notes, new.notes, ("text", "sources"))
    changes += _quotes(old, new)
    return changes


# -- the patients ---------------------------------------------------------------------------


def outcome(result: ResultOut) -> dict[str, str]:
    """What a patient is offered: applicability, each option's tier, status and cautions,
    each exclusion and what made it."""
    summary = {"applicable": _text(result.applicable)}
    for option in result.options:
        key = f"{option.id}@{option.phase}" if option.phase else option.id
        cautions = sorted(c.id for c in (*option.cautions, *option.dosing) if c.applies)
        summary[key] = f"{option.tier}, {option.status}" + (
            f"; cautions {', '.join(cautions)}" if cautions else ""
        )
    for excluded in result.excluded:
        summary.setdefault(excluded.id, f"excluded ({excluded.by or 'source'})")
    for step in result.pathway or []:
        summary[f"phase {step.phase}"] = step.status
    return summary


def compare_outcomes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    keys = [*before, *(k for k in after if k not in before)]
    return [
        f"{key}: {before.get(key, 'not offered')} → {after.get(key, 'not offered')}"
        for key in keys
        if before.get(key) != after.get(key)
    ]


def diff(old: Pack, new: Pack, vignettes: Sequence[Path] = ()) -> PackDiff:
    """Compare two versions of a pack, and evaluate each vignette's record under both."""
    catalogue = load_catalogue()
    result = PackDiff(old, new, pack_changes(old, new, catalogue))
    for path in vignettes:
        data = json.loads(path.read_text("utf-8"))
        try:
            facts = Assessment(parse_record(data["record"]))
            before = PackEvaluator(old, catalogue).run(facts)
            after = PackEvaluator(new, catalogue).run(facts)
        except RecordError as error:
            result.skipped.append(f"{path.name}: {'; '.join(map(str, error.problems))}")
            continue
        changed = compare_outcomes(outcome(before), outcome(after))
        if changed:
            result.outcomes.append(OutcomeChange(path.name, str(data.get("title", "")), changed))
        else:
            result.same_outcome += 1
    return result
