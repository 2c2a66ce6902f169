"""The ``/api/v1`` endpoints (documented in docs/http-api.md)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from mmpath import __version__
from mmpath.api.body import json_body
from mmpath.api.decision import parse_decision
from mmpath.api.deps import get_settings, get_store, recommend_for
from mmpath.api.errors import ApiError, problem_json
from mmpath.api.models import (
    AuditEntryOut,
    AuditListOut,
    DecisionOut,
    ErrorOut,
    GuidelinePackOut,
    HealthOut,
    PatientListItemOut,
    PatientOut,
    PatientVersionOut,
    ValidationOut,
    VersionOut,
)
from mmpath.api.service import check_record
from mmpath.engine.packs import load_packs
from mmpath.recommendation import RecommendationOut
from mmpath.record.errors import Problem, RecordError
from mmpath.record.load import parse_record
from mmpath.record.model import PatientRecord
from mmpath.store import Store, browse
from mmpath.store.browse import AuditFilter, audit_entries
from mmpath.store.decisions import Decision, decisions_for, decisions_for_many, save_decision
from mmpath.store.store import ACTIONS

router = APIRouter(prefix="/api/v1")

#: The request body of every endpoint that takes a patient record. The body is read as
#: plain JSON and validated by mmpath.record (so the messages are the record layer's);
#: this only publishes the schema in OpenAPI.
RECORD_EXAMPLE: dict[str, Any] = json.loads(
    resources.files("mmpath")
    .joinpath("examples", "first-relapse-on-lenalidomide.json")
    .read_text("utf-8")
)
RECORD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/PatientRecord"},
                "example": RECORD_EXAMPLE,
            }
        },
    }
}

_PROBLEMS: dict[str, Any] = {
    "model": ErrorOut,
    "description": "invalid input; `problems` lists every problem by field path",
    "content": {
        "application/json": {
            "example": {
                "detail": "the patient record is not valid (1 problem)",
                "problems": [{"path": "labs[0].unit", "message": "unknown unit 'mg/dx'"}],
            }
        }
    },
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorOut, "description": "request body over the size limit"},
    415: {"model": ErrorOut, "description": "request body is not JSON"},
    422: _PROBLEMS,
    503: {
        "model": ErrorOut,
        "description": "the database is not available; nothing was stored or returned",
    },
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "no such saved patient"}
}

Guideline = Annotated[
    str, Query(max_length=100, description="a guideline pack id, or `all` (as the CLI)")
]
PatientId = Annotated[str, Path(pattern="^[0-9a-f]{32}$", description="saved patient id")]
AuditId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _recommendation(audited_json: str, audit_id: int | None) -> Response:
    headers = {"X-MMPath-Audit-Id": str(audit_id)} if audit_id is not None else {}
    return Response(audited_json, media_type="application/json", headers=headers)


@router.get(
    "/health",
    tags=["service"],
    responses={
        200: {"model": HealthOut},
        503: {"model": ErrorOut, "description": "not ready: the database cannot take a write"},
    },
)
def health(store: Annotated[Store, Depends(get_store)]) -> dict[str, str]:
    """Readiness: `ok` when the database answers and takes a write (a commit; for SQLite
    also enough free disk); 503 with the reason otherwise (full or read-only disk)."""
    store.ready()
    return {"status": "ok", "database": "ok"}


@router.get("/version", tags=["service"], responses={200: {"model": VersionOut}})
def version() -> dict[str, Any]:
    """mmpath's version, the contract versions and the shipped pack versions."""
    return {
        "mmpath": __version__,
        "record_schema": "1",
        "recommendation_schema": "1",
        "packs": [{"id": p.id, "version": p.version} for p in load_packs().values()],
    }


@router.get("/guidelines", tags=["guidelines"], responses={200: {"model": list[GuidelinePackOut]}})
def guidelines() -> list[dict[str, Any]]:
    """The guideline packs: id, version, title, source document, languages."""
    return [
        {
            "id": p.id,
            "version": p.version,
            "title": p.title,
            "organisation": p.organisation,
            "language": p.language,
            # quotes are shown in the source language and in English
            "languages": sorted({p.language, "en"}),
            "source_document": p.source_document,
            "published": p.published,
            "source_limitations": p.source_limitations,
            "rules": len(p.rules),
            "quotes": len(p.quotes),
        }
        for p in load_packs().values()
    ]


