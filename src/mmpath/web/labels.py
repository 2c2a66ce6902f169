"""Words a clinician reads instead of internal names (issue 10): facts, codes, record
field paths as the form names them, guideline titles."""

from __future__ import annotations

import re
from functools import cache

#: fact names whose plain rendering would mislead (cytogenetic notation)
_FACTS = {
    "del_17p": "del(17p)",
    "t_4_14": "t(4;14)",
    "t_14_16": "t(14;16)",
    "t_14_20": "t(14;20)",
    "t_11_14": "t(11;14)",
    "gain_1q": "gain(1q)",
    "amp_1q": "amp(1q)",
    "del_1p": "del(1p)",
    "tp53_mutation": "TP53 mutation",
    "iss": "ISS",
    "r_iss": "R-ISS",
    "mrd_negative": "MRD negative",
    "ecog": "ECOG",
    "asct": "ASCT",
}


def code_label(code: object) -> str:
    """``clinical_trial`` -> ``clinical trial``; booleans as yes/no; None as unknown."""
    if code is None:
        return "unknown"
    if code is True:
        return "yes"
    if code is False:
        return "no"
    text = str(code)
    return _FACTS.get(text, text.replace("_", " "))


def fact_label(name: str) -> str:
    """A fact as words (``transplant_eligible`` -> ``transplant eligible``)."""
    if name in _FACTS:
        return _FACTS[name]
    words = [_FACTS.get(part, part) for part in name.split("_")]
    return " ".join(words)


_ROW = re.compile(r"^(\w+)\[(\d+)\]\.(.+)$")


@cache
def _field_labels() -> dict[str, str]:
    from mmpath.web import form as F

    labels = {f.name: f.label for f in F.SCALARS}
    for name, group in F.ROWS.items():
        labels[name] = group.label
        for f in group.fields:
            labels[f"{name}[].{f.name}"] = f.label
    return labels


def field_label(path: str) -> str:
    """A record field path as the form names it: ``treatments[0].end`` ->
    ``Treatment courses, row 1: End``; unknown paths are returned as given."""
    if not path:
        return "Record"
    labels = _field_labels()
    match = _ROW.match(path)
    if match:
        group, index, rest = match.groups()
        inner = labels.get(f"{group}[].{rest}") or labels.get(f"{group}[].{rest.split('[')[0]}")
        if inner and group in labels:
            return f"{labels[group]}, row {int(index) + 1}: {inner}"
    return labels.get(path) or labels.get(path.split("[")[0]) or path


@cache
def guideline_titles() -> dict[str, str]:
    from mmpath.engine.packs import load_packs

    return {p.id: p.title for p in load_packs().values()}


def guideline_label(pack_id: str) -> str:
    """A guideline's title (its id when it is not installed)."""
    return guideline_titles().get(pack_id, pack_id)
