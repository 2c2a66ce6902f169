"""Best response per course or transplant: mmpath's own Observation convention.

FHIR R4 and mCODE have no element for "the best response (IMWG) reached on this
regimen": mCODE's CancerDiseaseStatus is a trend (improved / stable / worsened) at one
date, not a response category. The record's refractoriness facts need the category
(IMWG: non-response = less than a minimal response while on therapy, shared/reference/
clinical-definitions.md), so without it an import leaves refractoriness unknown.

mmpath therefore reads one documented convention (docs/fhir.md, "Best response"), with
codes of its own code systems, not borrowed ones:

* ``Observation.code``: ``https://mmpath.org/fhir/CodeSystem/observation#best-response``;
* ``Observation.valueCodeableConcept``: a code of
  ``https://mmpath.org/fhir/CodeSystem/imwg-response`` (``sCR CR VGPR PR MR SD PD``, the
  record's response categories);
* ``Observation.focus``: the medication resource(s) of the course (any one of its drugs)
  or the transplant ``Procedure``; ``effective[x]``: when the response was assessed.

An observation whose focus is not a course or transplant of this patient is reported as
unused (``missing_reference``); two responses for one course keep the better one and
report the other as superseded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mmpath.fhir import codes
from mmpath.fhir.context import Context
from mmpath.fhir.read import Resource
from mmpath.fhir.report import Source
from mmpath.fhir.values import codings

RESPONSE_RANK = {"sCR": 6, "CR": 5, "VGPR": 4, "PR": 3, "MR": 2, "SD": 1, "PD": 0}


@dataclass(frozen=True, slots=True)
class BestResponse:
    focus: tuple[str, ...]  # relative references, "MedicationStatement/ms1"
    response: str
    day: dt.date | None
    source: Source


def is_best_response(resource: Resource) -> bool:
    return any(
        c.system == codes.MMPATH_OBSERVATION and c.code == codes.BEST_RESPONSE
        for c in codings(resource.model.code)
    )


def read_best_response(
    ctx: Context, resource: Resource, day: dt.date | None
) -> BestResponse | None:
    model = resource.model
    found = [
        c.code
        for c in codings(model.valueCodeableConcept)
        if c.system == codes.IMWG_RESPONSE and c.code in RESPONSE_RANK
    ]
    if len(set(found)) != 1:
        ctx.report.skip(
            resource.source,
            "invalid",
            f"a best response needs one value from {codes.IMWG_RESPONSE} "
            f"({' '.join(RESPONSE_RANK)})",
        )
        return None
    focus = tuple(
        _relative(str(ref.reference))
        for ref in model.focus or []
        if getattr(ref, "reference", None)
    )
    if not focus:
        ctx.report.skip(
            resource.source, "missing_reference", "a best response needs Observation.focus"
        )
        return None
    return BestResponse(focus, found[0], day, resource.source)


def _relative(reference: str) -> str:
    parts = reference.rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else reference


def attach(
    ctx: Context,
    responses: list[BestResponse],
    targets: list[tuple[str, set[str], dict[str, object]]],
) -> None:
    """Put each response on the course or procedure its focus names.

    ``targets``: (record field, the references of the resources it came from, the entry);
    the field is ``best_response`` for a course and ``best_response_after`` for a
    transplant."""
    chosen: dict[int, BestResponse] = {}
    for response in responses:
        hits = [i for i, (_f, refs, _e) in enumerate(targets) if refs & set(response.focus)]
        if len(hits) != 1:
            ctx.report.skip(
                response.source,
                "missing_reference",
                "Observation.focus names no course or transplant of this patient"
                if not hits
                else "Observation.focus names more than one course or transplant",
            )
            continue
        i = hits[0]
        other = chosen.get(i)
        if other is not None and RESPONSE_RANK[other.response] >= RESPONSE_RANK[response.response]:
            ctx.report.skip(response.source, "superseded", "a better response is recorded")
            continue
        if other is not None:
            ctx.report.skip(other.source, "superseded", "a better response is recorded")
        chosen[i] = response
    for i, response in sorted(chosen.items()):
        field, _refs, entry = targets[i]
        entry[field] = response.response
        ctx.report.use(response.source, field)