@router.get("/schema/record", tags=["records"])
def record_schema() -> dict[str, Any]:
    """The JSON Schema of the patient record (patient-record-v1)."""
    return PatientRecord.model_json_schema()


@router.post(
    "/validate",
    tags=["records"],
    openapi_extra=RECORD_BODY,
    responses={200: {"model": ValidationOut}, 413: _ERRORS[413], 415: _ERRORS[415], 422: _PROBLEMS},
)
async def validate(request: Request) -> dict[str, Any]:
    """Check a record: `valid` and every problem by field path (200 either way).

    A body that is not JSON at all is a 422, as on every endpoint.
    """
    data = await json_body(request)
    try:
        await run_in_threadpool(check_record, data)
    except RecordError as error:
        return {"valid": False, "problems": problem_json(error.problems)}
    return {"valid": True, "problems": []}


@router.post(
    "/recommend",
    tags=["recommend"],
    openapi_extra=RECORD_BODY,
    responses={
        200: {
            "model": RecommendationOut,
            "description": "recommendation-v1; header X-MMPath-Audit-Id names the audit entry",
        },
        404: {"model": ErrorOut, "description": "unknown guideline; `known` lists the ids"},
        **_ERRORS,
    },
)
async def recommend(request: Request, guideline: Guideline = "all") -> Response:
    """Treatment options per guideline for a patient record (stored in the audit trail)."""
    data = await json_body(request)
    audited = await recommend_for(request, data, guideline, source="api")
    return _recommendation(audited.output_json, audited.audit_id)


# -- saved patients -----------------------------------------------------------------


def _saved(store: Store, patient_id: str) -> Any:
    patient = store.get_patient(patient_id)
    if patient is None:
        raise ApiError(404, f"no saved patient {patient_id}")
    return patient


@router.get("/patients", tags=["patients"], responses={200: {"model": list[PatientListItemOut]}})
def list_patients(
    store: Annotated[Store, Depends(get_store)],
    q: Annotated[str | None, Query(max_length=200, description="identifier or id")] = None,
) -> list[dict[str, Any]]:
    """Saved patients (without their records), most recently updated first; `q` searches
    the record's identifier (anywhere, any case) and the saved id (its start). Each says
    its last audited answer (`last_audit_id`, `applicable`) and last `decision`."""
    return [
        {
            **row.patient.summary(),
            "last_audit_id": row.last_audit_id,
            "applicable": list(row.applicable),
            "decision": row.last_decision.as_json() if row.last_decision else None,
        }
        for row in browse.patients(store, q)
    ]


@router.get(
    "/patients/{patient_id}/history",
    tags=["patients"],
    responses={200: {"model": list[PatientVersionOut]}, **_NOT_FOUND},
)
def patient_history(
    patient_id: PatientId, store: Annotated[Store, Depends(get_store)]
) -> list[dict[str, Any]]:
    """Every saved version of the patient's record, oldest first."""
    _saved(store, patient_id)
    return [
        {"version": v.number, "saved_at": v.saved_at.isoformat(), "record": v.record}
        for v in browse.versions(store, patient_id)
    ]


@router.post(
    "/patients",
    tags=["patients"],
    status_code=201,
    openapi_extra=RECORD_BODY,
    responses={
        201: {
            "model": PatientOut,
            "description": "saved; header Location names the new patient",
        },
        **_ERRORS,
    },
)
async def create_patient(request: Request) -> JSONResponse:
    """Save a (valid) patient record; returns it with its new id."""
    data = await json_body(request)
    parse_record(data)
    store: Store = get_store(request)
    patient_id = await run_in_threadpool(store.create_patient, data)
    patient = await run_in_threadpool(_saved, store, patient_id)
    return JSONResponse(
        patient.as_json(), status_code=201, headers={"Location": f"/api/v1/patients/{patient_id}"}
    )


