"""HTTP servers the CDS Hooks tests start on 127.0.0.1: the EHR's JWK Set and its FHIR
server (read and search by patient and code, with paging and a bearer token)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

PAGE = 4  # small pages, so the service must follow "next" links


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Ehr:
    """What the fake EHR serves; tests change it between calls."""

    def __init__(self) -> None:
        self.jwks: dict[str, Any] = {"keys": []}
        self.resources: list[dict[str, Any]] = []
        self.token = "fhir-access-token"
        self.requests: list[str] = []


def _subject(resource: dict[str, Any]) -> str | None:
    for name in ("subject", "patient"):
        ref = resource.get(name)
        if isinstance(ref, dict):
            return ref.get("reference")
    return None


def _codes(resource: dict[str, Any]) -> set[str]:
    concept = resource.get("code") or {}
    return {f"{c.get('system')}|{c.get('code')}" for c in concept.get("coding") or []}


def app_for(ehr: Ehr, base: str) -> FastAPI:
    app = FastAPI()

    @app.get("/jwks.json")
    def jwks() -> dict[str, Any]:
        return ehr.jwks

    @app.get("/fhir/{kind}/{rid}")
    def read(kind: str, rid: str, request: Request) -> JSONResponse:
        ehr.requests.append(str(request.url))
        if request.headers.get("authorization") != f"Bearer {ehr.token}":
            return JSONResponse({"resourceType": "OperationOutcome"}, status_code=401)
        for r in ehr.resources:
            if r["resourceType"] == kind and r.get("id") == rid:
                return JSONResponse(r)
        return JSONResponse({"resourceType": "OperationOutcome"}, status_code=404)

    @app.get("/fhir/{kind}")
    def search(kind: str, request: Request) -> JSONResponse:
        ehr.requests.append(str(request.url))
        if request.headers.get("authorization") != f"Bearer {ehr.token}":
            return JSONResponse({"resourceType": "OperationOutcome"}, status_code=401)
        params = request.query_params
        patient = params.get("patient")
        found = [
            r
            for r in ehr.resources
            if r["resourceType"] == kind
            and (patient is None or _subject(r) == f"Patient/{patient}")
        ]
        if "code" in params:
            wanted = set(params["code"].split(","))
            found = [r for r in found if _codes(r) & wanted]
        offset = int(params.get("_offset", "0"))
        page = found[offset : offset + PAGE]
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in page],
        }
        if offset + PAGE < len(found):
            query = "&".join(f"{k}={v}" for k, v in params.items() if k != "_offset")
            bundle["link"] = [
                {"relation": "next", "url": f"{base}/fhir/{kind}?{query}&_offset={offset + PAGE}"}
            ]
        return JSONResponse(bundle)

    return app


@contextmanager
def serve(ehr: Ehr) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(app_for(ehr, base), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test EHR server did not start")
        time.sleep(0.02)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
