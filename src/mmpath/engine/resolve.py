"""Resolve every name a pack takes from outside itself, when the pack is loaded.

A pack names facts (``assess``), regimens, drugs and drug classes (``catalogue``) and the
codes of non-drug options (``engine.vocabulary``). A misspelt name must refuse the pack
at load, with the place it stands, not raise ``KeyError`` while a patient is evaluated.
Checked here:

- every fact a condition or a ``{placeholder}`` reads exists, and is used as its kind
  allows: a boolean fact bare (or compared with true/false), a number compared with a
  number, a text compared with text (``eq``, ``ne``, ``in``);
- every option's regimen is a catalogue regimen (id or alias); excluded regimens resolve;
- procedure, referral, observation and supportive codes are in the vocabulary;
- constraint, caution and dose-note targets name drugs by INN, known classes, and
  option ids the pack offers.

References inside the pack (quote keys, rule ids, phases, regions) are checked by the
pack model itself (``engine.pack``). Problems come back with their location in the pack
so that the loader can report ``pack.yaml:LINE``.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Iterable, Mapping

from mmpath.catalogue import Catalogue
from mmpath.engine.conditions import All, AnyOf, Compare, Condition, IsTrue, Loc, Not
from mmpath.engine.pack import Pack, Target
from mmpath.engine.vocabulary import NAMES

Problem = tuple[Loc, str]

ORDERED = frozenset({"lt", "le", "gt", "ge"})


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def unresolved(pack: Pack, kinds: Mapping[str, str], catalogue: Catalogue) -> list[Problem]:
    """Every name in ``pack`` that does not resolve.

    ``kinds`` maps each fact name the pack may read to its kind (boolean, number, string).
    """
    problems: list[Problem] = []
    for loc, _, condition in pack.located_conditions():
        problems += condition_problems(condition, loc, kinds)
    problems += _options(pack, catalogue)
    offered = option_ids(pack, catalogue)
    for group in ("constraints", "cautions", "dosing"):
        for i, item in enumerate(getattr(pack, group)):
            problems += _target(item.applies_to, (group, i, "applies_to"), catalogue, offered)
            if group != "constraints":
                problems += _placeholders(item.text, (group, i, "text"), kinds)
    for i, note in enumerate(pack.notes):
        problems += _placeholders(note.text, ("notes", i, "text"), kinds)
    return problems


def option_ids(pack: Pack, catalogue: Catalogue) -> set[str]:
    """The ids of the options the pack offers (catalogue regimen id, or the code)."""
    ids = set()
    for rule in pack.rules:
        for option in rule.options:
            regimen = catalogue.regimen(option.code) if option.kind == "regimen" else None
            ids.add(regimen.id if regimen is not None else option.code)
    return ids


def _fact(name: str, loc: Loc, kinds: Mapping[str, str]) -> tuple[str | None, list[Problem]]:
    kind = kinds.get(name)
    if kind is None:
        return None, [(loc, f"unknown fact {name!r}{_suggest(name, kinds)}")]
    return kind, []


def condition_problems(condition: Condition, loc: Loc, kinds: Mapping[str, str]) -> list[Problem]:
    """Names in ``condition`` that are unknown or read against their kind."""
    if isinstance(condition, IsTrue):
        kind, problems = _fact(condition.fact, loc, kinds)
        if kind is not None and kind != "boolean":
            problems.append(
                (
                    loc,
                    f"{condition.fact} is a {kind} fact: compare it ({{fact: {condition.fact}, "
                    f"eq: ...}}), it cannot stand alone",
                )
            )
        return problems
    if isinstance(condition, Compare):
        kind, problems = _fact(condition.fact, (*loc, "fact"), kinds)
        if kind is not None:
            problems += _comparison(condition, kind, (*loc, condition.op))
        return problems
    if isinstance(condition, All | AnyOf):
        key = "all" if isinstance(condition, All) else "any"
        return [
            p
            for i, item in enumerate(condition.items)
            for p in condition_problems(item, (*loc, key, i), kinds)
        ]
    if isinstance(condition, Not):
        return condition_problems(condition.item, (*loc, "not"), kinds)
    return []


def _comparison(condition: Compare, kind: str, loc: Loc) -> list[Problem]:
    values = condition.operand if isinstance(condition.operand, tuple) else (condition.operand,)
    fact, op = condition.fact, condition.op
    if kind == "boolean":
        if op not in ("eq", "ne") or not all(isinstance(v, bool) for v in values):
            return [
                (loc, f"{fact} is a boolean fact: write it bare, or with not, or eq true/false")
            ]
    elif kind == "number":
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return [(loc, f"{fact} is a number fact: compare it with a number")]
    elif kind == "string":
        if op in ORDERED:
            return [(loc, f"{fact} is a text fact: use eq, ne or in, not {op}")]
        if not all(isinstance(v, str) for v in values):
            return [(loc, f"{fact} is a text fact: compare it with text")]
    return []


def _options(pack: Pack, catalogue: Catalogue) -> list[Problem]:
    problems: list[Problem] = []
    for i, rule in enumerate(pack.rules):
        for j, option in enumerate(rule.options):
            loc: Loc = ("rules", i, "options", j, option.kind)
            if option.kind == "regimen":
                problems += _regimen(option.code, loc, catalogue, catalogue_only=True)
            else:
                problems += _code(option.kind, option.code, loc)
        for j, excluded in enumerate(rule.excluded):
            if excluded.regimen is not None:
                loc = ("rules", i, "excluded", j, "regimen")
                problems += _regimen(excluded.regimen, loc, catalogue, catalogue_only=False)
            if excluded.procedure is not None:
                problems += _code(
                    "procedure", excluded.procedure, ("rules", i, "excluded", j, "procedure")
                )
    return problems


def _regimen(name: str, loc: Loc, catalogue: Catalogue, *, catalogue_only: bool) -> list[Problem]:
    regimen = catalogue.regimen(name)
    if regimen is None:
        known = [*catalogue.regimens, *(a for r in catalogue.regimens.values() for a in r.aliases)]
        return [
            (loc, f"unknown regimen {name!r} (mmpath regimens lists them){_suggest(name, known)}")
        ]
    if catalogue_only and regimen.id not in catalogue.regimens:
        return [
            (
                loc,
                f"{name!r} is not a catalogue regimen (it reads as {', '.join(regimen.drugs)}): "
                "use a catalogue id or alias (mmpath regimens)",
            )
        ]
    return []


def _code(kind: str, code: str, loc: Loc) -> list[Problem]:
    known = NAMES[kind]
    if code in known:
        return []
    return [(loc, f"unknown {kind} {code!r}; known: {', '.join(sorted(known))}")]


def _target(target: Target, loc: Loc, catalogue: Catalogue, offered: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for i, drug in enumerate(target.drugs):
        if drug in catalogue.drugs:
            continue
        inn = catalogue.drug(drug)
        hint = f"; write the INN {inn!r}" if inn else _suggest(drug, catalogue.drugs)
        problems.append(((*loc, "drugs", i), f"unknown drug {drug!r}{hint}"))
    for i, name in enumerate(target.classes):
        if name not in catalogue.classes:
            problems.append(
                (
                    (*loc, "classes", i),
                    f"unknown drug class {name!r}{_suggest(name, catalogue.classes)}",
                )
            )
    for i, oid in enumerate(target.options):
        if oid not in offered:
            problems.append(
                ((*loc, "options", i), f"no option {oid!r} in this pack{_suggest(oid, offered)}")
            )
    return problems


def _placeholders(text: str, loc: Loc, kinds: Mapping[str, str]) -> list[Problem]:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as error:
        return [(loc, f"text has unbalanced braces ({error}); write {{{{ and }}}} for a brace")]
    problems: list[Problem] = []
    for name in names:
        if not name:
            problems.append((loc, "empty {} placeholder: name a fact, e.g. {creatinine_clearance}"))
        elif name not in kinds:
            problems.append((loc, f"placeholder {{{name}}}: unknown fact{_suggest(name, kinds)}"))
    return problems
