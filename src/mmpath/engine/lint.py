"""`mmpath lint [PATH]`: check packs, catalogue and vignettes (docs/pack-format.md).

Loading a pack already refuses it for any name that does not resolve (``engine.packs``,
``engine.resolve``); lint adds what needs the source document and the vignettes: every
quote appears verbatim in the source document beside the pack (``verbatim``), and that
copy equals the seed when the seeds folder is at hand; every quote is cited; no condition
is constant false; nothing is left of the ``mmpath pack new`` placeholders; every
vignette passes; and the vignettes together *assert* every rule, constraint, caution and
note of their pack: a vignette checks an option the rule gives, an exclusion the
constraint makes, or names the caution or note (a rule that merely fired is untested).

A pack's vignettes are the ``*.json`` files in ``vignettes/`` beside its ``pack.yaml``;
the packs shipped with mmpath keep theirs in the source tree, ``tests/vignettes/<id>/``.
``lint`` checks every installed pack; ``lint_folder`` one pack folder, installed or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from mmpath.assess import FACTS
from mmpath.catalogue import load_catalogue
from mmpath.engine.conditions import Const, fact_names
from mmpath.engine.drug_notes import drug_notes
from mmpath.engine.label_cautions import label_cautions
from mmpath.engine.pack import Pack
from mmpath.engine.packs import (
    PackError,
    PackLocation,
    pack_at,
    registry,
    search_folders,
    use_folders,
)
from mmpath.engine.scaffold import PLACEHOLDER
from mmpath.engine.verbatim import appears
from mmpath.engine.vignettes import VignetteOutcome, run_vignette

VIGNETTES = "vignettes"


@dataclass
class LintReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    vignettes: list[VignetteOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_pack(pack: Pack, folder: Path, seeds: Path | None) -> list[str]:
    """What needs the pack's folder: the source document, its quotes, placeholders."""
    errors = [
        f"{pack.id}: {where}: condition is always false (unreachable)"
        for where, condition in pack.conditions()
        if isinstance(condition, Const) and not condition.value
    ]
    source = folder / pack.source_document
    if not source.is_file():
        return [*errors, f"{pack.id}: source document {pack.source_document} not beside the pack"]
    text = source.read_text("utf-8")
    seed = seeds / pack.source_document if seeds is not None else None
    if seed is not None and seed.is_file() and seed.read_text("utf-8") != text:
        errors.append(f"{pack.id}: shipped {pack.source_document} differs from the seed")
    for name, content in ((pack.source_document, text), ("pack.yaml", _pack_text(folder))):
        if PLACEHOLDER in content:
            errors.append(
                f"{pack.id}: {name} still holds the placeholders of `mmpath pack new` "
                f"(search for {PLACEHOLDER}): replace them with the guideline's own text"
            )
    for key, quote in pack.quotes.items():
        if not appears(quote.quote, text):
            errors.append(f"{pack.id}: quote {key!r} is not verbatim in {pack.source_document}")
    cited = {key for _, key in pack.quote_references()}
    errors += [f"{pack.id}: quote {k!r} is never cited" for k in pack.quotes if k not in cited]
    return errors


def _pack_text(folder: Path) -> str:
    return (folder / "pack.yaml").read_text("utf-8")


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
    for caution in label_cautions():
        errors += [
            f"label_cautions {caution.id}: unknown drug {drug!r}"
            for drug in sorted(caution.drugs)
            if drug not in catalogue.drugs
        ]
        errors += [
            f"label_cautions {caution.id}: unknown fact {name!r}"
            for name in sorted(caution.facts)
            if name not in FACTS
        ]
    return errors


def coverage(pack: Pack, outcomes: list[VignetteOutcome]) -> list[str]:
    """Every rule, constraint, caution and note some vignette asserts."""
    mine = [o for o in outcomes if o.guideline == pack.id]
    if not mine:
        return [f"{pack.id}: no vignettes"]
    asserted = {f for o in mine for f in o.asserted}
    expected = [f"rule:{r.id}" for r in pack.rules]
    expected += [f"constraint:{c.id}" for c in pack.constraints]
    expected += [f"caution:{c.id}" for c in [*pack.cautions, *pack.dosing]]
    expected += [f"note:{n.id}" for n in pack.notes]
    return [
        f"{pack.id}: {item} is asserted by no vignette (unreachable or untested)"
        for item in expected
        if item not in asserted
    ]


