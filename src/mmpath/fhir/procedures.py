"""Procedures: stem-cell transplants, stem-cell collection, radiotherapy, CAR-T.

SNOMED CT gives the procedure (``codes.HSCT_SNOMED``, ``codes.RADIOTHERAPY_SNOMED``);
whether a transplant was autologous or allogeneic, and procedures named only in text,
are read from the words of the code's text or display and reported as guesses. A
transplant whose words say neither is ``ambiguous``. Only completed procedures count.
"""

from __future__ import annotations

import re
from typing import Any

from mmpath.fhir import codes
from mmpath.fhir.context import Context
from mmpath.fhir.read import Resource
from mmpath.fhir.values import codings, describe, texts

_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("car_t", re.compile(r"\bcar[- ]?t\b|chimeric antigen receptor", re.I)),
    ("allogeneic_sct", re.compile(r"\ballo(geneic)?\b|\ballo-?(sct|hsct|tx|transplant)", re.I)),
    (
        "autologous_sct",
        re.compile(r"\bauto(logous)?\b|\bauto-?(sct|hsct|tx|transplant)|\basct\b", re.I),
    ),
    (
        "stem_cell_collection",
        re.compile(
            r"stem[- ]cell (collection|harvest|mobili[sz]ation|apheresis)|leuka?pheresis", re.I
        ),
    ),
    ("radiotherapy", re.compile(r"radiotherap|radiation therap|irradiation", re.I)),
)
_TRANSPLANT = re.compile(r"transplant|\bsct\b|\bhsct\b|\basct\b|stem[- ]cell rescue", re.I)


def _from_words(concept: Any) -> str | None:
    for text in texts(concept):
        for kind, pattern in _WORDS:
            if pattern.search(text):
                if kind in ("allogeneic_sct", "autologous_sct") and not _TRANSPLANT.search(text):
                    continue
                return kind
    return None


def read_procedure(ctx: Context, resource: Resource) -> dict[str, Any] | None:
    model = resource.model
    if model.status != "completed":
        ctx.report.skip(resource.source, "not_done", f"status {model.status}")
        return None
    snomed = {c.code for c in codings(model.code) if c.system == codes.SNOMED}
    kind = None
    if snomed & codes.RADIOTHERAPY_SNOMED:
        kind = "radiotherapy"
    else:
        kind = _from_words(model.code)
        if snomed & codes.HSCT_SNOMED and kind not in ("autologous_sct", "allogeneic_sct"):
            ctx.report.skip(
                resource.source,
                "ambiguous",
                "a stem-cell transplant that does not say autologous or allogeneic",
            )
            return None
        if kind is not None:
            ctx.report.guess(
                "procedures[].type", resource.source, f"{kind} read from the procedure's name"
            )
    if kind is None:
        ctx.report.skip(
            resource.source,
            "unknown_code",
            f"{describe(model.code)} is not a procedure mmpath reads",
        )
        return None
    value = model.performedDateTime
    if value is None and model.performedPeriod is not None:
        value = model.performedPeriod.start
    day = ctx.day("procedures[].date", resource.source, value) if value is not None else None
    if day is None:
        ctx.report.skip(resource.source, "invalid", "no performed date")
        return None
    if ctx.after_as_of(resource.source, day.date):
        return None
    ctx.report.use(resource.source, f"procedures ({kind})")
    return {"type": kind, "date": day.date.isoformat()}
