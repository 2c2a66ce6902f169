"""Observations: laboratory results, ECOG, body weight and height, myeloma stage.

Each Observation is sorted by its LOINC (or, for stage, NCIt) code; genomics and
disease status go to their own modules. Lab values keep every dated result (the record
holds series); single-valued fields (ECOG, weight, height, ISS, R-ISS) take the most
recent value on or before ``as_of`` and report the older ones as superseded.

Units are UCUM codes (``Quantity.code``; ``Quantity.unit`` when the code is absent),
converted to a unit the record accepts (``mmpath.record.units``); a unit that cannot be
converted is reported, never assumed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from mmpath.fhir import codes
from mmpath.fhir.context import FINAL_OBSERVATION, Context
from mmpath.fhir.cytogenetics import Cytogenetics
from mmpath.fhir.disease_status import read_disease_status
from mmpath.fhir.read import Resource
from mmpath.fhir.report import Source
from mmpath.fhir.responses import BestResponse, is_best_response, read_best_response
from mmpath.fhir.values import codings, describe, number
from mmpath.record.units import accepted_units

#: UCUM code -> the record's spelling of the same unit.
UCUM_TO_RECORD: dict[str, str] = {
    "g/dL": "g/dL",
    "g/L": "g/L",
    "mg/dL": "mg/dL",
    "mg/L": "mg/L",
    "umol/L": "umol/L",
    "µmol/L": "umol/L",
    "mmol/L": "mmol/L",
    "U/L": "U/L",
    "[IU]/L": "U/L",
    "mL/min": "mL/min",
    "%": "%",
    "mg/(24.h)": "mg/24h",
    "mg/24.h": "mg/24h",
    "g/(24.h)": "g/24h",
    "g/24.h": "g/24h",
}
#: (test, UCUM) -> (record unit, factor) for units the record does not accept as such.
CONVERSIONS: dict[tuple[str, str], tuple[str, float]] = {
    ("serum_m_protein", "mg/dL"): ("g/dL", 0.001),
    ("ldh", "ukat/L"): ("U/L", 60.0),  # 1 µkat = 1 µmol/s = 60 µmol/min = 60 U
    ("beta2_microglobulin", "ug/mL"): ("mg/L", 1.0),
    ("beta2_microglobulin", "mg/dL"): ("mg/L", 10.0),
    ("creatinine", "mmol/L"): ("umol/L", 1000.0),
    ("albumin", "mg/dL"): ("g/L", 0.01),
}
WEIGHT_UNITS = {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237}
HEIGHT_UNITS = {"cm": 1.0, "m": 100.0, "[in_i]": 2.54}


@dataclass
class Latest:
    """The newest value of a single-valued field, with the older ones reported."""

    field: str
    day: dt.date
    value: Any
    source: Source


def observation_day(ctx: Context, field_path: str, resource: Resource) -> dt.date | None:
    model = resource.model
    value = model.effectiveDateTime or model.effectiveInstant
    if value is None and model.effectivePeriod is not None:
        value = model.effectivePeriod.start
    if value is None and model.issued is not None:
        ctx.report.guess(field_path, resource.source, "no effective date; the issued date is used")
        value = model.issued
    day = ctx.day(field_path, resource.source, value) if value is not None else None
    if day is None:
        ctx.report.skip(resource.source, "invalid", "no effective date")
        return None
    return day.date


def _unit(quantity: Any) -> str | None:
    if quantity is None:
        return None
    if quantity.system not in (None, codes.UCUM) and quantity.code:
        return None
    unit = quantity.code or quantity.unit
    return str(unit) if unit else None


class Observations:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.labs: list[tuple[dict[str, Any], Source]] = []
        self.latest: dict[str, list[Latest]] = defaultdict(list)
        self.cytogenetics = Cytogenetics(ctx)
        self.progressions: list[tuple[dict[str, Any], Source]] = []
        self.responses: list[BestResponse] = []

    def read(self, resource: Resource) -> None:
        model = resource.model
        if model.status not in FINAL_OBSERVATION:
            self.ctx.report.skip(
                resource.source, "not_done", f"status {model.status!r} is not final"
            )
            return
        if is_best_response(resource):
            day = observation_day(self.ctx, "treatments[].best_response", resource)
            if day is not None and not self.ctx.after_as_of(resource.source, day):
                response = read_best_response(self.ctx, resource, day)
                if response is not None:
                    self.responses.append(response)
            return None
        loinc = {c.code for c in codings(model.code) if c.system == codes.LOINC and c.code}
        ncit = {c.code for c in codings(model.code) if c.system == codes.NCIT and c.code}
        for code in sorted(loinc):
            if code in codes.LAB_LOINC:
                return self._lab(resource, codes.LAB_LOINC[code])
        if codes.ECOG_LOINC in loinc:
            return self._ecog(resource)
        if codes.WEIGHT_LOINC in loinc:
            return self._body(resource, "weight_kg", WEIGHT_UNITS)
        if codes.HEIGHT_LOINC in loinc:
            return self._body(resource, "height_cm", HEIGHT_UNITS)
        if codes.DISEASE_STATUS_LOINC in loinc:
            day = observation_day(self.ctx, "progressions", resource)
            if day is not None and not self.ctx.after_as_of(resource.source, day):
                found = read_disease_status(self.ctx, resource, day)
                if found is not None:
                    self.progressions.append((found, resource.source))
            return None
        if codes.VARIANT_LOINC in loinc:
            day = observation_day(self.ctx, "cytogenetics", resource)
            if day is not None and not self.ctx.after_as_of(resource.source, day):
                self.cytogenetics.read(resource, day)
            return None
        if codes.ISS_CODE in ncit or codes.RISS_CODE in ncit:
            return self._stage(resource, "iss" if codes.ISS_CODE in ncit else "r_iss")
        self.ctx.report.skip(
            resource.source,
            "unknown_code",
            f"{describe(model.code)} is not an observation mmpath reads",
        )
        return None

    # -- labs ---------------------------------------------------------------------------
    def _lab(self, resource: Resource, test: str) -> None:
        model = resource.model
        day = observation_day(self.ctx, "labs", resource)
        if day is None or self.ctx.after_as_of(resource.source, day):
            return
        quantity = model.valueQuantity
        value = number(quantity.value) if quantity is not None else None
        if value is None:
            self.ctx.report.skip(resource.source, "invalid", f"{test}: no valueQuantity.value")
            return
        if quantity.comparator is not None:
            self.ctx.report.skip(
                resource.source,
                "ambiguous",
                f"{test}: a value with comparator {quantity.comparator!r} is not a measurement",
            )
            return
        ucum = _unit(quantity)
        unit = UCUM_TO_RECORD.get(ucum or "")
        if unit not in accepted_units(test):
            conversion = CONVERSIONS.get((test, ucum or ""))
            if conversion is None:
                self.ctx.report.skip(
                    resource.source,
                    "invalid",
                    f"{test}: unit {ucum!r} cannot be converted to "
                    f"{', '.join(accepted_units(test))}",
                )
                return
            unit, factor = conversion
            value *= factor
        if value < 0:
            self.ctx.report.skip(resource.source, "invalid", f"{test}: negative value")
            return
        lab: dict[str, Any] = {"date": day.isoformat(), "test": test, "value": value, "unit": unit}
        if test == "ldh":
            upper = self._upper_limit(model, ucum)
            if upper is not None:
                lab["upper_limit"] = upper
        self.labs.append((lab, resource.source))

    @staticmethod
    def _upper_limit(model: Any, ucum: str | None) -> float | None:
        for reference in model.referenceRange or []:
            high = reference.high
            if high is not None and high.value is not None and _unit(high) in (ucum, None):
                factor = CONVERSIONS.get(("ldh", ucum or ""), ("U/L", 1.0))[1]
                return float(high.value) * factor
        return None

    # -- single-valued fields --------------------------------------------------------------
    def _keep(self, field_path: str, resource: Resource, day: dt.date, value: Any) -> None:
        self.latest[field_path].append(Latest(field_path, day, value, resource.source))

    def _ecog(self, resource: Resource) -> None:
        model = resource.model
        day = observation_day(self.ctx, "ecog", resource)
        if day is None or self.ctx.after_as_of(resource.source, day):
            return
        value = model.valueInteger
        if value is None:
            for c in codings(model.valueCodeableConcept):
                if c.system == codes.LOINC and c.code in codes.ECOG_ANSWERS:
                    value = codes.ECOG_ANSWERS[c.code]
        if value is None or not 0 <= value <= 4:
            self.ctx.report.skip(
                resource.source, "invalid", "ECOG: expected valueInteger 0-4 or a LOINC answer code"
            )
            return
        self._keep("ecog", resource, day, int(value))

    def _body(self, resource: Resource, field_path: str, units: dict[str, float]) -> None:
        day = observation_day(self.ctx, field_path, resource)
        if day is None or self.ctx.after_as_of(resource.source, day):
            return
        quantity = resource.model.valueQuantity
        unit = _unit(quantity)
        if quantity is None or quantity.value is None or unit not in units:
            self.ctx.report.skip(
                resource.source,
                "invalid",
                f"{field_path}: expected a valueQuantity in {', '.join(units)}",
            )
            return
        value = round(float(quantity.value) * units[unit], 2)
        if value <= 0:
            self.ctx.report.skip(resource.source, "invalid", f"{field_path}: not positive")
            return
        self._keep(field_path, resource, day, value)

    def _stage(self, resource: Resource, field_path: str) -> None:
        day = observation_day(self.ctx, f"diagnosis.{field_path}", resource)
        if day is None or self.ctx.after_as_of(resource.source, day):
            return
        table = codes.ISS_VALUES if field_path == "iss" else codes.RISS_VALUES
        for c in codings(resource.model.valueCodeableConcept):
            if c.system == codes.NCIT and c.code in table:
                self._keep(f"diagnosis.{field_path}", resource, day, table[c.code])
                return
        self.ctx.report.skip(
            resource.source,
            "unknown_code",
            f"{field_path.upper()}: value {describe(resource.model.valueCodeableConcept)} is not an "
            "NCIt stage I-III code",
        )

    def single_values(self) -> dict[str, Any]:
        """The newest value per single-valued field (others reported as superseded)."""
        out: dict[str, Any] = {}
        for field_path, found in sorted(self.latest.items()):
            ordered = sorted(found, key=lambda item: (item.day, item.source.where))
            newest = ordered[-1]
            out[field_path] = newest.value
            self.ctx.report.use(newest.source, f"{field_path} ({newest.day})")
            for older in ordered[:-1]:
                self.ctx.report.skip(
                    older.source,
                    "superseded",
                    f"{field_path}: a newer value ({newest.day}) is used",
                )
        return out
