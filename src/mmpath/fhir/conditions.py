"""Conditions: the myeloma diagnosis and the comorbidities of the record vocabulary.

Diagnosis: ICD-10 C90.0 (ICD-10-CM C90.00/.01/.02) or SNOMED CT 109989006 is multiple
myeloma; ICD-10 C90.1 (C90.10/.11/.12) is plasma cell leukaemia
(``diagnosis.plasma_cell_leukemia``: true). The diagnosis date is the onset
(``onsetDateTime`` or ``onsetPeriod.start``); without one, ``recordedDate`` is used and
reported as a guess. Several myeloma conditions: the earliest onset is the diagnosis.
A code that names neither, but whose text says "myeloma", is ``ambiguous`` (not used).

Comorbidities: ICD-10 categories and SNOMED CT codes listed in ``codes``. Conditions
that are refuted, entered in error, unconfirmed, resolved or inactive are not used.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mmpath.fhir import codes
from mmpath.fhir.context import Context
from mmpath.fhir.read import Resource, keys_of
from mmpath.fhir.values import codings, describe, texts

NOT_CONFIRMED = frozenset(
    {"refuted", "entered-in-error", "unconfirmed", "provisional", "differential"}
)
NOT_ACTIVE = frozenset({"resolved", "inactive"})


def _status(concept: Any) -> str | None:
    for c in codings(concept):
        if c.code:
            return c.code
    return None


def _icd(code: str | None, prefixes: tuple[str, ...]) -> bool:
    return code is not None and any(code.upper().startswith(p) for p in prefixes)


class Conditions:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.myeloma: list[tuple[dt.date, Resource]] = []
        self.pcl: list[tuple[dt.date, Resource]] = []
        self.comorbidities: dict[str, Resource] = {}

    def read(self, resource: Resource) -> None:
        model = resource.model
        verification = _status(model.verificationStatus)
        if verification in NOT_CONFIRMED:
            self.ctx.report.skip(resource.source, "not_done", f"verificationStatus {verification}")
            return
        kind = self._kind(model)
        for key in keys_of(resource):
            self.ctx.condition_kinds[key] = kind
        if kind in ("myeloma", "pcl"):
            self._diagnosis(resource, kind)
            return
        clinical = _status(model.clinicalStatus)
        if kind is not None:
            if clinical in NOT_ACTIVE:
                self.ctx.report.skip(
                    resource.source, "out_of_scope", f"{kind}: clinicalStatus {clinical}"
                )
            elif kind in self.comorbidities:
                self.ctx.report.use(resource.source, f"comorbidities ({kind}, also listed)")
            else:
                self.comorbidities[kind] = resource
            return
        if any("myeloma" in t.lower() for t in texts(model.code)):
            self.ctx.report.skip(
                resource.source,
                "ambiguous",
                f"{describe(model.code)}: names myeloma but not with a code mmpath reads "
                "(ICD-10 C90.0, SNOMED CT 109989006)",
            )
            return
        self.ctx.report.skip(
            resource.source,
            "unknown_code",
            f"{describe(model.code)} is not a diagnosis or comorbidity mmpath reads",
        )

    def _kind(self, model: Any) -> str | None:
        for c in codings(model.code):
            if c.system in codes.ICD10_SYSTEMS:
                if _icd(c.code, codes.MYELOMA_ICD10):
                    return "myeloma"
                if _icd(c.code, codes.PCL_ICD10):
                    return "pcl"
                for name, prefixes in codes.COMORBIDITY_ICD10.items():
                    if _icd(c.code, prefixes):
                        return name
                if _icd(c.code, codes.OTHER_MALIGNANCY_ICD10):
                    return "other_malignancy"
            if c.system == codes.SNOMED and c.code:
                if c.code in codes.MYELOMA_SNOMED:
                    return "myeloma"
                if c.code in codes.COMORBIDITY_SNOMED:
                    return codes.COMORBIDITY_SNOMED[c.code]
        return None

    def _diagnosis(self, resource: Resource, kind: str) -> None:
        model = resource.model
        value = model.onsetDateTime
        if value is None and model.onsetPeriod is not None:
            value = model.onsetPeriod.start
        if value is None and model.recordedDate is not None:
            self.ctx.report.guess(
                "diagnosis.date", resource.source, "no onset date; the recorded date is used"
            )
            value = model.recordedDate
        day = self.ctx.day("diagnosis.date", resource.source, value) if value is not None else None
        if day is None:
            self.ctx.report.skip(resource.source, "invalid", "diagnosis without an onset date")
            return
        (self.myeloma if kind == "myeloma" else self.pcl).append((day.date, resource))

    def diagnosis(self) -> dict[str, Any] | None:
        found = sorted(self.myeloma + self.pcl, key=lambda item: (item[0], item[1].source.where))
        if not found:
            self.ctx.report.missing(
                "diagnosis",
                "no Condition with a myeloma code (ICD-10 C90.0 / C90.1, SNOMED CT 109989006)",
            )
            return None
        first_day, first = found[0]
        self.ctx.report.use(first.source, "diagnosis.date")
        for _day, other in found[1:]:
            self.ctx.report.use(other.source, "diagnosis (same disease, later entry)")
        out: dict[str, Any] = {"date": first_day.isoformat()}
        if self.pcl:
            out["plasma_cell_leukemia"] = True
        return out

    def comorbidity_list(self) -> list[str] | None:
        for name, resource in sorted(self.comorbidities.items()):
            self.ctx.report.use(resource.source, f"comorbidities ({name})")
        if self.comorbidities:
            self.ctx.report.guess(
                "comorbidities",
                None,
                "taken from the conditions in the input; mmpath reads a comorbidity that is not "
                "listed as absent",
            )
            return sorted(self.comorbidities)
        if "comorbidities" in self.ctx.complete:
            return []
        self.ctx.report.missing(
            "comorbidities",
            "no condition of the comorbidity vocabulary; unknown (not 'none') because the input "
            "does not say its problem list is complete",
        )
        return None
