"""OpenAPI 3.1 document, with the patient record schema published as a component.

Besides what FastAPI derives from the routes, the document says what every ``/api/v1``
operation can answer whatever the route does (the security middleware and the body
limit run first, docs/security.md): 400 (Host not served), 401 (not signed in, or an
invalid API token), 403 (role too low; for unsafe methods also a cross-site Origin or a
missing CSRF token), 413/415 (bodies), 422 (invalid input, one JSON shape: ``ErrorOut``),
429 (rate limit, with ``Retry-After``) and 503 (database not available). It also carries
OpenAPI links (a saved patient's id from ``POST /patients``, the audit id of a
recommendation) so that schemathesis' stateful tests follow real sequences
(tests/api/test_schemathesis.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mmpath.api.models import DecisionIn, ErrorOut
from mmpath.auth import policy
from mmpath.engine.packs import load_packs
from mmpath.record.model import PatientRecord

API = "/api/v1"
ERROR_REF = "#/components/schemas/ErrorOut"
_JSON_ERROR = {"application/json": {"schema": {"$ref": ERROR_REF}}}

#: status -> description of the answers the middleware (or the error handlers) can give
COMMON: dict[str, str] = {
    "400": "the Host header names a host not served here (DNS-rebinding defence)",
    "401": "not signed in (API: `Authorization: Bearer <token>`), or the token is not valid",
    "429": "too many requests; `Retry-After` says in how many seconds to try again",
    "503": "the database is not available (nothing was stored or shown)",
}
ROLE = "403"
ROLE_TEXT = "the signed-in user's role does not allow this"
UNSAFE_TEXT = "refused: a cross-site Origin, or (forms) a missing CSRF token"
BODY: dict[str, str] = {
    "413": "request body over the size limit",
    "415": "request body is not of a type this operation takes",
}
INVALID = "422"
INVALID_TEXT = "invalid input; `problems` lists every problem by field path"

HEADERS: dict[str, dict[str, Any]] = {
    "401": {
        "WWW-Authenticate": {
            "description": '`Bearer` (or `Bearer error="invalid_token"`)',
            "schema": {"type": "string"},
        }
    },
    "429": {
        "Retry-After": {
            "description": "seconds until a request is allowed again",
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        }
    },
}

#: (method, path) of the operation with the link -> status -> links
#: (name -> (method, path of the target, parameters)).
LINKS: dict[tuple[str, str], dict[str, dict[str, tuple[str, str, dict[str, str]]]]] = {}
_PATIENT = {"patient_id": "$response.body#/id"}
_AUDIT = {"audit_id": "$response.header.X-MMPath-Audit-Id"}
_SAVED_PATIENT_LINKS = {
    "GetPatient": ("get", f"{API}/patients/{{patient_id}}", _PATIENT),
    "GetPatientHistory": ("get", f"{API}/patients/{{patient_id}}/history", _PATIENT),
    "UpdatePatient": ("put", f"{API}/patients/{{patient_id}}", _PATIENT),
    "RecommendForPatient": ("post", f"{API}/patients/{{patient_id}}/recommend", _PATIENT),
    "DeletePatient": ("delete", f"{API}/patients/{{patient_id}}", _PATIENT),
}
_AUDIT_LINKS = {
    "GetAuditEntry": ("get", f"{API}/audit/{{audit_id}}", _AUDIT),
    "RecordDecision": ("post", f"{API}/audit/{{audit_id}}/decision", _AUDIT),
}
LINKS[("post", f"{API}/patients")] = {"201": _SAVED_PATIENT_LINKS}
LINKS[("put", f"{API}/patients/{{patient_id}}")] = {"200": _SAVED_PATIENT_LINKS}
LINKS[("post", f"{API}/recommend")] = {"200": _AUDIT_LINKS}
LINKS[("post", f"{API}/patients/{{patient_id}}/recommend")] = {"200": _AUDIT_LINKS}


def _error(description: str, status: str) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": dict(_JSON_ERROR)}
    if status in HEADERS:
        response["headers"] = HEADERS[status]
    return response


def _uses_error_shape(response: dict[str, Any]) -> None:
    """FastAPI's own 422 (``HTTPValidationError``) is not what mmpath sends: ``ErrorOut``."""
    for media in response.get("content", {}).values():
        ref = media.get("schema", {}).get("$ref", "")
        if ref.endswith("/HTTPValidationError"):
            media["schema"] = {"$ref": ERROR_REF}


def _declare_errors(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for response in responses.values():
        _uses_error_shape(response)
    if not path.startswith(API + "/"):
        return
    wanted = dict(COMMON)
    need = policy.required(method.upper(), path)
    if need not in (None, "signed-in"):
        wanted[ROLE] = ROLE_TEXT
    if method.upper() in {"POST", "PUT", "PATCH", "DELETE"}:
        wanted[ROLE] = UNSAFE_TEXT if need is None else f"{ROLE_TEXT}; or {UNSAFE_TEXT}"
    if "requestBody" in operation:
        wanted.update(BODY)
    if "requestBody" in operation or operation.get("parameters"):
        wanted[INVALID] = INVALID_TEXT
    for status, description in wanted.items():
        if status not in responses:
            responses[status] = _error(description, status)
            continue
        response = responses[status]
        content = response.setdefault("content", {})
        media = content.setdefault("application/json", {})
        media.setdefault("schema", {"$ref": ERROR_REF})
        if status in HEADERS:
            response.setdefault("headers", HEADERS[status])


def _add_links(document: dict[str, Any]) -> None:
    paths: dict[str, Any] = document["paths"]
    for (method, path), by_status in LINKS.items():
        for status, links in by_status.items():
            response = paths[path][method]["responses"][status]
            response["links"] = {
                name: {
                    "operationId": paths[target][target_method]["operationId"],
                    "parameters": dict(parameters),
                }
                for name, (target_method, target, parameters) in links.items()
            }
            if any(
                v.startswith("$response.header.") for _, _, p in links.values() for v in p.values()
            ):
                response.setdefault("headers", {})["X-MMPath-Audit-Id"] = {
                    "description": "the audit entry holding this answer",
                    "schema": {"type": "string", "pattern": "^[0-9]+$"},
                }


def _guideline_choices(document: dict[str, Any]) -> None:
    """``guideline`` of the recommend operations: `all` or a pack id of this server (an
    other value is a 404 naming the known ones, declared as such)."""
    choices = ["all", *sorted(load_packs())]
    for path in (f"{API}/recommend", f"{API}/patients/{{patient_id}}/recommend"):
        for parameter in document["paths"][path]["post"].get("parameters", []):
            if parameter["name"] == "guideline" and parameter["in"] == "query":
                parameter["schema"]["enum"] = choices


def build(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    record = PatientRecord.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, schema in record.pop("$defs", {}).items():
        if name in schemas and schemas[name] != schema:
            raise RuntimeError(f"OpenAPI schema name clash: {name}")
        schemas[name] = schema
    schemas["PatientRecord"] = record
    for model in (DecisionIn, ErrorOut):
        found = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, schema in {**found.pop("$defs", {}), model.__name__: found}.items():
            schemas.setdefault(name, schema)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            _declare_errors(path, method, operation)
    # FastAPI's validation-error shapes are not sent by mmpath (see _uses_error_shape)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    _add_links(document)
    _guideline_choices(document)
    return document


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