@router.get(
    "/patients/{patient_id}",
    tags=["patients"],
    responses={200: {"model": PatientOut}, **_NOT_FOUND},
)
def get_patient(
    patient_id: PatientId, store: Annotated[Store, Depends(get_store)]
) -> dict[str, Any]:
    """One saved patient with its record."""
    result: dict[str, Any] = _saved(store, patient_id).as_json()
    return result


@router.put(
    "/patients/{patient_id}",
    tags=["patients"],
    openapi_extra=RECORD_BODY,
    responses={200: {"model": PatientOut}, **_NOT_FOUND, **_ERRORS},
)
async def update_patient(request: Request, patient_id: PatientId) -> dict[str, Any]:
    """Replace a saved patient's record (it must be valid)."""
    data = await json_body(request)
    parse_record(data)
    store: Store = get_store(request)
    if not await run_in_threadpool(store.update_patient, patient_id, data):
        raise ApiError(404, f"no saved patient {patient_id}")
    result: dict[str, Any] = (await run_in_threadpool(_saved, store, patient_id)).as_json()
    return result


@router.delete(
    "/patients/{patient_id}",
    tags=["patients"],
    status_code=204,
    responses={204: {"description": "deleted"}, **_NOT_FOUND},
)
def delete_patient(patient_id: PatientId, store: Annotated[Store, Depends(get_store)]) -> Response:
    """Delete a saved patient (the audit entries made for it stay)."""
    if not store.delete_patient(patient_id):
        raise ApiError(404, f"no saved patient {patient_id}")
    return Response(status_code=204)


@router.post(
    "/patients/{patient_id}/recommend",
    tags=["patients", "recommend"],
    responses={
        200: {
            "model": RecommendationOut,
            "description": "recommendation-v1; header X-MMPath-Audit-Id names the audit entry",
        },
        404: {"model": ErrorOut, "description": "no such saved patient, or unknown guideline"},
        422: _PROBLEMS,
        503: _ERRORS[503],
    },
)
async def recommend_saved(
    request: Request, patient_id: PatientId, guideline: Guideline = "all"
) -> Response:
    """Recommend for a saved patient (audited, with the saved patient's id)."""
    patient = await run_in_threadpool(_saved, get_store(request), patient_id)
    audited = await recommend_for(request, patient.record, guideline, saved_patient_id=patient_id)
    return _recommendation(audited.output_json, audited.audit_id)


# -- audit trail --------------------------------------------------------------------


#: a day filter of the audit listing (checked by _audit_filter: 422 naming the field)
_DATE: dict[str, Any] = {
    "description": "YYYY-MM-DD (UTC)",
    "json_schema_extra": {"format": "date"},
}


def _audit_filter(
    patient: str | None,
    since: str | None,
    until: str | None,
    guideline: str | None,
    pathway: str | None,
) -> AuditFilter:
    problems = []
    days: dict[str, dt.date | None] = {}
    for name, value in (("since", since), ("until", until)):
        try:
            days[name] = dt.date.fromisoformat(value) if value else None
        except ValueError:
            problems.append(Problem(name, "expected a date YYYY-MM-DD"))
    if pathway not in (None, "", "on", "off", "undecided"):
        problems.append(Problem("pathway", "expected on, off or undecided"))
    if problems:
        raise ApiError(422, "the filter is not valid", problems)
    return AuditFilter(
        patient or None, days["since"], days["until"], guideline or None, pathway or None
    )


