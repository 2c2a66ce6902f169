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
    "anti_cd38": "anti-CD38 antibody",
    "imid": "IMiD",
    "pi": "proteasome inhibitor",
    "not_reimbursed": "not reimbursed",
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
    """A fact as words: its label (``web/fact_labels.py``: ``hbv`` -> ``Hepatitis B
    (HBV)``), else its name as words (``transplant_eligible`` -> ``transplant eligible``)."""
    from mmpath.web.fact_labels import topic_and_label

    found = topic_and_label(name)
    if found is not None:
        return found[1]
    if name in _FACTS:
        return _FACTS[name]
    words = [_FACTS.get(part, part) for part in name.split("_")]
    return " ".join(words)


_ROW = re.compile(r"^(\w+)\[(\d+)\]\.(.+)$")
_WHOLE_ROW = re.compile(r"^(\w+)\[(\d+)\]$")


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
    if path.startswith("asserted."):
        return f"{labels['asserted']}: {fact_label(path.removeprefix('asserted.'))}"
    match = _ROW.match(path)
    if match:
        group, index, rest = match.groups()
        inner = labels.get(f"{group}[].{rest}") or labels.get(f"{group}[].{rest.split('[')[0]}")
        if inner and group in labels:
            return f"{labels[group]}, row {int(index) + 1}: {inner}"
    whole_row = _WHOLE_ROW.match(path)
    if whole_row and any(key.startswith(f"{whole_row[1]}[].") for key in labels):
        return f"{labels[whole_row[1]]}, row {int(whole_row[2]) + 1}"
    return labels.get(path) or labels.get(path.split("[")[0]) or code_label(path)


@cache
def guideline_titles() -> dict[str, str]:
    from mmpath.engine.packs import load_packs

    return {p.id: p.title for p in load_packs().values()}


def guideline_label(pack_id: str) -> str:
    """A guideline's title (its id when it is not installed)."""
    return guideline_titles().get(pack_id, pack_id)


# ------------------------------------------------------------- generated text in words


def short_title(pack_id: str) -> str:
    """A guideline's title up to its first dash or parenthesis (its id when unknown)."""
    title = guideline_titles().get(pack_id)
    if not title:
        return pack_id
    return title.split(" — ")[0].split(" (")[0].strip()


@cache
def _seed_titles() -> dict[str, str]:
    """Source-document number (``000`` of ``000_….txt``) -> the guideline's short title."""
    from mmpath.engine.packs import load_packs

    out = {}
    for pack in load_packs().values():
        number = (pack.source_document or "").split("_")[0]
        if number.isdigit():
            out[number] = short_title(pack.id)
    return out


def document_label(document: str | None) -> str:
    """A source document (``000_….txt``) as its guideline's short title."""
    number = (document or "").split("_")[0]
    return _seed_titles().get(number, "the guideline's source") if document else ""


def source_label(pack_id: str, source_document: str | None) -> str:
    """What a clinician reads for a guideline's source document: the short title,
    never the seed file name."""
    return short_title(pack_id)


@cache
def _option_names() -> dict[str, str]:
    """Coded option id -> its name (``engine/vocabulary.py``: procedures, referrals,
    observation, supportive care)."""
    from mmpath.engine.vocabulary import NAMES

    return {code: name for names in NAMES.values() for code, name in names.items()}


_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_PATH = re.compile(
    r"\b[a-z_]+\[\d+\](?:\.[a-z_0-9]+)*"
    r"|\b(?:diagnosis|cytogenetics|frailty|stem_cells|extramedullary)\.[a-z_0-9]+\b"
)
_REF = re.compile(r"\b(note|dosing|caution|label|constraint|rule):([\w-]+)")
_REF_WORDS = {
    "note": "note",
    "dosing": "dose note",
    "caution": "caution",
    "label": "label caution",
    "constraint": "constraint",
    "rule": "rule",
}
_SEED = re.compile(r"\bseeds? (\d{3})\b")
_PY = re.compile(
    r"\b(True|False|None)\b(?! of\b)|(?<=[:=] )(true|false)\b|(?<=give )(true|false)\b"
)
_PY_WORDS = {"True": "yes", "False": "no", "None": "unknown", "true": "yes", "false": "no"}


def option_label(option_id: str, name: str | None = None) -> str:
    """An option as a clinician reads it: a regimen abbreviation as is (``DVd``), a coded
    id (``allogeneic_sct``) by its name."""
    if "_" in option_id or option_id.islower():
        return _option_names().get(option_id) or name or option_id.replace("_", " ")
    return option_id


def words(text: object) -> str:
    """mmpath's generated text (a fact's why and definition, applicability, reasons) in
    a clinician's words: record paths as the form names them, fact names as their labels,
    ``note:…``/``dosing:…`` references as words, option ids by their names, other codes
    with spaces, Python's True/False/None as yes/no/unknown, "seed 000" as the guideline's
    title. Not for guideline quotes (shown verbatim)."""
    if text is None:
        return ""
    out = str(text)
    out = _PATH.sub(lambda m: field_label(m.group(0)), out)
    out = _REF.sub(lambda m: f"{_REF_WORDS[m[1]]} ‘{m[2].replace('-', ' ')}’", out)
    out = _SEED.sub(lambda m: _seed_titles().get(m[1], "the guideline's source"), out)
    out = _PY.sub(lambda m: _PY_WORDS[m.group(0)], out)
    return _SNAKE.sub(lambda m: _code_words(m.group(0)), out)


def _code_words(token: str) -> str:
    from mmpath.assess import FACTS

    if token in FACTS:
        label = fact_label(token)
        return label[:1].lower() + label[1:] if not label[:2].isupper() else label
    if token in _option_names():
        return _option_names()[token]
    return code_label(token)
