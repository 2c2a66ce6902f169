"""Stable pages of the clinician workflow (issue 10): results, decisions, patients, audit.

- ``GET /results/{audit_id}`` (and ``/compare``, ``/summary``, ``/summary.pdf``) shows the
  answer stored in that audit row, exactly as it was given: no new evaluation, no new
  audit row. ``POST /evaluate`` (and the other views) audit, then redirect here.
- ``POST /results/{audit_id}/decision`` records the board's decision for that answer
  (checked by :mod:`mmpath.api.decision`, as the API does).
- ``GET /patients`` (search), ``GET /patients/{id}`` (the patient page: record, answers,
  decisions, history), ``GET /patients/{id}/edit`` (the form), save and delete.
- ``GET /audit``: the audit trail with filters (patient, dates, guideline, pathway).

Database calls run in worker threads (``run_in_threadpool``): no page holds the event
loop while the database answers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mmpath.api.decision import option_ids, parse_decision, recommended_ids
from mmpath.present.grouping import group
from mmpath.recommendation import RecommendationOut
from mmpath.record.errors import RecordError
from mmpath.record.load import parse_record
from mmpath.record.model import PatientRecord
from mmpath.store import AuditEntry, Store, StoreError, browse
from mmpath.store.decisions import REASONS, Decision, decisions_for, save_decision
from mmpath.web import routes as R
from mmpath.web.summary import render_pdf, summarise

router = APIRouter(include_in_schema=False)


def _store(request: Request) -> Store:
    store: Store = R._store(request)
    return store


def _not_found(request: Request, what: str) -> HTMLResponse:
    return R._error_page(request, f"No such {what}", "It may have been deleted.", 404)


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


async def _answer(
    request: Request, audit_id: str
) -> tuple[AuditEntry, PatientRecord, RecommendationOut, list[Decision]] | HTMLResponse:
    """The audited answer of ``audit_id``: its record, its output and its decisions."""
    number = _int(audit_id)
    if number is None:
        return _not_found(request, "result")
    store = _store(request)
    try:
        entry = await run_in_threadpool(store.get_audit, number)
        found = await run_in_threadpool(decisions_for, store, number) if entry else []
    except StoreError as error:
        return R._store_failed(request, error)
    if entry is None or entry.record_json is None or entry.output_json is None:
        return _not_found(request, "result")  # an access event, or pruned by retention
    record = parse_record(json.loads(entry.record_json))
    out = RecommendationOut.model_validate_json(entry.output_json)
    return entry, record, out, found


def context(
    record: PatientRecord,
    out: RecommendationOut,
    *,
    patient_id: str | None,
    audit_id: int | None,
    decisions: list[Decision] | None = None,
) -> dict[str, Any]:
    """What every result view shows besides its own content."""
    return {
        **R._context(record, out, R.Submitted({}, patient_id)),
        "audit_id": audit_id,
        "decisions": decisions or [],
        "decision": decisions[-1] if decisions else None,
        "reasons": REASONS,
    }


def result_page(
    request: Request,
    record: PatientRecord,
    out: RecommendationOut,
    guideline: str | None,
    *,
    patient_id: str | None,
    audit_id: int | None,
    decisions: list[Decision] | None = None,
    problems: list[tuple[str, str]] | None = None,
    posted: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    result = R._pick(out, guideline, record.region)
    grouped = group(result)
    conditional = sorted(
        {f for o in result.options for f in o.requires}
        | {f for o in result.options for c in (*o.cautions, *o.dosing) for f in c.requires}
        | {f for n in result.annotations for f in n.requires}
    )
    on_pathway = recommended_ids(out)
    return R.templates.TemplateResponse(
        request,
        "result.html",
        {
            **context(record, out, patient_id=patient_id, audit_id=audit_id, decisions=decisions),
            "result": result,
            "grouped": grouped,
            "links": R._field_links(conditional + [m.fact for m in result.missing], result),
            "choices": [(i, n, i in on_pathway) for i, n in option_ids(out).items()],
            "decision_problems": problems or [],
            "posted": posted or {},
        },
        status_code=status_code,
    )


def compare_page(
    request: Request,
    record: PatientRecord,
    out: RecommendationOut,
    *,
    patient_id: str | None,
    audit_id: int | None,
    decisions: list[Decision] | None = None,
) -> HTMLResponse:
    return R.templates.TemplateResponse(
        request,
        "compare.html",
        {
            **context(record, out, patient_id=patient_id, audit_id=audit_id, decisions=decisions),
            "table": out.comparison,
            "versions": {r.guideline.id: f"v{r.guideline.version}" for r in out.results},
            "not_applicable": [r for r in out.results if r.applicable is False],
        },
    )


def summary_page(
    request: Request,
    record: PatientRecord,
    out: RecommendationOut,
    guideline: str | None,
    *,
    patient_id: str | None,
    audit_id: int | None,
    decisions: list[Decision] | None = None,
) -> HTMLResponse:
    content = summarise(record, out, guideline, decision=decisions[-1] if decisions else None)
    focus_id = content.focus.result.guideline.id if content.focus else None
    return R.templates.TemplateResponse(
        request,
        "summary.html",
        {
            **context(record, out, patient_id=patient_id, audit_id=audit_id, decisions=decisions),
            "summary": content,
            "focus_id": focus_id,
        },
    )


def pdf_response(
    record: PatientRecord,
    out: RecommendationOut,
    guideline: str | None,
    decisions: list[Decision] | None = None,
) -> Response:
    name = f"mmpath-summary-{out.as_of}.pdf"
    content = summarise(record, out, guideline, decision=decisions[-1] if decisions else None)
    return Response(
        render_pdf(content),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ------------------------------------------------------------------ results


async def _stored_page(
    request: Request, audit_id: str, page: Callable[..., HTMLResponse], *args: Any
) -> HTMLResponse:
    """``page(request, record, output, *args, ...)`` for the stored answer ``audit_id``, or
    the page that says why it cannot be shown."""
    found = await _answer(request, audit_id)
    if isinstance(found, HTMLResponse):
        return found
    entry, record, out, decisions = found
    return page(
        request,
        record,
        out,
        *args,
        patient_id=entry.saved_patient_id,
        audit_id=entry.id,
        decisions=decisions,
    )


@router.get("/results/{audit_id}", response_class=HTMLResponse)
async def show_result(request: Request, audit_id: str) -> HTMLResponse:
    guideline = request.query_params.get("guideline")
    return await _stored_page(request, audit_id, result_page, guideline)


@router.get("/results/{audit_id}/compare", response_class=HTMLResponse)
async def show_compare(request: Request, audit_id: str) -> HTMLResponse:
    return await _stored_page(request, audit_id, compare_page)


@router.get("/results/{audit_id}/summary", response_class=HTMLResponse)
async def show_summary(request: Request, audit_id: str) -> HTMLResponse:
    guideline = request.query_params.get("guideline")
    return await _stored_page(request, audit_id, summary_page, guideline)


@router.get("/results/{audit_id}/summary.pdf")
async def show_pdf(request: Request, audit_id: str) -> Response:
    found = await _answer(request, audit_id)
    if isinstance(found, HTMLResponse):
        return found
    _, record, out, decisions = found
    return await run_in_threadpool(
        pdf_response, record, out, request.query_params.get("guideline"), decisions
    )


@router.post("/results/{audit_id}/decision", response_class=HTMLResponse)
async def decide(request: Request, audit_id: str) -> Response:
    found = await _answer(request, audit_id)
    if isinstance(found, HTMLResponse):
        return found
    entry, record, out, decisions = found
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if k in _DECISION_FIELDS and str(v).strip()}
    if fields.get("option_id") == "_other":
        fields.pop("option_id")
    else:
        fields.pop("regimen", None)
    if fields.get("pathway") == "on":
        fields.pop("reason", None)
        fields.pop("reason_text", None)
    guideline = str(form.get("guideline") or "") or None
    try:
        decision = parse_decision(fields, out)
        await run_in_threadpool(save_decision, _store(request), entry.id, decision, "web")
    except RecordError as error:
        return result_page(
            request,
            record,
            out,
            guideline,
            patient_id=entry.saved_patient_id,
            audit_id=entry.id,
            decisions=decisions,
            problems=[(p.path, p.message) for p in error.problems],
            posted=fields,
            status_code=422,
        )
    except StoreError as error:
        return R._store_failed(request, error)
    suffix = f"?guideline={guideline}&decided=1" if guideline else "?decided=1"
    return RedirectResponse(f"/results/{entry.id}{suffix}#decision", status_code=303)


_DECISION_FIELDS = ("option_id", "regimen", "pathway", "reason", "reason_text", "by", "at")


# ------------------------------------------------------------------ patients


@router.get("/patients", response_class=HTMLResponse)
async def patients(request: Request) -> HTMLResponse:
    query = (request.query_params.get("q") or "").strip()[:200]
    try:
        rows = await run_in_threadpool(browse.patients, _store(request), query or None)
    except StoreError as error:
        return R._store_failed(request, error)
    return R.templates.TemplateResponse(request, "patients.html", {"rows": rows, "q": query})


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
async def patient_page(request: Request, patient_id: str) -> HTMLResponse:
    store = _store(request)
    try:
        saved = await run_in_threadpool(store.get_patient, patient_id)
        if saved is None:
            return _not_found(request, "saved patient")
        history = await run_in_threadpool(browse.versions, store, patient_id)
        _, answers = await run_in_threadpool(
            browse.audit_entries,
            store,
            browse.AuditFilter(patient_id=patient_id, action="evaluate"),
            limit=50,
        )
        decided = await run_in_threadpool(_decisions_of, store, [a.id for a in answers])
    except StoreError as error:
        return R._store_failed(request, error)
    return R.templates.TemplateResponse(
        request,
        "patient.html",
        {
            "saved": saved,
            "record_json": json.dumps(saved.record, ensure_ascii=False),
            "history": history,
            "answers": [
                (a, browse.applicable_guidelines(a.output_json), decided.get(a.id, []))
                for a in answers
            ],
            "reasons": REASONS,
        },
    )


def _decisions_of(store: Store, ids: list[int]) -> dict[int, list[Decision]]:
    from mmpath.store.decisions import decisions_for_many

    return decisions_for_many(store, ids)


@router.get("/patients/{patient_id}/edit", response_class=HTMLResponse)
async def edit_patient(request: Request, patient_id: str) -> HTMLResponse:
    try:
        saved = await run_in_threadpool(_store(request).get_patient, patient_id)
    except StoreError as error:
        return R._store_failed(request, error)
    if saved is None:
        return _not_found(request, "saved patient")
    return R._form_page(request, saved.record, patient_id=saved.id)


@router.post("/patients/save")
async def save_patient(request: Request) -> Response:
    """Save the form's record: a patient already saved is updated (its earlier record
    kept in the history), a new one created."""
    submitted, _ = await R._submitted(request)
    record = R._parsed(request, submitted)
    if isinstance(record, HTMLResponse):
        return record
    from mmpath.api.service import stored_form

    data = stored_form(record)
    store = _store(request)
    try:
        patient_id = await run_in_threadpool(_save, store, submitted.patient_id, data)
    except RecordError as error:
        return R._form_again(request, submitted, error)
    except StoreError as error:
        return R._store_failed(request, error)
    return RedirectResponse(f"/patients/{patient_id}?saved=1", status_code=303)


def _save(store: Store, patient_id: str | None, data: dict[str, Any]) -> str:
    if patient_id and store.update_patient(patient_id, data):
        return patient_id
    return store.create_patient(data)


@router.post("/patients/{patient_id}/delete")
async def delete_patient(request: Request, patient_id: str) -> Response:
    try:
        deleted = await run_in_threadpool(_store(request).delete_patient, patient_id)
    except StoreError as error:
        return R._store_failed(request, error)
    if not deleted:
        return _not_found(request, "saved patient")
    return RedirectResponse("/patients?deleted=1", status_code=303)


# ------------------------------------------------------------------ audit trail

PAGE = 50


@router.get("/audit", response_class=HTMLResponse)
async def audit_browser(request: Request) -> HTMLResponse:
    params = request.query_params
    problems: list[str] = []
    days: dict[str, dt.date | None] = {}
    for name in ("since", "until"):
        value = (params.get(name) or "").strip()
        try:
            days[name] = dt.date.fromisoformat(value) if value else None
        except ValueError:
            days[name] = None
            problems.append(f"{'From' if name == 'since' else 'To'} date: expected YYYY-MM-DD")
    pathway = params.get("pathway") or None
    if pathway not in (None, "on", "off", "undecided"):
        problems.append("Pathway: expected on, off or undecided")
        pathway = None
    filters = browse.AuditFilter(
        patient_id=(params.get("patient") or "").strip()[:32] or None,
        since=days["since"],
        until=days["until"],
        guideline=(params.get("guideline") or "").strip()[:100] or None,
        pathway=pathway,
        action="evaluate",  # recommendations; the access log: mmpath audit export
    )
    page = _int(params.get("page") or "1") or 1
    store = _store(request)
    try:
        total, entries = await run_in_threadpool(
            browse.audit_entries, store, filters, limit=PAGE, offset=(page - 1) * PAGE
        )
        decided = await run_in_threadpool(_decisions_of, store, [e.id for e in entries])
    except StoreError as error:
        return R._store_failed(request, error)
    from mmpath.engine.packs import load_packs

    return R.templates.TemplateResponse(
        request,
        "audit.html",
        {
            "filters": filters,
            "problems": problems,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE)),
            "entries": [
                (e, browse.applicable_guidelines(e.output_json), decided.get(e.id, []))
                for e in entries
            ],
            "packs": list(load_packs().values()),
            "query": {k: v for k, v in params.items() if k != "page" and v},
        },
    )
