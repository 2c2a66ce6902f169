"""Drug-level dose notes (kidney function) that every pack applies to its options.

The data live in ``catalogue/data/dose_notes.yaml`` with their source; conditions use the
pack condition language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from mmpath.engine.conditions import Condition, fact_names, parse
from mmpath.recommendation import SourceOut
from mmpath.yamlload import load_yaml


@dataclass(frozen=True, slots=True)
class DrugNote:
    id: str
    drug: str
    condition: Condition
    text: str
    source: SourceOut
    label: str | None
    """which product label (region, version, setting) the note comes from"""


@cache
def drug_notes() -> list[DrugNote]:
    text = (
        resources.files("mmpath.catalogue").joinpath("data", "dose_notes.yaml").read_text("utf-8")
    )
    data = load_yaml(text)
    ref = data["reference"]
    return [
        DrugNote(
            id=item["id"],
            drug=item["drug"],
            condition=parse(item["when"], f"dose_notes {item['id']}"),
            text=item["text"],
            label=item.get("label") or ref.get("label"),
            source=SourceOut(
                document=ref["document"],
                section=ref["section"],
                quote=data["quotes"][item["quote"]],
                english=data["quotes"][item["quote"]],
            ),
        )
        for item in data["notes"]
    ]


@cache
def drug_note_fact_names() -> frozenset[str]:
    """Every fact name the dose notes' conditions read."""
    return frozenset(name for note in drug_notes() for name in fact_names(note.condition))
