"""FHIR R4 (mCODE) input -> patient record v1 + import report, one per patient.

``import_fhir(raw)`` reads a Bundle or NDJSON (``read``), maps each patient's resources
with the concept modules (``patient``, ``conditions``, ``observations``,
``cytogenetics``, ``disease_status``, ``medications`` + ``courses``, ``procedures``,
``allergies``) and validates the assembled record with the record layer. A record that
does not validate is not returned: its problems are, each naming the record field and
the resource it came from. The mapping table with its codes is docs/fhir.md.

``as_of`` and ``region`` are not in FHIR; the caller gives them. ``complete`` names
record lists the caller knows to be complete in the input (``treatments``,
``procedures``, ``comorbidities``, ``progressions``): when empty they become ``[]``
(none) instead of unknown. A FHIR ``List`` with ``emptyReason`` nilknown says the same.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mmpath.fhir import codes
from mmpath.fhir.allergies import read_allergy
from mmpath.fhir.conditions import Conditions
from mmpath.fhir.context import Context
from mmpath.fhir.medications import read_treatments
from mmpath.fhir.observations import Observations
from mmpath.fhir.patient import read_patient
from mmpath.fhir.procedures import read_procedure
from mmpath.fhir.read import FhirInputError, PatientResources, Resource, read_input, read_items
from mmpath.fhir.report import ImportReport, Source
from mmpath.fhir.responses import attach
from mmpath.fhir.values import codings
from mmpath.record.errors import Problem, RecordError
from mmpath.record.load import parse_record

TRANSPLANTS = frozenset({"autologous_sct", "allogeneic_sct"})
COMPLETABLE = ("treatments", "procedures", "comorbidities", "progressions")
MEDICATION_TYPES = ("MedicationAdministration", "MedicationRequest", "MedicationStatement")
_INDEX = re.compile(r"^(\w+)\[(\d+)\]")


@dataclass
class ImportResult:
    record: dict[str, Any] | None  # None when the assembled record is not valid
    report: ImportReport
    problems: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"record": self.record, "report": self.report.as_json()}
        if self.problems:
            out["problems"] = [{"path": p.path, "message": p.message} for p in self.problems]
        return out


def _check_complete(complete: Iterable[str]) -> set[str]:
    found = set(complete)
    unknown = sorted(found - set(COMPLETABLE))
    if unknown:
        raise FhirInputError(
            [
                Problem("complete", f"unknown list {n!r}; expected one of {', '.join(COMPLETABLE)}")
                for n in unknown
            ]
        )
    return found


def _nil_known(ctx: Context, resource: Resource) -> None:
    model = resource.model
    names = {
        codes.LIST_CODES[c.code]
        for c in codings(model.code)
        if c.system == codes.LOINC and c.code in codes.LIST_CODES
    }
    empty = {c.code for c in codings(model.emptyReason)}
    if names and codes.NIL_KNOWN in empty and not model.entry:
        ctx.complete |= names
        ctx.report.use(
            resource.source, f"{', '.join(sorted(names))}: none known (List emptyReason nilknown)"
        )
        return
    ctx.report.skip(
        resource.source, "out_of_scope", "a List that is not an empty 'nil known' list mmpath reads"
    )


def _sorted(
    items: list[tuple[dict[str, Any], Source]], *keys: str
) -> list[tuple[dict[str, Any], Source]]:
    return sorted(items, key=lambda item: tuple(str(item[0].get(k, "")) for k in keys))


def import_patient(
    group: PatientResources, *, as_of: dt.date | None, region: str | None, complete: set[str]
) -> ImportResult:
    ctx = Context(group.report, as_of, group.medications, complete=set(complete))
    record: dict[str, Any] = {"schema_version": "1"}
    if as_of is not None:
        record["as_of"] = as_of.isoformat()
    read_patient(ctx, group.patient, record)
    if region is not None:
        record["region"] = region
    conditions = Conditions(ctx)
    observations = Observations(ctx)
    medications: list[Resource] = []
    procedures: list[tuple[dict[str, Any], Source]] = []
    drugs_out: dict[str, list[str]] = {"contraindications": [], "intolerances": []}
    for resource in group.resources:
        if resource.type == "List":
            _nil_known(ctx, resource)
    for resource in group.resources:
        if resource.type == "Condition":
            conditions.read(resource)
        elif resource.type == "Observation":
            observations.read(resource)
        elif resource.type in MEDICATION_TYPES:
            medications.append(resource)
        elif resource.type == "Procedure":
            found = read_procedure(ctx, resource)
            if found is not None:
                procedures.append((found, resource.source))
        elif resource.type == "AllergyIntolerance":
            allergy = read_allergy(ctx, resource)
            if allergy is not None:
                drugs_out[allergy[0]].extend(
                    d for d in allergy[1] if d not in drugs_out[allergy[0]]
                )
        elif resource.type != "List":
            ctx.report.skip(
                resource.source, "out_of_scope", f"mmpath does not read {resource.type} here"
            )
    singles = observations.single_values()
    for name in ("ecog", "weight_kg", "height_cm"):
        if name in singles:
            record[name] = singles[name]
    comorbidities = conditions.comorbidity_list()
    if comorbidities is not None:
        record["comorbidities"] = comorbidities
    diagnosis = conditions.diagnosis()
    for stage in ("iss", "r_iss"):
        if f"diagnosis.{stage}" in singles:
            diagnosis = {**(diagnosis or {}), stage: singles[f"diagnosis.{stage}"]}
    if diagnosis is not None:
        record["diagnosis"] = diagnosis
    sources: dict[str, list[Source]] = {}
    labs = _sorted(observations.labs, "date", "test")
    if labs:
        record["labs"] = [lab for lab, _s in labs]
        sources["labs"] = [s for _l, s in labs]
        for lab, source in labs:
            ctx.report.use(source, f"labs ({lab['test']})")
    else:
        ctx.report.missing("labs", "no laboratory result with a LOINC code mmpath reads")
    cytogenetics = observations.cytogenetics.as_record()
    if cytogenetics is not None:
        record["cytogenetics"] = cytogenetics
    else:
        ctx.report.missing("cytogenetics", "no genetic variant assessment mmpath reads")
    progressions = _sorted(observations.progressions, "date")
    read = read_treatments(ctx, medications)
    targets: list[tuple[str, set[str], dict[str, Any]]] = []
    if read is not None:
        record["treatments"], references = read
        targets += zip(
            ["best_response"] * len(references), references, record["treatments"], strict=True
        )
    targets += [
        ("best_response_after", {source.reference}, found)
        for found, source in procedures
        if found["type"] in TRANSPLANTS
    ]
    attach(ctx, observations.responses, targets)
    _list_field(ctx, record, sources, "procedures", _sorted(procedures, "date", "type"))
    for _p, source in progressions:
        ctx.report.use(source, "progressions")
    _list_field(ctx, record, sources, "progressions", progressions)
    for name, drugs in drugs_out.items():
        if drugs:
            record[name] = sorted(drugs)
    try:
        parse_record(record)
    except RecordError as error:
        return ImportResult(None, ctx.report, _with_origin(error.problems, sources))
    return ImportResult(record, ctx.report)


def _list_field(
    ctx: Context,
    record: dict[str, Any],
    sources: dict[str, list[Source]],
    name: str,
    items: list[tuple[dict[str, Any], Source]],
) -> None:
    if items:
        record[name] = [item for item, _s in items]
        sources[name] = [s for _i, s in items]
    elif name in ctx.complete:
        record[name] = []
    else:
        ctx.report.missing(
            name,
            f"none in the input; unknown (not 'none') unless the input says its {name} are complete",
        )


def _with_origin(problems: list[Problem], sources: dict[str, list[Source]]) -> list[Problem]:
    out = []
    for problem in problems:
        match = _INDEX.match(problem.path)
        origin = None
        if match and match.group(1) in sources:
            index = int(match.group(2))
            if index < len(sources[match.group(1)]):
                origin = sources[match.group(1)][index]
        message = f"{problem.message} (from {origin})" if origin else problem.message
        out.append(Problem(problem.path, message))
    return out


def import_fhir(
    raw: bytes | str,
    *,
    as_of: dt.date | None = None,
    region: str | None = None,
    complete: Iterable[str] = (),
    ndjson: bool | None = None,
) -> list[ImportResult]:
    """Every patient in ``raw`` (see the module docstring). Raises ``FhirInputError``
    (a ``RecordError``) when the input is not importable at all."""
    wanted = _check_complete(complete)
    return [
        import_patient(group, as_of=as_of, region=region, complete=wanted)
        for group in read_input(raw, ndjson=ndjson)
    ]


def import_items(
    items: list[tuple[str, Any]],
    *,
    as_of: dt.date | None = None,
    region: str | None = None,
    complete: Iterable[str] = (),
) -> list[ImportResult]:
    """:func:`import_fhir` for decoded values (``(where, resource or Bundle)`` pairs),
    as the CDS Hooks service has them from a request's prefetch."""
    wanted = _check_complete(complete)
    return [
        import_patient(group, as_of=as_of, region=region, complete=wanted)
        for group in read_items(items)
    ]


def import_bundle(raw: bytes | str, **options: Any) -> ImportResult:
    """:func:`import_fhir` for an input that must hold exactly one patient."""
    results = import_fhir(raw, **options)
    if len(results) != 1:
        raise FhirInputError(
            [
                Problem(
                    "",
                    f"the input holds {len(results)} patients; import one Bundle per "
                    "patient, or NDJSON for many",
                )
            ]
        )
    return results[0]
