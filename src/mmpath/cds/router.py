"""``/cds-services``: discovery, the two hooks and their feedback (CDS Hooks 2.0).

Each call is authenticated with the EHR's JWT (``auth``); errors are OperationOutcomes
(``errors``). A hook call: FHIR data from prefetch or the FHIR server (``prefetch``) ->
FHIR import (``mmpath.fhir``) -> the one recommend path of the API (validated, evaluated,
audited before answering: source ``cds-hooks``) -> cards (``cards``), each stored with
its audit row so feedback (``feedback``) lands on it as a decision.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from mmpath.api.service import recommend_and_audit_async
from mmpath.assess import Assessment
from mmpath.cds import cards as card_builder
from mmpath.cds.auth import Verifier
from mmpath.cds.config import CdsConfig, CdsConfigError, load_config
from mmpath.cds.errors import CdsError
from mmpath.cds.feedback import DecisionRow, decision_of
from mmpath.cds.order import check_order, ordered_drugs
from mmpath.cds.prefetch import gather
from mmpath.cds.request import FeedbackRequest, HookRequest, parse
from mmpath.cds.services import SERVICES, Service
from mmpath.fhir.importer import import_items
from mmpath.fhir.read import FhirInputError, decode_json
from mmpath.record.errors import RecordError
from mmpath.record.load import parse_record
from mmpath.store import Store, StoreError
from mmpath.store.decisions import Card, find_card, record_cards, record_decision

router = APIRouter(prefix="/cds-services", tags=["cds-hooks"])

ServiceId = Annotated[
    str, Path(pattern="^[a-z0-9-]{1,100}$", description="a service id of discovery")
]


@dataclass
class CdsRuntime:
    """The service's configuration with its caches (JWK Sets, seen ``jti``)."""

    config: CdsConfig
    verifier: Verifier = field(init=False)

    def __post_init__(self) -> None:
        self.verifier = Verifier(self.config)


def configured(request: Request) -> CdsRuntime | None:
    """The app's CDS Hooks runtime, loaded once from ``$MMPATH_CDS_CONFIG``; None when
    the service is not configured (a wrong configuration file is a 503 saying why)."""
    found: CdsRuntime | None = getattr(request.app.state, "cds", None)
    if found is None:
        try:
            config = load_config()
        except CdsConfigError as error:
            raise CdsError(
                503, f"the CDS Hooks configuration is wrong: {error}", code="exception"
            ) from None
        if config is None:
            return None
        found = CdsRuntime(config)
        request.app.state.cds = found
    return found


def runtime(request: Request) -> CdsRuntime:
    """The runtime, or 404: without a configuration mmpath offers no CDS service."""
    found = configured(request)
    if found is None:
        raise CdsError(
            404,
            "no CDS services are configured on this server (MMPATH_CDS_CONFIG; docs/cds-hooks.md)",
            code="not-found",
        )
    return found


def _service(service_id: str) -> Service:
    service = SERVICES.get(service_id)
    if service is None:
        raise CdsError(
            404, f"no CDS service {service_id[:100]!r}; see GET /cds-services", code="not-found"
        )
    return service


async def _json(request: Request) -> Any:
    try:
        return decode_json((await request.body()).decode("utf-8"))
    except UnicodeDecodeError:
        raise CdsError(400, "the request body is not UTF-8", code="invalid") from None
    except FhirInputError as error:
        raise CdsError(400, f"the request body is not JSON: {error}", code="invalid") from None


Handler = Callable[[], Awaitable[Any]]


async def _answer(handler: Handler) -> JSONResponse:
    try:
        return JSONResponse(await handler())
    except CdsError as error:
        return error.response()
    except StoreError as error:
        return CdsError(503, f"the database is not available: {error}", code="exception").response()


@router.get("", summary="CDS Hooks discovery")
async def discovery(request: Request) -> JSONResponse:
    """The CDS services mmpath offers, with their prefetch templates."""

    async def run() -> Any:
        cds = configured(request)
        if cds is None:
            return {"services": []}  # CDS Hooks: a server hosting no services lists none
        await cds.verifier.verify(
            request.headers.get("authorization"), (cds.config.url("/cds-services"),)
        )
        return {"services": [s.discovery() for s in SERVICES.values()]}

    return await _answer(run)


