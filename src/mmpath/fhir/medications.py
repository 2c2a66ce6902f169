"""Medications (MedicationAdministration / MedicationRequest / MedicationStatement) as
drug exposures, grouped into treatment courses by :mod:`mmpath.fhir.courses`.

Drug: the codes of ``medicationCodeableConcept`` (or of the referenced Medication and
its ingredients) — ATC and RxNorm via ``codes`` — and the names (text, display)
resolved through the regimen/drug catalogue, so a text "VRd" or "Revlimid 25 mg" works
and new catalogue drugs flow in. A code that disagrees with its own name is
``ambiguous``; a drug not in the catalogue (antibiotics, supportive care) is out of
scope.

Dates: administration ``effective[x]``; statement ``effective[x]``; request
``dosageInstruction.timing.repeat.boundsPeriod`` (else ``authoredOn``, a guess). A
resource that is active without an end is ongoing; one that is completed or stopped
without an end date is ``ambiguous`` (its end is unknown). Stop reasons come from
``statusReason`` (mCODE TreatmentTerminationReasonVS, ``codes.STOP_REASONS``); a text
mentioning progression is read as ``progression`` and reported as a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from mmpath.fhir import codes
from mmpath.fhir.context import Context
from mmpath.fhir.courses import Course, Exposure, conventional_order, group
from mmpath.fhir.read import Resource
from mmpath.fhir.values import Code, codings, day_of, describe, period_days, texts

NOT_GIVEN = {
    "MedicationAdministration": frozenset({"not-done", "entered-in-error", "unknown"}),
    "MedicationStatement": frozenset({"not-taken", "entered-in-error", "intended", "unknown"}),
    "MedicationRequest": frozenset({"draft", "cancelled", "entered-in-error", "unknown"}),
}
ONGOING = frozenset({"active", "in-progress"})
ENDED = frozenset({"completed", "stopped"})
ORDER_INTENTS = frozenset(
    {"order", "original-order", "reflex-order", "filler-order", "instance-order"}
)
_LEADING_NAME = re.compile(r"^[^\d(]+")


class DrugProblem(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(detail)


def _name_drugs(ctx: Context, name: str) -> tuple[str, ...] | None:
    found = ctx.catalogue.drugs_of(name.strip())
    if found is None:
        leading = _LEADING_NAME.match(name)
        if leading and leading.group(0).strip() != name.strip():
            found = ctx.catalogue.drugs_of(leading.group(0).strip())
    return found


def resolve_drugs(ctx: Context, concepts: list[Any]) -> tuple[str, ...]:
    """The INNs named by medication concepts; raises :class:`DrugProblem`."""
    coded: set[str] = set()
    named: list[str] = []
    unnamed: list[Code] = []
    for concept in concepts:
        for c in codings(concept):
            table = codes.DRUG_CODES.get(c.system or "")
            if table is not None and c.code in table:
                coded.add(table[c.code])
            elif c.code:
                unnamed.append(c)
        for text in texts(concept):
            found = _name_drugs(ctx, text)
            if found is not None:
                named.extend(d for d in found if d not in named)
    if coded and named and set(named) != coded:
        raise DrugProblem(
            "ambiguous",
            f"codes say {', '.join(sorted(coded))} but the name says {', '.join(named)}",
        )
    drugs = tuple(sorted(coded)) if coded and not named else tuple(named)
    if not drugs:
        described = "; ".join(describe(c) for c in concepts) or "no code and no name"
        raise DrugProblem("out_of_scope", f"{described}: not a drug in mmpath's catalogue")
    return drugs


def _concepts(ctx: Context, resource: Resource) -> list[Any]:
    model = resource.model
    if model.medicationCodeableConcept is not None:
        return [model.medicationCodeableConcept]
    ref = model.medicationReference.reference if model.medicationReference is not None else None
    if ref and ref.startswith("#"):  # a Medication contained in the resource itself
        found = [c for c in model.contained or [] if getattr(c, "id", None) == ref[1:]]
        if not found or getattr(found[0], "code", None) is None:
            raise DrugProblem("missing_reference", f"contained Medication {ref!r} is not there")
        return _medication_concepts(found[0])
    medication = ctx.medications.get(ref) if ref else None
    if medication is None:
        raise DrugProblem("missing_reference", f"medicationReference {ref!r} is not in the input")
    ctx.report.use(medication.source, f"drug of {resource.source.reference}")
    return _medication_concepts(medication.model)


def _medication_concepts(medication: Any) -> list[Any]:
    """The code of a Medication resource and the codes of its ingredients."""
    concepts = [medication.code] if medication.code is not None else []
    for ingredient in medication.ingredient or []:
        if ingredient.itemCodeableConcept is not None:
            concepts.append(ingredient.itemCodeableConcept)
    return concepts


def _stop_reason(ctx: Context, resource: Resource) -> str | None:
    reasons = resource.model.statusReason
    if reasons is None:
        return None
    for concept in reasons if isinstance(reasons, list) else [reasons]:
        for c in codings(concept):
            if c.system == codes.SNOMED and c.code in codes.STOP_REASONS:
                return codes.STOP_REASONS[c.code]
        for text in texts(concept):
            if "progress" in text.lower():
                ctx.report.guess(
                    "treatments[].stop_reason",
                    resource.source,
                    "statusReason text mentions progression; read as stop reason progression",
                )
                return "progression"
    return "other"


def _dates(ctx: Context, resource: Resource) -> tuple[Any, Any, bool]:
    """(start value, end value, ordered_only) from the resource's own date fields."""
    model = resource.model
    if resource.type == "MedicationRequest":
        for dosage in model.dosageInstruction or []:
            timing = dosage.timing
            bounds = timing.repeat.boundsPeriod if timing and timing.repeat else None
            if bounds is not None and bounds.start is not None:
                return bounds.start, bounds.end, True
        if model.authoredOn is not None:
            ctx.report.guess(
                "treatments[].start",
                resource.source,
                "no dosage period; the date the order was written is taken as the start",
            )
        return model.authoredOn, None, True
    value = getattr(model, "effectiveDateTime", None)
    if value is not None:
        return value, value if resource.type == "MedicationAdministration" else None, False
    start, end = period_days(getattr(model, "effectivePeriod", None))
    return (start.date if start else None), (end.date if end else None), False


