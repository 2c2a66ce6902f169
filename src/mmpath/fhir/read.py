"""Read FHIR R4 input into validated resources grouped by patient.

Accepted input: a Bundle of type ``collection``, ``searchset``, ``transaction``,
``batch`` or ``document`` (JSON), or NDJSON (FHIR Bulk Data: one resource, or one
Bundle, per line). Each resource is validated on its own with the ``fhir.resources``
R4B models (R4B shares R4's definitions of every resource mmpath reads; the package
ships no R4 models since version 7 — docs/fhir.md), so one invalid resource is
reported and skipped rather than failing the whole input.

Limits (a hostile input gets a clear error, never unbounded work): at most
:data:`MAX_RESOURCES` resources in one input and :data:`MAX_DEPTH` levels of nesting
(``json`` refuses deeper input with a RecursionError, turned into a problem here).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from mmpath.fhir.report import ImportReport, Source
from mmpath.record.decode import JsonTextError, loads_strict
from mmpath.record.errors import Problem, RecordError, path_of

MAX_RESOURCES = 200_000
BUNDLE_TYPES = frozenset({"collection", "searchset", "transaction", "batch", "document"})
#: Resource types mmpath reads; any other type is reported as out of scope.
READ_TYPES = frozenset(
    {
        "Patient",
        "Condition",
        "Observation",
        "MedicationAdministration",
        "MedicationRequest",
        "MedicationStatement",
        "Medication",
        "Procedure",
        "AllergyIntolerance",
        "List",
    }
)


class FhirInputError(RecordError):
    """The input cannot be imported at all (not FHIR, wrong bundle type, too large)."""


def _fail(message: str, path: str = "") -> FhirInputError:
    return FhirInputError([Problem(path, message)])


@dataclass
class Resource:
    source: Source
    type: str
    id: str | None
    full_url: str | None
    model: Any  # the fhir.resources R4B model instance


@dataclass
class PatientResources:
    """One patient, every resource that refers to it, and the Medication resources its
    medication resources reference (by ``Medication/id`` or fullUrl)."""

    patient: Resource
    resources: list[Resource] = field(default_factory=list)
    medications: dict[str, Resource] = field(default_factory=dict)
    report: ImportReport = field(default_factory=ImportReport)


def decode_json(text: str, where: str = "") -> Any:
    """Strict JSON, as for records (``record.decode.loads_strict``: no NaN/Infinity);
    problems become an :class:`FhirInputError`."""
    try:
        return loads_strict(text)
    except JsonTextError as error:
        raise _fail(str(error), where) from None


def decode(raw: bytes | str, *, ndjson: bool | None = None) -> list[tuple[str, Any]]:
    """Decode a Bundle (JSON) or NDJSON text into ``(where, value)`` items.

    ``ndjson=None`` guesses: JSON unless the text has more than one non-empty line that
    each decode on their own.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise _fail(f"input is not UTF-8 ({error.reason} at byte {error.start})") from None
    if ndjson is None:
        stripped = raw.strip()
        ndjson = "\n" in stripped and not stripped.startswith("[")
        if ndjson:
            try:
                json.loads(stripped)
                ndjson = False  # one (pretty-printed) JSON document
            except (json.JSONDecodeError, RecursionError, ValueError):
                ndjson = True
    if not ndjson:
        return [("", decode_json(raw))]
    items = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if line.strip():
            items.append((f"line {number}", decode_json(line, f"line {number}")))
    if not items:
        raise _fail("the NDJSON input has no lines")
    return items


def _entries(where: str, value: Any, report: ImportReport) -> Iterator[tuple[str, Any, Any]]:
    """``(where, resource dict, fullUrl)`` for a Bundle or a single resource."""
    if not isinstance(value, dict):
        raise _fail(f"expected a FHIR resource (a JSON object), got {type(value).__name__}", where)
    kind = value.get("resourceType")
    if kind != "Bundle":
        yield where, value, None
        return
    btype = value.get("type")
    if btype not in BUNDLE_TYPES:
        raise _fail(
            f"Bundle.type {btype!r} is not importable; expected one of "
            f"{', '.join(sorted(BUNDLE_TYPES))}",
            f"{where}.type" if where else "type",
        )
    entries = value.get("entry") or []
    if not isinstance(entries, list):
        raise _fail("Bundle.entry must be a list", f"{where}.entry" if where else "entry")
    for i, entry in enumerate(entries):
        here = f"{where} entry[{i}]".strip()
        if not isinstance(entry, dict):
            raise _fail("a Bundle entry must be an object", here)
        resource = entry.get("resource")
        if resource is None:
            method = (entry.get("request") or {}).get("method")
            report.skip(
                Source(f"entry without resource ({method or 'no request'})", here),
                "out_of_scope",
                "a Bundle entry without a resource carries no data",
            )
            continue
        yield here, resource, entry.get("fullUrl")