@router.post("/{service_id}", summary="Call a CDS service (patient-view, order-select)")
async def call_service(request: Request, service_id: ServiceId) -> JSONResponse:
    async def run() -> Any:
        cds = runtime(request)
        service = _service(service_id)
        await cds.verifier.verify(
            request.headers.get("authorization"), (cds.config.url(f"/cds-services/{service.id}"),)
        )
        hook: HookRequest = parse(HookRequest, await _json(request))
        if hook.hook != service.hook:
            raise CdsError(
                400,
                f"service {service.id} answers hook {service.hook}, not {hook.hook[:40]!r}",
                code="invalid",
                expression=["hook"],
            )
        order = ordered_drugs(hook.context) if service.hook == "order-select" else None
        if service.hook == "order-select" and order is None:
            return {"cards": []}  # no myeloma drug among the selected orders
        return await _evaluate(request, cds, service, hook, order)

    return await _answer(run)


async def _evaluate(
    request: Request,
    cds: CdsRuntime,
    service: Service,
    hook: HookRequest,
    order: tuple[tuple[str, ...], list[str]] | None,
) -> Any:
    config = cds.config
    patient_id = hook.patient_id
    items = await gather(hook, config)
    try:
        results = import_items(items, as_of=config.today(), region=config.region)
    except RecordError as error:
        raise CdsError(412, f"the FHIR data cannot be read: {error}") from None
    mine = [r for r in results if r.report.patient == f"Patient/{patient_id}"]
    if not mine:
        raise CdsError(
            412,
            "no Patient resource for context.patientId in the FHIR data",
            expression=["prefetch.patient"],
        )
    result = mine[0]
    report = result.report.as_json()
    if result.record is None:
        problems = "\n".join(f"- {card_builder.md(str(p))}" for p in result.problems)
        return {
            "cards": [
                {
                    "summary": "mmpath cannot evaluate: the EHR data do not make a valid record",
                    "indicator": "warning",
                    "detail": "The record built from the EHR data has these problems:\n\n"
                    + problems,
                    "source": {"label": "mmpath FHIR import", "url": config.url("/about#inputs")},
                }
            ]
        }
    record = result.record
    store: Store = request.app.state.store
    try:
        audited = await recommend_and_audit_async(store, record, "all", source="cds-hooks")
    except RecordError as error:
        raise CdsError(412, f"the record built from the FHIR data is not valid: {error}") from None
    output, audit_id = audited.output, audited.audit_id
    assert audit_id is not None  # a store was given
    user = hook.context.get("userId") if isinstance(hook.context.get("userId"), str) else None
    if order is None:
        cards = card_builder.patient_view_cards(output, report, config, audit_id)
        rows = [Card(c["uuid"], audit_id, service.id, {}, user=user) for c in cards if "uuid" in c]
    else:
        parsed = parse_record(record)
        check = check_order(order[0], order[1], output, parsed, Assessment(parsed))
        card, suggestions = card_builder.order_card(
            check, output, report, config, audit_id, patient_id
        )
        cards = [card]
        rows = [
            Card(
                card["uuid"], audit_id, service.id, suggestions, check.name, check.on_pathway, user
            )
        ]
    await run_in_threadpool(record_cards, store, rows, hook.hookInstance)
    return {"cards": cards}


def _store_decision(store: Store, row: DecisionRow) -> int:
    return record_decision(store, row.audit_id, **row.as_kwargs())


@router.post("/{service_id}/feedback", summary="Feedback on cards: stored as decisions")
async def feedback(request: Request, service_id: ServiceId) -> JSONResponse:
    async def run() -> Any:
        cds = runtime(request)
        service = _service(service_id)
        base = cds.config.url(f"/cds-services/{service.id}")
        await cds.verifier.verify(request.headers.get("authorization"), (f"{base}/feedback", base))
        body: FeedbackRequest = parse(FeedbackRequest, await _json(request))
        store: Store = request.app.state.store
        rows = []
        for i, item in enumerate(body.feedback):
            card = await run_in_threadpool(find_card, store, item.card.removeprefix("urn:uuid:"))
            if card is None or card.service != service.id:
                raise CdsError(
                    404,
                    f"feedback[{i}].card: no card {item.card[:60]!r} from {service.id}",
                    code="not-found",
                    expression=[f"feedback[{i}].card"],
                )
            rows.append(decision_of(item, card, f"feedback[{i}]"))
        for row in rows:
            await run_in_threadpool(_store_decision, store, row)
        return {"recorded": len(rows)}

    return await _answer(run)