def exposures_of(ctx: Context, resource: Resource) -> list[Exposure]:
    model = resource.model
    status = model.status
    if status in NOT_GIVEN[resource.type]:
        ctx.report.skip(resource.source, "not_done", f"status {status}")
        return []
    if resource.type == "MedicationRequest" and model.intent not in ORDER_INTENTS:
        ctx.report.skip(resource.source, "not_done", f"intent {model.intent}: not an order")
        return []
    reasons = [
        str(r.reference) for r in getattr(model, "reasonReference", None) or [] if r.reference
    ]
    kinds = [ctx.condition_kinds[r] for r in reasons if r in ctx.condition_kinds]
    if reasons and len(kinds) == len(reasons) and not {"myeloma", "pcl"} & set(kinds):
        ctx.report.skip(
            resource.source,
            "out_of_scope",
            f"given for {', '.join(reasons)[:120]}, which is not myeloma (reasonReference)",
        )
        return []
    try:
        drugs = resolve_drugs(ctx, _concepts(ctx, resource))
    except DrugProblem as problem:
        ctx.report.skip(resource.source, problem.reason, problem.detail)  # type: ignore[arg-type]
        return []
    start_value, end_value, ordered = _dates(ctx, resource)
    start = ctx.day("treatments[].start", resource.source, start_value) if start_value else None
    if start is None:
        ctx.report.skip(resource.source, "invalid", "no start date")
        return []
    end = day_of(end_value)
    end_day: dt.date | None = end.date if end is not None else None
    if end_day is None and status in ENDED and resource.type != "MedicationAdministration":
        ctx.report.skip(
            resource.source, "ambiguous", f"status {status} without an end date; add the end date"
        )
        return []
    if end_day is not None and end_day < start.date:
        ctx.report.skip(resource.source, "invalid", "ends before it starts")
        return []
    if ctx.after_as_of(resource.source, start.date):
        return []
    if ctx.as_of is not None and end_day is not None and end_day > ctx.as_of:
        end_day = None  # still being given on the decision date
    reason = _stop_reason(ctx, resource) if end_day is not None else None
    ctx.report.use(resource.source, f"treatments ({', '.join(drugs)})")
    return [Exposure(d, start.date, end_day, reason, resource.source, ordered) for d in drugs]


def course_references(courses: list[Course]) -> list[set[str]]:
    """Per course, the ``Type/id`` of every resource it was read from."""
    return [{e.source.reference for e in course.exposures} for course in courses]


def courses_to_record(ctx: Context, courses: list[Course]) -> list[dict[str, Any]]:
    out = []
    for i, course in enumerate(courses):
        where = f"treatments[{i}]"
        entry: dict[str, Any] = {}
        regimen = ctx.catalogue.regimen_for_drugs(course.drugs)
        if regimen is not None:
            entry["regimen"] = regimen.id
        else:
            classes = {d: ctx.catalogue.classes_of(d) for d in course.drugs}
            entry["drugs"] = conventional_order(list(course.drugs), classes)
        entry["start"] = course.start.isoformat()
        if course.end is not None:
            entry["end"] = course.end.isoformat()
            reasons = course.stop_reasons
            if len(reasons) == 1:
                entry["stop_reason"] = next(iter(reasons))
            elif len(reasons) > 1:
                ctx.report.guess(
                    f"{where}.stop_reason",
                    None,
                    f"its drugs give different stop reasons ({', '.join(sorted(reasons))}); left unknown",
                )
        kinds = {e.source.reference.split("/")[0] for e in course.exposures}
        if kinds == {"MedicationAdministration"} and course.end is not None:
            ctx.report.guess(f"{where}.end", None, "the date of the last recorded dose")
        if all(e.ordered_only for e in course.exposures):
            ctx.report.guess(where, None, "from medication orders only; taken as given")
        out.append(entry)
    return out


def read_treatments(
    ctx: Context, resources: list[Resource]
) -> tuple[list[dict[str, Any]], list[set[str]]] | None:
    """The courses (record ``treatments``) and, per course, the references it came from."""
    exposures = [e for r in resources for e in exposures_of(ctx, r)]
    if not exposures:
        if "treatments" in ctx.complete:
            return [], []
        ctx.report.missing(
            "treatments",
            "no anti-myeloma medication; unknown (not 'no treatment') because the input does "
            "not say its medication list is complete",
        )
        return None
    ctx.report.guess(
        "treatments",
        None,
        "courses grouped by mmpath's rule (same drug: gaps up to 60 days; one regimen: drugs "
        "started within 28 days; a drug restarted alone after more than 10 days: a new course; a "
        "drug stopped for a reason while the others go on: the course ends that day); the "
        "exported history is taken as complete",
    )
    courses = group(exposures)
    return courses_to_record(ctx, courses), course_references(courses)
