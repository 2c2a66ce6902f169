"""Drug-level dose notes (kidney function) that every pack applies to its options.

The data live in ``catalogue/data/dose_notes.yaml``: each note names the product labels it
comes from (name, region, the version mmpath relies on), the setting it is for
(``starting``: the relapse / induction starting-dose table; ``any``) and its condition in
the pack condition language. A maintenance option never gets a ``starting`` note: it gets
:func:`maintenance_note` instead ("adjust per product label for maintenance").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from mmpath.engine.conditions import Condition, fact_names, parse
from mmpath.recommendation import SourceOut
from mmpath.yamlload import load_yaml_cached

Scope = Literal["starting", "any"]
DETAILS = " — "
"""Separates the labels' short names from the details in a note's ``source`` (the print
summary shows only the short names)."""
SCOPE_TEXT = {"starting": "starting dose, relapse / induction", "any": "any setting"}


@dataclass(frozen=True, slots=True)
class Label:
    id: str
    short: str
    name: str
    region: str
    version: str

    def describe(self) -> str:
        return f"{self.name} [{self.region}; version: {self.version}]"


@dataclass(frozen=True, slots=True)
class DrugNote:
    id: str
    drug: str
    scope: Scope
    labels: tuple[Label, ...]
    condition: Condition
    text: str
    sources: tuple[SourceOut, ...]

    @property
    def source(self) -> str:
        """Which label(s), region, version and setting (recommendation 1.1 ``source``):
        the labels' short names, then :data:`DETAILS` and the details."""
        return source_text(self.labels, SCOPE_TEXT[self.scope])


@cache
def drug_notes() -> list[DrugNote]:
    text = (
        resources.files("mmpath.catalogue").joinpath("data", "dose_notes.yaml").read_text("utf-8")
    )
    data = load_yaml_cached(text)
    ref = data["reference"]
    labels = {
        key: Label(key, item["short"], item["name"], item["region"], item["version"])
        for key, item in data["labels"].items()
    }
    return [
        DrugNote(
            id=item["id"],
            drug=item["drug"],
            scope=item["scope"],
            labels=tuple(labels[key] for key in item["labels"]),
            condition=parse(item["when"], f"dose_notes {item['id']}"),
            text=item["text"],
            sources=(
                SourceOut(
                    document=ref["document"],
                    section=ref["section"],
                    quote=data["quotes"][item["quote"]],
                    english=data["quotes"][item["quote"]],
                ),
            ),
        )
        for item in data["notes"]
    ]


def source_text(labels: tuple[Label, ...] | list[Label], setting: str) -> str:
    shorts = " / ".join(dict.fromkeys(label.short for label in labels))
    details = "; ".join(dict.fromkeys(label.describe() for label in labels))
    return f"{shorts}{DETAILS}{details}; setting: {setting}"


def maintenance_note(drug: str, applying: list[DrugNote]) -> tuple[str, str]:
    """(id, text) of the note a maintenance option gets instead of starting-dose notes; the
    text names the patient's kidney function through ``{kidney_function}``
    (:func:`~mmpath.engine.evaluate.render_text`)."""
    bands = ", ".join(n.id for n in applying)
    return (
        f"{drug}-kidney-maintenance",
        f"Kidney function reduced ({{kidney_function}}; {bands}): the {drug} starting doses of "
        "the product label's "
        "relapse / induction table do not apply to maintenance — adjust per product label for "
        "maintenance (mmpath holds no maintenance table).",
    )


@cache
def drug_note_fact_names() -> frozenset[str]:
    """Every fact name the dose notes' conditions and texts read."""
    names = {name for note in drug_notes() for name in fact_names(note.condition)}
    return frozenset(names | {"kidney_function"})