def vignette_files(folder: Path, pack_id: str, root: Path | None) -> list[Path]:
    """The pack's vignettes: ``vignettes/`` beside its pack.yaml, else ``root/<id>/``."""
    beside = folder / VIGNETTES
    if beside.is_dir():
        return sorted(beside.glob("*.json"))
    if root is not None and (root / pack_id).is_dir():
        return sorted((root / pack_id).glob("*.json"))
    return []


def _folder(location: PackLocation) -> Path:
    return Path(str(location.folder))


def lint(vignettes: Path | None, seeds: Path | None) -> LintReport:
    """Every installed pack, the catalogue, and the vignettes under ``vignettes`` (a
    folder of ``<pack id>/*.json``) and beside each pack."""
    report = LintReport()
    try:
        found = registry()
        packs = found.packs()
    except PackError as error:
        report.errors += error.problems
        return report
    report.warnings += [
        f"{p.file} ({p.origin}) is shadowed by {found.location(p.id).file}" for p in found.shadowed
    ]
    report.errors += check_catalogue()
    report.errors += check_libraries(seeds)
    files: list[tuple[Path, str | None]] = []
    if vignettes is not None and vignettes.is_dir():
        files += [(p, None) for p in sorted(vignettes.glob("*/*.json"))]
    for pack in packs.values():
        folder = _folder(found.location(pack.id))
        report.errors += check_pack(pack, folder, seeds)
        if (folder / VIGNETTES).is_dir():
            files += [(p, pack.id) for p in vignette_files(folder, pack.id, None)]
    if not files:
        report.warnings.append("no vignettes found: pass --vignettes tests/vignettes")
        return report
    report.vignettes = [run_vignette(path, guideline) for path, guideline in files]
    for outcome in report.vignettes:
        report.errors += [f"vignette {outcome.path}: {f}" for f in outcome.failures]
    for pack in packs.values():
        report.errors += coverage(pack, report.vignettes)
    return report


def check_libraries(seeds: Path | None) -> list[str]:
    """Every library of definitions found: it loads; every quote is cited by a definition;
    a quote whose document is a file beside the library or a seed is verbatim in it."""
    errors: list[str] = []
    found = registry()
    for library_id in found.library_ids():
        try:
            library = found.library(library_id)
        except PackError as error:
            errors += error.problems
            continue
        if library is None:
            continue
        folder = found.library_folders[library_id]
        cited = {key for d in library.defines.values() for key in d.sources}
        for key, quote in library.quotes.items():
            if key not in cited:
                errors.append(f"{library_id}: quote {key!r} is not cited by any definition")
            beside = folder.joinpath(quote.document)
            seed = seeds / quote.document if seeds is not None else None
            source = beside if beside.is_file() else seed if seed and seed.is_file() else None
            if source is not None and not appears(quote.quote, source.read_text("utf-8")):
                errors.append(
                    f"{library_id}: quote {key!r} is not verbatim in {quote.document}: "
                    f"{quote.quote[:60]!r}"
                )
    return errors


@contextmanager
def searched_first(folder: Path) -> Iterator[None]:
    """Put ``folder`` first on the pack search path for the duration."""
    before = search_folders()
    use_folders([folder, *before])
    try:
        yield
    finally:
        use_folders(before)


def lint_folder(folder: Path, seeds: Path | None, vignettes: Path | None = None) -> LintReport:
    """One pack folder, installed or not: its pack.yaml, the source document and the
    vignettes beside it (or under ``vignettes/<id>/``)."""
    report = LintReport()
    try:
        pack, _ = pack_at(folder)
    except PackError as error:
        report.errors += error.problems
        return report
    folder = folder.resolve()
    report.errors += check_catalogue()
    report.errors += check_pack(pack, folder, seeds)
    files = vignette_files(folder, pack.id, vignettes)
    if not files:
        report.errors.append(
            f"{pack.id}: no vignettes (put them in {folder / VIGNETTES}, docs/authoring.md)"
        )
        return report
    errors = [
        f"vignette {p}: still holds {PLACEHOLDER}"
        for p in files
        if PLACEHOLDER in p.read_text("utf-8")
    ]
    report.errors += errors
    with searched_first(folder):
        report.vignettes = [run_vignette(path, pack.id) for path in files]
    for outcome in report.vignettes:
        report.errors += [f"vignette {outcome.path}: {f}" for f in outcome.failures]
    report.errors += coverage(pack, report.vignettes)
    return report
