"""The FHIR data of a hook call: from ``prefetch``, else from the EHR's FHIR server.

CDS Hooks 2.0: a prefetch key that is absent (or null) was not satisfied by the client;
"the CDS Service is responsible for retrieving the FHIR resource ... from the FHIR
server (if required)". mmpath needs every key of ``services.PREFETCH``. When some are
missing and the request gives ``fhirServer`` and ``fhirAuthorization``, mmpath runs the
same queries against that server with the access token (following ``next`` links on the
same server, at most :data:`MAX_PAGES` pages); when it cannot, it answers 412 naming
the missing keys. The access token is used for these queries only and never stored.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import httpx

from mmpath.cds.config import CdsConfig
from mmpath.cds.errors import CdsError
from mmpath.cds.request import HookRequest
from mmpath.cds.services import PATIENT, PREFETCH

MAX_PAGES = 20
TIMEOUT = 10.0


def _query(template: str, patient_id: str) -> str:
    return template.replace(PATIENT, quote(patient_id, safe=""))


async def _fetch(client: httpx.AsyncClient, base: str, key: str, query: str) -> list[Any]:
    url: str | None = f"{base}/{query}"
    values: list[Any] = []
    pages = 0
    while url is not None:
        pages += 1
        if pages > MAX_PAGES:
            raise CdsError(412, f"prefetch {key}: more than {MAX_PAGES} pages from the FHIR server")
        try:
            response = await client.get(url)
        except httpx.HTTPError as error:
            raise CdsError(
                412, f"prefetch {key}: the FHIR server did not answer ({type(error).__name__})"
            ) from None
        if response.status_code in (401, 403):
            raise CdsError(
                412,
                f"prefetch {key}: the FHIR server refused the access token ({response.status_code})",
            )
        if response.status_code == 404 and key == "patient":
            raise CdsError(412, "prefetch patient: the FHIR server has no such patient")
        if response.status_code != 200:
            raise CdsError(412, f"prefetch {key}: the FHIR server answered {response.status_code}")
        try:
            value = response.json()
        except ValueError:
            raise CdsError(412, f"prefetch {key}: the FHIR server's answer is not JSON") from None
        values.append(value)
        url = None
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            for link in value.get("link") or []:
                target = link.get("url") if isinstance(link, dict) else None
                if (
                    isinstance(link, dict)
                    and link.get("relation") == "next"
                    and isinstance(target, str)
                ):
                    if not target.startswith(base + "/") and not target.startswith(base + "?"):
                        raise CdsError(412, f"prefetch {key}: a next link leaves the FHIR server")
                    url = target
    return values


async def gather(request: HookRequest, config: CdsConfig) -> list[tuple[str, Any]]:
    """``(where, resource or Bundle)`` pairs for the importer (see the module docstring)."""
    patient_id = request.patient_id
    given = request.prefetch or {}
    items: list[tuple[str, Any]] = []
    missing = []
    for key in PREFETCH:
        value = given.get(key)
        if value is None:
            missing.append(key)
        else:
            items.append((f"prefetch.{key}", value))
    patient = given.get("patient")
    if isinstance(patient, dict) and patient.get("id") not in (None, patient_id):
        raise CdsError(
            400,
            "prefetch.patient is not the patient of context.patientId",
            code="invalid",
            expression=["prefetch.patient"],
        )
    if not missing:
        return items
    if request.fhirServer is None or request.fhirAuthorization is None:
        raise CdsError(
            412,
            f"prefetch incomplete ({', '.join(missing)}) and no fhirServer with "
            "fhirAuthorization to fetch it",
            expression=[f"prefetch.{k}" for k in missing],
        )
    base = request.fhirServer.rstrip("/")
    if not config.url_allowed(base):
        raise CdsError(412, "fhirServer must be an https URL", expression=["fhirServer"])
    headers = {
        "Authorization": f"Bearer {request.fhirAuthorization.access_token}",
        "Accept": "application/fhir+json",
    }
    async with httpx.AsyncClient(
        timeout=TIMEOUT, headers=headers, follow_redirects=False
    ) as client:
        pages = await asyncio.gather(
            *(_fetch(client, base, key, _query(PREFETCH[key], patient_id)) for key in missing)
        )
    for key, values in zip(missing, pages, strict=True):
        items.extend((f"fhirServer {key} page {i + 1}", v) for i, v in enumerate(values))
    return items
