"""`mmpath lint`: check packs, catalogue and vignettes (docs/pack-format.md).

Checks: every pack validates; every regimen it names is in the catalogue; every fact it
reads exists and is used as its kind allows (booleans bare, numbers/strings compared);
every quote appears verbatim in the shipped source document (``verbatim``), and the
shipped copy equals the seed when the seeds folder is at hand; every quote is cited; no
condition is constant false; every vignette passes; and the vignettes together *assert*
every rule, constraint, caution and note of their pack: a vignette checks an option the
rule gives, an exclusion the constraint makes, or names the caution or note (a rule that
merely fired is untested).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mmpath.assess import FACTS
from mmpath.catalogue import load_catalogue
from mmpath.engine.conditions import Compare, Condition, Const, IsTrue, fact_names
from mmpath.engine.drug_notes import drug_notes
from mmpath.engine.pack import Pack
from mmpath.engine.packs import PackError, load_packs, source_text
from mmpath.engine.verbatim import appears
from mmpath.engine.vignettes import VignetteOutcome, run_folder


@dataclass
class LintReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    vignettes: list[VignetteOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _leaves(condition: Condition) -> list[Condition]:
    from mmpath.engine.conditions import All, AnyOf, Not

    if isinstance(condition, All | AnyOf):
        return [leaf for item in condition.items for leaf in _leaves(item)]
    if isinstance(condition, Not):
        return _leaves(condition.item)
    return [condition]


def check_pack(pack: Pack, seeds: Path | None) -> list[str]:
    errors = []
    catalogue = load_catalogue()
    for rule in pack.rules:
        for option in rule.options:
            if option.kind == "regimen" and catalogue.regimen(option.code) is None:
                errors.append(f"{pack.id}: rule {rule.id}: unknown regimen {option.code!r}")
            elif option.kind == "regimen":
                regimen = catalogue.regimen(option.code)
                if regimen is not None and regimen.id not in catalogue.regimens:
                    errors.append(
                        f"{pack.id}: rule {rule.id}: {option.code!r} is not a catalogue regimen"
                    )
        for ex in rule.excluded:
            if ex.regimen and catalogue.regimen(ex.regimen) is None:
                errors.append(f"{pack.id}: rule {rule.id}: unknown excluded regimen {ex.regimen!r}")
    for where, condition in pack.conditions():
        for leaf in _leaves(condition):
            if isinstance(leaf, IsTrue | Compare):
                spec = FACTS.get(leaf.fact)
                if spec is None:
                    errors.append(f"{pack.id}: {where}: unknown fact {leaf.fact!r}")
                elif isinstance(leaf, IsTrue) and spec.kind != "boolean":
                    errors.append(f"{pack.id}: {where}: {leaf.fact} is a {spec.kind}; compare it")
        if isinstance(condition, Const) and not condition.value:
            errors.append(f"{pack.id}: {where}: condition is always false (unreachable)")
    try:
        text = source_text(pack)
    except FileNotFoundError:
        return [*errors, f"{pack.id}: source document {pack.source_document} not shipped"]
    seed = seeds / pack.source_document if seeds is not None else None
    if seed is not None and seed.is_file() and seed.read_text("utf-8") != text:
        errors.append(f"{pack.id}: shipped {pack.source_document} differs from the seed")
    for key, quote in pack.quotes.items():
        if not appears(quote.quote, text):
            errors.append(f"{pack.id}: quote {key!r} is not verbatim in {pack.source_document}")
    cited = {k for _, keys in pack.source_references() for k in keys}
    errors += [f"{pack.id}: quote {k!r} is never cited" for k in pack.quotes if k not in cited]
    return errors


def check_catalogue() -> list[str]:
    errors = []
    catalogue = load_catalogue()
    for note in drug_notes():
        if note.drug not in catalogue.drugs:
            errors.append(f"dose_notes {note.id}: unknown drug {note.drug!r}")
        errors += [
            f"dose_notes {note.id}: unknown fact {name!r}"
            for name in fact_names(note.condition)
            if name not in FACTS
        ]
    return errors


def lint(vignettes: Path | None, seeds: Path | None) -> LintReport:
    report = LintReport()
    try:
        packs = load_packs()
    except PackError as error:
        report.errors.append(str(error))
        return report
    report.errors += check_catalogue()
    for pack in packs.values():
        report.errors += check_pack(pack, seeds)
    if vignettes is None or not vignettes.is_dir():
        report.warnings.append("no vignettes folder found: pass --vignettes tests/vignettes")
        return report
    report.vignettes = run_folder(vignettes)
    for outcome in report.vignettes:
        report.errors += [f"vignette {outcome.path}: {f}" for f in outcome.failures]
    for pack in packs.values():
        mine = [o for o in report.vignettes if o.guideline == pack.id]
        if not mine:
            report.errors.append(f"{pack.id}: no vignettes")
            continue
        asserted = {f for o in mine for f in o.asserted}
        expected = [f"rule:{r.id}" for r in pack.rules]
        expected += [f"constraint:{c.id}" for c in pack.constraints]
        expected += [f"caution:{c.id}" for c in [*pack.cautions, *pack.dosing]]
        expected += [f"note:{n.id}" for n in pack.notes]
        report.errors += [
            f"{pack.id}: {item} is asserted by no vignette (unreachable or untested)"
            for item in expected
            if item not in asserted
        ]
    return report
