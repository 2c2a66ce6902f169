"""OpenAPI 3.1 document, with the patient record schema published as a component."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mmpath.record.model import PatientRecord


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
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
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
