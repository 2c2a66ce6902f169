"""The validation status shown on the About page: which clinical vignettes pass.

The vignettes live in the source tree (``tests/vignettes/<pack>/*.json``), not in the
installed package. When this installation runs from a source tree (an editable install,
as the README's quick start makes) they are run once per process with the shipped packs
and the result is shown with the time it was computed. Otherwise the page says that
validation results are not bundled with this installation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import mmpath
from mmpath.engine.vignettes import run_folder


@dataclass(frozen=True, slots=True)
class PackValidation:
    pack: str
    passed: list[str]
    failed: list[tuple[str, list[str]]]


@dataclass(frozen=True, slots=True)
class Validation:
    folder: Path | None
    computed_at: str
    packs: list[PackValidation]

    @property
    def total(self) -> int:
        return sum(len(p.passed) + len(p.failed) for p in self.packs)

    @property
    def passed(self) -> int:
        return sum(len(p.passed) for p in self.packs)


def vignette_folder() -> Path | None:
    """``tests/vignettes`` beside the ``src`` folder this package was imported from."""
    folder = Path(mmpath.__file__).resolve().parents[2] / "tests" / "vignettes"
    return folder if folder.is_dir() else None


@cache
def validation_status() -> Validation:
    folder = vignette_folder()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if folder is None:
        return Validation(None, now, [])
    by_pack: dict[str, PackValidation] = {}
    for outcome in run_folder(folder):
        entry = by_pack.setdefault(outcome.guideline, PackValidation(outcome.guideline, [], []))
        name = outcome.path.stem
        if outcome.passed:
            entry.passed.append(name)
        else:
            entry.failed.append((name, outcome.failures))
    return Validation(folder, now, [by_pack[k] for k in sorted(by_pack)])
