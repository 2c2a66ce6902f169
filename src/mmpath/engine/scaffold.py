"""`mmpath pack new ID`: the skeleton of a new pack folder.

The skeleton loads (it is a valid pack), and `mmpath lint` fails on it until every
placeholder is replaced by the guideline's own text: the author starts from something
that runs and is told what is left to do. It holds:

- ``pack.yaml`` — metadata, one quote, one rule, with comments pointing to
  docs/pack-format.md, and a modeline for editors that read ``pack.schema.json``;
- ``pack.schema.json`` — the JSON Schema of packs (``mmpath schema pack``);
- ``source.txt`` — where the source document's text goes;
- ``vignettes/example.json`` — a vignette for the example rule;
- ``README.md`` — the pack's notes: what the source is, its reading decisions.

Walk-through: docs/authoring.md.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

PLACEHOLDER = "MMPATH-PLACEHOLDER"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SOURCE = "source.txt"


class ScaffoldError(ValueError):
    pass


def _commented(lines: list[tuple[str, str]]) -> str:
    """YAML lines with their comments aligned in one column."""
    width = 34
    return "".join(
        (f"{text.ljust(width - 2)}  # {comment}" if comment else text).rstrip() + "\n"
        for text, comment in lines
    )


def _pack_yaml(pack_id: str, title: str, language: str, regions: list[str]) -> str:
    return _commented(
        [
            ("# yaml-language-server: $schema=pack.schema.json", ""),
            (f"# Guideline pack {pack_id}. Format: docs/pack-format.md; docs/authoring.md.", ""),
            (f"# Replace every {PLACEHOLDER}: `mmpath lint` fails while one is left.", ""),
            (f"id: {pack_id}", "equals the folder name"),
            (f"title: {json.dumps(title)}", ""),
            ('version: "0.1.0"', "bump on every change: the audit trail stores it"),
            (f'organisation: "{PLACEHOLDER}: who wrote the source document"', ""),
            (f"language: {language}", "the source document's language"),
            (f"regions: [{', '.join(regions)}]", "where the guideline is meant for"),
            (f"source_document: {SOURCE}", "the source text, beside this file"),
            ("published: null", "the source's date, YYYY-MM-DD, when it gives one"),
            ("source_limitations: []", "what the source lacks (a lost figure, no date, ...)"),
            ("", ""),
            ("applicability:", "who the guideline is for"),
            ("  when: relapsed", "a condition over facts: `mmpath facts --list`"),
            (f'  text: "{PLACEHOLDER}: the population the source covers"', ""),
            (f'  not_applicable: "Not applicable: {PLACEHOLDER}: why the patient is not"', ""),
            ("", ""),
            ("quotes:", "verbatim sentences of the source, with English"),
            ("  example:", ""),
            (f'    section: "{PLACEHOLDER}: the heading the sentence stands under"', ""),
            (f'    quote: "{PLACEHOLDER}: a sentence copied from source.txt, verbatim."', ""),
            (f'    english: "{PLACEHOLDER}: its English rendering"', ""),
            ("", ""),
            ("rules:", ""),
            ("  - id: example-rule", ""),
            (f'    title: "{PLACEHOLDER}: what the rule is about"', ""),
            ("    when: relapsed", ""),
            ("    rationale: >-", "why these options apply; shown with each option"),
            (f"      {PLACEHOLDER}: the reason, in the source's terms", ""),
            ("    sources: [example]", "quote keys"),
            ("    options:", ""),
            ("      - referral: clinical_trial", "or regimen: / procedure: / observation: ..."),
            ("        tier: preferred", "preferred | alternative | consider, as the source ranks"),
        ]
    )


def _source(title: str) -> str:
    return (
        f"{PLACEHOLDER}: replace this file with the text of the source document of\n"
        f"{title}, as published (plain text, UTF-8). Every quote in pack.yaml must appear\n"
        "here verbatim.\n\n"
        f"{PLACEHOLDER}: a sentence copied from source.txt, verbatim.\n"
    )


def _vignette(pack_id: str) -> dict[str, object]:
    return {
        "title": f"{PLACEHOLDER}: a patient the example rule is for",
        "guideline": pack_id,
        "exercises": ["example"],
        "record": {
            "schema_version": "1",
            "as_of": "2026-01-15",
            "age": 70,
            "treatments": [
                {
                    "regimen": "VRd",
                    "setting": "induction",
                    "start": "2023-02-01",
                    "end": "2023-08-01",
                    "best_response": "VGPR",
                }
            ],
            "progressions": [{"date": "2025-12-01", "type": "clinical"}],
        },
        "expect": {
            "applicable": True,
            "options": [{"id": "clinical_trial", "tier": "preferred", "status": "recommended"}],
        },
    }


def _readme(pack_id: str, title: str) -> str:
    return f"""\
# {pack_id}: {title}

{PLACEHOLDER}: what the source document is (authors, organisation, date, where it was
published) and how `source.txt` was made from it.

## Reading decisions

Where the source is silent or ambiguous, say here how the pack reads it, and show the
same to the user (a rationale, a note or a source limitation in pack.yaml).

## Checking

```bash
mmpath lint {pack_id}                 # the pack, its quotes and vignettes
mmpath --packs . recommend patient.json --guideline {pack_id}
```
"""


def new_pack(
    parent: Path,
    pack_id: str,
    *,
    title: str | None = None,
    language: str = "en",
    regions: list[str] | None = None,
) -> Path:
    """Write the skeleton of pack ``pack_id`` into ``parent/pack_id``; returns the folder."""
    from mmpath.engine.pack_schema import pack_schema

    if not ID_PATTERN.match(pack_id):
        raise ScaffoldError(
            f"pack id {pack_id!r}: use lower-case letters, digits and hyphens (e.g. nl-rrmm)"
        )
    folder = parent / pack_id
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists")
    title = title or f"{PLACEHOLDER}: the guideline's title"
    regions = regions or []
    for region in regions:
        if not re.match(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$", region):
            raise ScaffoldError(f"region {region!r}: expected a country code such as NL or DK")
    (folder / "vignettes").mkdir(parents=True)
    (folder / "pack.yaml").write_text(_pack_yaml(pack_id, title, language, regions), "utf-8")
    (folder / "pack.schema.json").write_text(json.dumps(pack_schema(), indent=2) + "\n", "utf-8")
    (folder / SOURCE).write_text(_source(title), "utf-8")
    (folder / "vignettes" / "example.json").write_text(
        json.dumps(_vignette(pack_id), indent=2) + "\n", "utf-8"
    )
    (folder / "README.md").write_text(_readme(pack_id, title), "utf-8")
    return folder