def _problems(error: ValidationError, limit: int = 3) -> str:
    parts = []
    for item in error.errors(include_url=False)[:limit]:
        parts.append(f"{path_of(tuple(item['loc'])) or '(resource)'}: {item['msg']}")
    more = len(error.errors()) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def validated(where: str, data: Any, full_url: Any, report: ImportReport) -> Resource | None:
    """One resource, validated with its R4B model; None (reported) when unusable."""
    kind = data.get("resourceType") if isinstance(data, dict) else None
    rid = data.get("id") if isinstance(data, dict) else None
    rid = rid if isinstance(rid, str) else None
    label = f"{kind}/{rid}" if isinstance(kind, str) and rid else f"{kind or 'resource'} at {where}"
    source = Source(label[:200], where or "input")
    if not isinstance(kind, str):
        report.skip(source, "invalid", "no resourceType")
        return None
    if kind not in READ_TYPES:
        try:
            get_fhir_model_class(kind)
        except (ValueError, KeyError):
            report.skip(source, "invalid", f"{kind[:60]!r} is not a FHIR R4 resource type")
            return None
        report.skip(source, "out_of_scope", f"mmpath does not read {kind} resources")
        return None
    try:
        model = get_fhir_model_class(kind).model_validate(data)
    except ValidationError as error:
        report.skip(source, "invalid", f"not a valid FHIR R4 {kind}: {_problems(error)}")
        return None
    except (RecursionError, ValueError, TypeError) as error:
        report.skip(source, "invalid", f"not a valid FHIR R4 {kind}: {str(error)[:200]}")
        return None
    return Resource(source, kind, rid, full_url if isinstance(full_url, str) else None, model)


def _subject(resource: Resource) -> str | None:
    model = resource.model
    for name in ("subject", "patient"):
        ref = getattr(model, name, None)
        if ref is not None and getattr(ref, "reference", None):
            return str(ref.reference)
    return None


def _relative(reference: str) -> str:
    """``http://server/fhir/Patient/1`` -> ``Patient/1`` (absolute references)."""
    parts = reference.rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else reference


def keys_of(resource: Resource) -> set[str]:
    keys = set()
    if resource.id:
        keys.add(f"{resource.type}/{resource.id}")
    if resource.full_url:
        keys.add(resource.full_url)
        # absolute URL http://server/fhir/Patient/1 also answers to Patient/1
        tail = resource.full_url.rstrip("/").split("/")
        if len(tail) >= 2 and tail[-2] == resource.type:
            keys.add(f"{tail[-2]}/{tail[-1]}")
    return keys


def read_input(raw: bytes | str, *, ndjson: bool | None = None) -> list[PatientResources]:
    """Every patient of the input with its resources (see the module docstring).

    Resources that name no patient, or a patient not in the input, are reported in the
    report of the single patient when there is one, else in the first patient's.
    Raises :class:`FhirInputError` when the input is not FHIR at all or has no Patient.
    """
    return read_items(decode(raw, ndjson=ndjson))


def read_items(items: list[tuple[str, Any]]) -> list[PatientResources]:
    """:func:`read_input` for decoded values: ``(where, resource or Bundle)`` pairs."""
    orphan_report = ImportReport()
    resources: list[Resource] = []
    count = 0
    for where, value in items:
        for here, data, full_url in _entries(where, value, orphan_report):
            count += 1
            if count > MAX_RESOURCES:
                raise _fail(f"more than {MAX_RESOURCES} resources in one input; split it")
            found = validated(here, data, full_url, orphan_report)
            if found is not None:
                resources.append(found)
    patients = [r for r in resources if r.type == "Patient"]
    if not patients:
        raise _fail("the input has no Patient resource; expected one Patient per patient")
    groups = [PatientResources(p) for p in patients]
    by_key: dict[str, PatientResources] = {}
    for group in groups:
        for key in keys_of(group.patient):
            by_key[key] = group
    medications: dict[str, Resource] = {}
    for resource in resources:
        if resource.type == "Medication":
            for key in keys_of(resource):
                medications[key] = resource
    referenced: set[int] = set()
    for resource in resources:
        if resource.type in ("Patient", "Medication"):
            continue
        subject = _subject(resource)
        target = (by_key.get(subject) or by_key.get(_relative(subject))) if subject else None
        if target is not None:
            target.resources.append(resource)
        elif subject is None and len(groups) == 1:
            if resource.type == "List":
                groups[0].resources.append(resource)
            else:
                orphan_report.skip(
                    resource.source,
                    "missing_reference",
                    "names no patient (subject / patient is absent)",
                )
        else:
            detail = (
                f"refers to {subject[:100]}, which is not in the input"
                if subject
                else "names no patient (subject / patient is absent)"
            )
            orphan_report.skip(resource.source, "missing_reference", detail)
    for group in groups:
        for resource in group.resources:
            ref = getattr(resource.model, "medicationReference", None)
            wanted = str(ref.reference) if ref is not None and ref.reference else None
            if wanted is not None and wanted in medications:
                group.medications[wanted] = medications[wanted]
                referenced.add(id(medications[wanted]))
    for medication in {id(m): m for m in medications.values()}.values():
        if id(medication) not in referenced:
            orphan_report.skip(
                medication.source,
                "out_of_scope",
                "a Medication that no medication resource of a patient refers to",
            )
    first = groups[0].report
    first.unused.extend(orphan_report.unused)
    return groups
