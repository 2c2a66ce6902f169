"""``POST /api/v1/import/fhir``: a FHIR R4 Bundle or NDJSON -> patient record(s) + report.

Nothing is stored and nothing is evaluated: the caller reviews the record (and the
report of what was not used) and then calls ``/recommend``. Documented in docs/fhir.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from mmpath.api.errors import ApiError, problem_json
from mmpath.api.models import ErrorOut, FhirImportManyOut, FhirImportOut
from mmpath.fhir import import_fhir
from mmpath.record.errors import RecordError

router = APIRouter(prefix="/api/v1")

JSON_TYPES = ("application/json", "application/fhir+json")
NDJSON_TYPES = ("application/x-ndjson", "application/fhir+ndjson", "application/ndjson")

_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/fhir+json": {
                "schema": {"type": "object", "description": "a FHIR R4 Bundle"}
            },
            "application/json": {"schema": {"type": "object", "description": "a FHIR R4 Bundle"}},
            "application/fhir+ndjson": {"schema": {"type": "string", "description": "FHIR NDJSON"}},
        },
    }
}


@router.post(
    "/import/fhir",
    tags=["records"],
    openapi_extra=_BODY,
    responses={
        200: {
            "model": FhirImportOut | FhirImportManyOut,
            "description": "`{record, report}`, or `{patients: [...]}` for NDJSON",
        },
        413: {"model": ErrorOut, "description": "request body over the size limit"},
        415: {"model": ErrorOut, "description": "not FHIR JSON or NDJSON"},
        422: {
            "model": ErrorOut,
            "description": "not importable, or the record is not valid; `problems` says why "
            "(and `report` what was read, when the record was built but is not valid)",
        },
    },
)
async def import_fhir_route(
    request: Request,
    as_of: Annotated[dt.date | None, Query(description="decision date (not in FHIR)")] = None,
    region: Annotated[Literal["NL", "DK", "BE", "ES", "JP"] | None, Query()] = None,
    complete: Annotated[
        list[Literal["treatments", "procedures", "comorbidities", "progressions"]] | None,
        Query(description="lists the input holds completely: empty means none"),
    ] = None,
) -> JSONResponse:
    """FHIR R4 (mCODE) -> patient record v1 and an import report (see docs/fhir.md)."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in JSON_TYPES + NDJSON_TYPES:
        raise ApiError(
            415,
            f"expected FHIR JSON ({', '.join(JSON_TYPES)}) or NDJSON "
            f"({', '.join(NDJSON_TYPES)}), got {media[:60]!r}",
        )
    ndjson = media in NDJSON_TYPES
    raw = await request.body()
    try:
        results = import_fhir(
            raw, as_of=as_of, region=region, complete=complete or (), ndjson=ndjson
        )
    except RecordError as error:
        raise ApiError(422, "the input cannot be imported", error.problems) from None
    if ndjson:
        return JSONResponse({"patients": [r.as_json() for r in results]})
    if len(results) != 1:
        raise ApiError(
            422, f"the Bundle holds {len(results)} patients; send NDJSON for many patients"
        )
    result = results[0]
    if result.record is None:
        return JSONResponse(
            {
                "detail": "the imported record is not valid",
                "problems": problem_json(result.problems),
                "report": result.report.as_json(),
            },
            status_code=422,
        )
    return JSONResponse(result.as_json())
