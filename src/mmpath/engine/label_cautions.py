"""Cautions by comorbidity from product labels that every pack applies to its options.

The data live in ``catalogue/data/label_cautions.yaml``: each caution names the drugs it is
about, the product labels it paraphrases (name, region, the version mmpath relies on), its
severity and its condition in the pack condition language (comorbidity facts). A pack's own
caution on the same drug that reads the same comorbidity replaces the label's (the
guideline's words stand alone); otherwise the option gets the label caution with
provenance ``label`` — so heart failure and carfilzomib, or COPD and daratumumab, are
flagged in every guideline, not only in those whose source mentions them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from mmpath.engine.conditions import Condition, fact_names, parse
from mmpath.engine.drug_notes import Label, source_text
from mmpath.recommendation import Severity
from mmpath.yamlload import load_yaml_cached


@dataclass(frozen=True, slots=True)
class LabelCaution:
    id: str
    drugs: frozenset[str]
    labels: tuple[Label, ...]
    condition: Condition
    severity: Severity
    text: str

    @property
    def facts(self) -> frozenset[str]:
        return frozenset(fact_names(self.condition))

    @property
    def source(self) -> str:
        """Which label(s), region and version (recommendation 1.1 ``source``)."""
        return source_text(self.labels, "any setting")


@cache
def label_cautions() -> tuple[LabelCaution, ...]:
    text = (
        resources.files("mmpath.catalogue")
        .joinpath("data", "label_cautions.yaml")
        .read_text("utf-8")
    )
    data = load_yaml_cached(text)
    labels = {
        key: Label(key, item["short"], item["name"], item["region"], item["version"])
        for key, item in data["labels"].items()
    }
    return tuple(
        LabelCaution(
            id=item["id"],
            drugs=frozenset(item["drugs"]),
            labels=tuple(labels[key] for key in item["labels"]),
            condition=parse(item["when"], f"label_cautions {item['id']}"),
            severity=item["severity"],
            text=item["text"],
        )
        for item in data["cautions"]
    )


@cache
def label_caution_fact_names() -> frozenset[str]:
    """Every fact name the label cautions' conditions read."""
    return frozenset(name for caution in label_cautions() for name in caution.facts)
