"""Cytogenetics from genomics observations (mCODE GenomicVariant, LOINC 69548-6).

A variant assessment says Present (LOINC LA9633-4) or Absent (LA9634-2) about one
abnormality named in ISCN notation — in a component value (the genomics-reporting
``cytogenomic-nomenclature`` / ``cytogenetic-location`` components) or in the
observation's text. The ISCN forms read here:

| record field | ISCN forms |
| --- | --- |
| ``del_17p`` | ``del(17p)``, ``del(17)(p...)``, ``-17p`` |
| ``t_4_14``, ``t_14_16``, ``t_14_20``, ``t_11_14`` | ``t(4;14)``, ``t(14;16)``, ``t(14;20)``, ``t(11;14)`` (with or without breakpoints) |
| ``gain_1q`` | ``+1q``, ``gain(1q)``, ``dup(1)(q...)``, ``dup(1q)`` |
| ``amp_1q`` | ``amp(1q)``, ``amp(1)(q...)`` |
| ``del_1p`` | ``del(1p)``, ``del(1)(p...)`` |

A TP53 gene-studied component (HGNC:11998) sets ``tp53_mutation``. Anything else is
reported as an unknown code. The newest result per abnormality wins.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from mmpath.fhir import codes
from mmpath.fhir.context import Context
from mmpath.fhir.read import Resource
from mmpath.fhir.report import Source
from mmpath.fhir.values import codings, texts

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("del_17p", re.compile(r"del\(17\)\(p|del\(17p|-17p\b")),
    ("t_4_14", re.compile(r"t\(4;14\)")),
    ("t_14_16", re.compile(r"t\(14;16\)")),
    ("t_14_20", re.compile(r"t\(14;20\)")),
    ("t_11_14", re.compile(r"t\(11;14\)")),
    ("amp_1q", re.compile(r"amp\(1\)\(q|amp\(1q")),
    ("gain_1q", re.compile(r"\+1q\b|gain\(1q|dup\(1\)\(q|dup\(1q")),
    ("del_1p", re.compile(r"del\(1\)\(p|del\(1p")),
)


def abnormalities(text: str) -> list[str]:
    """The record fields named by an ISCN text (``t(4;14)(p16;q32)`` -> ``t_4_14``)."""
    compact = text.replace(" ", "").lower()
    return [name for name, pattern in _PATTERNS if pattern.search(compact)]


def _component_texts(model: Any) -> Iterator[str]:
    for component in model.component or []:
        if component.valueString:
            yield component.valueString
        yield from texts(component.valueCodeableConcept)


def _presence(model: Any) -> bool | None:
    for c in codings(model.valueCodeableConcept):
        if c.system == codes.LOINC and c.code == codes.PRESENT:
            return True
        if c.system == codes.LOINC and c.code == codes.ABSENT:
            return False
    return None


def _tp53(model: Any) -> bool:
    for component in model.component or []:
        for c in codings(component.valueCodeableConcept):
            if c.system == codes.HGNC and c.code in codes.TP53_HGNC:
                return True
    return False


class Cytogenetics:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.found: dict[str, tuple[dt.date, bool, Source]] = {}
        self.methods: dict[dt.date, str] = {}

    def read(self, resource: Resource, day: dt.date) -> None:
        model = resource.model
        present = _presence(model)
        if present is None:
            self.ctx.report.skip(
                resource.source,
                "ambiguous",
                "genetic variant assessment without a Present / Absent value",
            )
            return
        names = sorted({n for t in _component_texts(model) for n in abnormalities(t)})
        if not names:
            names = sorted({n for t in texts(model.code) for n in abnormalities(t)})
        if _tp53(model):
            names.append("tp53_mutation")
        if not names:
            self.ctx.report.skip(
                resource.source,
                "unknown_code",
                "names no abnormality mmpath reads (ISCN del(17p), t(4;14), t(14;16), t(14;20), "
                "t(11;14), +1q, amp(1q), del(1p), or TP53)",
            )
            return
        for name in names:
            earlier = self.found.get(name)
            if earlier is not None and earlier[0] > day:
                self.ctx.report.skip(
                    resource.source, "superseded", f"{name}: a newer result is used"
                )
                continue
            if earlier is not None:
                self.ctx.report.skip(earlier[2], "superseded", f"{name}: a newer result is used")
            self.found[name] = (day, present, resource.source)
        method = model.method.text if model.method is not None else None
        if method:
            self.methods[day] = method

    def as_record(self) -> dict[str, Any] | None:
        if not self.found:
            return None
        out: dict[str, Any] = {}
        for name, (_day, present, source) in sorted(self.found.items()):
            out[name] = present
            self.ctx.report.use(source, f"cytogenetics.{name}")
        newest = max(day for day, _p, _s in self.found.values())
        out["date"] = newest.isoformat()
        if newest in self.methods:
            out["method"] = self.methods[newest][:60]
        return out