@router.get(
    "/audit",
    tags=["audit"],
    responses={
        200: {"model": AuditListOut},
        403: {"model": ErrorOut, "description": "an access-log action, and not an administrator"},
    },
)
def list_audit(
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    patient: Annotated[str | None, Query(max_length=32, description="saved patient id")] = None,
    since: Annotated[str | None, Query(max_length=10, **_DATE)] = None,
    until: Annotated[str | None, Query(max_length=10, **_DATE)] = None,
    guideline: Annotated[str | None, Query(max_length=100)] = None,
    pathway: Annotated[
        str | None,
        Query(
            description="on, off or undecided",
            json_schema_extra={"enum": ["on", "off", "undecided"]},
        ),
    ] = None,
    action: Annotated[
        str,
        Query(
            max_length=20,
            description="`evaluate` (recommendations, the default); `all` or an access-log "
            "action (view, list, save, delete, export, sign-in, ...): administrators only",
            json_schema_extra={"enum": sorted(ACTIONS | {"all"})},
        ),
    ] = "evaluate",
) -> dict[str, Any]:
    """Audit entries, newest first (without record and output; see `/audit/{id}`),
    filtered by saved patient, date, guideline evaluated and the decision's pathway."""
    if action not in ACTIONS | {"all"}:
        raise ApiError(422, f"unknown action {action[:20]!r}", [Problem("query.action", "unknown")])
    user = getattr(request.state, "user", None)
    settings = get_settings(request)
    if action != "evaluate" and settings.auth and (user is None or not user.can("admin")):
        role = getattr(user, "role", "not signed in")
        raise ApiError(
            403, f"the access log (action other than evaluate) needs the admin role; you are {role}"
        )
    filters = _audit_filter(patient, since, until, guideline, pathway)
    filters = dataclasses.replace(filters, action=None if action == "all" else action)
    total, entries = audit_entries(store, filters, limit=limit, offset=offset)
    found = decisions_for_many(store, [e.id for e in entries])
    return {
        "total": total,
        "entries": [{**e.summary(), "decision": _latest(found.get(e.id, []))} for e in entries],
    }


def _latest(found: list[Decision]) -> dict[str, Any] | None:
    return found[-1].as_json() if found else None


@router.get(
    "/audit/{audit_id}",
    tags=["audit"],
    responses={
        200: {"model": AuditEntryOut},
        404: {"model": ErrorOut, "description": "no such audit entry"},
    },
)
def get_audit(audit_id: AuditId, store: Annotated[Store, Depends(get_store)]) -> dict[str, Any]:
    """One audit entry: time, input digest, record, pack versions, mmpath version, output,
    and the decision recorded for it (`decision`: the latest, `decisions`: all, oldest first)."""
    entry = store.get_audit(audit_id)
    if entry is None:
        raise ApiError(404, f"no audit entry {audit_id}")
    found = decisions_for(store, audit_id)
    return {
        **entry.as_json(),
        "decision": _latest(found),
        "decisions": [d.as_json() for d in found],
    }


@router.post(
    "/audit/{audit_id}/decision",
    tags=["audit"],
    status_code=201,
    responses={
        201: {"model": DecisionOut, "description": "recorded; the decision as stored"},
        404: {"model": ErrorOut, "description": "no recommendation at this audit entry"},
        413: _ERRORS[413],
        415: _ERRORS[415],
        422: _PROBLEMS,
        503: _ERRORS[503],
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/DecisionIn"},
                    "example": {
                        "option_id": "DVd",
                        "pathway": "off",
                        "reason": "patient_preference",
                        "reason_text": "prefers fewer hospital visits",
                        "by": "Dr A. Jansen",
                        "at": "2026-11-05",
                    },
                }
            },
        }
    },
)
async def record_decision_for(request: Request, audit_id: AuditId) -> JSONResponse:
    """Record what was decided for the recommendation of audit entry `audit_id`: the chosen
    option (`option_id`) or another regimen (`regimen`), `pathway` on/off, for off-pathway a
    `reason` (toxicity_comorbidity, prior_treatment, patient_preference, clinical_trial,
    documented_rationale, other + `reason_text`), `by` and `at`."""
    data = await json_body(request)
    store: Store = get_store(request)
    entry = await run_in_threadpool(store.get_audit, audit_id)
    if entry is None or entry.output_json is None:
        raise ApiError(404, f"no recommendation at audit entry {audit_id}")
    output = RecommendationOut.model_validate_json(entry.output_json)
    try:
        decision = parse_decision(data, output)
    except RecordError as error:
        raise ApiError(422, "the decision is not valid", error.problems) from None
    await run_in_threadpool(save_decision, store, audit_id, decision, "api")
    found = await run_in_threadpool(decisions_for, store, audit_id)
    return JSONResponse(
        found[-1].as_json(),
        status_code=201,
        headers={"Location": f"/api/v1/audit/{audit_id}"},
    )
