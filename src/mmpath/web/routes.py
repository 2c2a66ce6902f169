"""The clinician web pages: patient form, results, comparison, summary, about, saved patients.

Server-rendered with Jinja2; the pages work without JavaScript (the small vendored
script only adds rows in place and narrows the unit list to the chosen lab test).
Pages that show a recommendation receive the patient as form fields (from the patient
form) or as the record JSON in a hidden field (from a result page), so no patient data
ever travels in a URL (and so never into an access log). Every recommendation made here
is written to the audit trail through ``request.app.state.store`` before it is shown.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from mmpath.api.deps import recommend_for
from mmpath.assess import FACTS
from mmpath.engine.packs import load_packs
from mmpath.present.grouping import condition_text
from mmpath.recommendation import RecommendationOut, ResultOut
from mmpath.record.decode import decode_bytes, displayable, limit_problems, strict_json
from mmpath.record.errors import Problem, RecordError
from mmpath.record.load import parse_record
from mmpath.record.model import PatientRecord
from mmpath.store import StoreError
from mmpath.web import form as F
from mmpath.web.examples import example_names, load_example
from mmpath.web.labels import (
    code_label,
    document_label,
    fact_label,
    field_label,
    guideline_label,
    option_label,
    source_label,
    words,
)
from mmpath.web.summary import decision_lines, option_notes
from mmpath.web.timeline import render_timeline
from mmpath.web.validation import validation_status

router = APIRouter(include_in_schema=False)

_env = Environment(
    loader=PackageLoader("mmpath.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.update(
    F=F,
    field_id=F.field_id,
    value_at=F.value_at,
    display=F.display,
    rows_of=F.rows_of,
    section_of=F.section_of,
    option_notes=option_notes,
    condition_text=condition_text,
    fact_label=fact_label,
    code_label=code_label,
    field_label=field_label,
    guideline_label=guideline_label,
    decision_lines=decision_lines,
    option_label=option_label,
    document_label=document_label,
    source_label=source_label,
    words=words,
)
_env.filters["fact_label"] = fact_label
_env.filters["field_label"] = field_label
_env.filters["code_label"] = code_label
templates = Jinja2Templates(env=_env)

STATIC = {"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8"}
MAX_UPLOAD = 200_000


@dataclass(frozen=True, slots=True)
class Submitted:
    """What a page received: the record dict as sent, and the saved-patient id if any."""

    data: dict[str, Any]
    patient_id: str | None
    #: what the form says that the record cannot (a "none" box ticked with rows filled), or
    #: why the posted record JSON could not be decoded (strict decoder); never evaluated
    problems: tuple[Problem, ...] = ()

    def check(self) -> None:
        if self.problems:
            raise RecordError(list(self.problems))


# ------------------------------------------------------------------ helpers


async def _submitted(request: Request) -> tuple[Submitted, Any]:
    form = await request.form()
    patient_id = str(form.get("_patient_id") or "") or None
    text = form.get("record")
    if isinstance(text, str):
        try:  # the same strict decoder as the API and the CLI (record/decode.py)
            data = strict_json(text)
            if not isinstance(data, dict):
                raise RecordError([Problem("", "expected a JSON object")])
        except RecordError as error:
            return Submitted({"schema_version": "1"}, patient_id, tuple(error.problems)), form
        found: tuple[Problem, ...] = ()
    else:
        data = F.record_from_form(form)
        found = tuple(F.form_problems(form))
    problems = limit_problems(data)
    if problems:  # shown next to the fields, with text the page can display
        return Submitted(displayable(data), patient_id, (*found, *problems)), form
    return Submitted(data, patient_id, found), form


def _store(request: Request) -> Any:
    store = getattr(request.app.state, "store", None)
    if store is None:
        raise HTTPException(503, "no patient store is configured for this server")
    return store


def _error_page(request: Request, title: str, message: str, status_code: int) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "error.html", {"title": title, "message": message}, status_code=status_code
    )


def _store_failed(request: Request, error: StoreError) -> HTMLResponse:
    """A database failure is shown, never swallowed: nothing was shown unrecorded."""
    return _error_page(
        request,
        "The database could not be used",
        f"{error} — nothing was shown or saved; try again, or ask the administrator.",
        503,
    )


def _form_page(
    request: Request,
    data: dict[str, Any],
    *,
    problems: list[Problem] | None = None,
    patient_id: str | None = None,
    extra_rows: dict[str, int] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    names = F.input_names(data) | {n for n, g in F.ROWS.items() if g.none}
    errors: dict[str, list[str]] = {}
    listed = []
    for problem in problems or []:
        target = F.field_for(problem.path, names, data)
        anchor = F.field_id(target) if target else F.section_of(problem.path or "id")
        if target:
            errors.setdefault(target, []).append(problem.message)
        listed.append((field_label(problem.path), problem.message, anchor))
    return templates.TemplateResponse(
        request,
        "form.html",
        {
            "record": data,
            "errors": errors,
            "problems": listed,
            "patient_id": patient_id,
            "extra_rows": extra_rows or {},
            "datalists": F.datalists(),
            "units_json": json.dumps(F.units_by_test()),
            "notice": notice,
            "examples": example_names(),
        },
        status_code=status_code,
    )


def _form_again(request: Request, submitted: Submitted, error: RecordError) -> HTMLResponse:
    """The submitted form again, every problem next to its field (HTTP 422)."""
    return _form_page(
        request,
        submitted.data,
        problems=error.problems,
        patient_id=submitted.patient_id,
        status_code=422,
    )


async def _evaluate(
    request: Request, submitted: Submitted, guideline: str = "all"
) -> tuple[PatientRecord, RecommendationOut, int | None] | HTMLResponse:
    """Validate, evaluate and audit through the API's one path (``recommend_for``); a
    record problem re-renders the form with it (also text the database cannot store), a
    store failure shows an error page: nothing is shown without its audit row. A
    near-empty record is refused there too (``mmpath.record.evaluable``)."""
    if submitted.problems:
        return _form_again(request, submitted, RecordError(list(submitted.problems)))
    try:
        audited = await recommend_for(
            request, submitted.data, guideline, source="web", saved_patient_id=submitted.patient_id
        )
    except RecordError as error:
        return _form_again(request, submitted, error)
    except StoreError as error:
        return _store_failed(request, error)
    assert audited.record is not None
    return audited.record, audited.output, audited.audit_id


def _record_json(record: PatientRecord) -> str:
    return json.dumps(record.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


def _pick(out: RecommendationOut, guideline: str | None, region: str | None) -> ResultOut:
    """The guideline to show: the one asked for; else an applicable one of the patient's
    region (guideline ids start with the country: ``nl-``, ``dk-``, ...); else the first
    applicable one; else the first."""
    for result in out.results:
        if result.guideline.id == guideline:
            return result
    applicable = [r for r in out.results if r.applicable]
    for result in applicable:
        if region and result.guideline.id.split("-")[0].upper() == region:
            return result
    return applicable[0] if applicable else out.results[0]


def _field_links(fact_names: list[str], result: ResultOut) -> dict[str, list[tuple[str, str]]]:
    """fact -> [(record field, form anchor)] for the record fields that would settle it."""
    needs = {m.fact: m.needs for m in result.missing}
    links = {}
    for name in fact_names:
        fields = needs.get(name) or list(FACTS[name].needs if name in FACTS else ())
        links[name] = [(f, F.section_of(f)) for f in fields]
    return links


def _context(record: PatientRecord, out: RecommendationOut, submitted: Submitted) -> dict[str, Any]:
    return {
        "out": out,
        "record_obj": record,
        "record_json": _record_json(record),
        "patient_id": submitted.patient_id,
        "timeline": Markup(render_timeline(record, dt.date.fromisoformat(out.as_of))),
    }


# ------------------------------------------------------------------ pages


@router.get("/", response_class=HTMLResponse)
async def new_patient(request: Request) -> HTMLResponse:
    return _form_page(request, {"schema_version": "1"})


@router.post("/edit", response_class=HTMLResponse)
async def edit(request: Request) -> HTMLResponse:
    """The form filled with the posted record (back from a result page, or 'add a row')."""
    submitted, form = await _submitted(request)
    add = str(form.get("_add") or "")
    extra = {add: 1} if add in F.ROWS else {}
    return _form_page(request, submitted.data, patient_id=submitted.patient_id, extra_rows=extra)


@router.get("/examples/{name}", response_class=HTMLResponse)
async def open_example(request: Request, name: str) -> HTMLResponse:
    """The form filled with a shipped example record."""
    data = load_example(name)
    if data is None:
        raise HTTPException(status_code=404, detail=f"no example named {name!r}")
    return _form_page(request, data, notice=f"Opened the example {name}. Show the options below.")


@router.post("/import", response_class=HTMLResponse)
async def import_record(request: Request) -> HTMLResponse:
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _form_page(
            request,
            {"schema_version": "1"},
            problems=[Problem("", "choose a record file (.json, .yaml) to import")],
            status_code=422,
        )
    content = await upload.read(MAX_UPLOAD + 1)
    name = upload.filename
    try:
        if len(content) > MAX_UPLOAD:
            raise RecordError([Problem("", f"{name}: larger than {MAX_UPLOAD} bytes")])
        # the same strict decoder as the API and the CLI (record/decode.py)
        data = decode_bytes(
            content, yaml_syntax=name.lower().endswith((".yaml", ".yml")), where=name[:100]
        )
        parse_record(data)
    except RecordError as error:
        shown = (
            displayable(data)
            if "data" in locals() and isinstance(data, dict)
            else {"schema_version": "1"}
        )
        return _form_page(request, shown, problems=error.problems, status_code=422)
    return _form_page(
        request, data, notice=f"Imported {name}. Check the values, then show the options."
    )


def _guideline(form: Any) -> str | None:
    """The guideline a view is about: "show" is a guideline button, "guideline" the one a
    view was on (hidden field)."""
    value = str(form.get("show") or form.get("guideline") or "")
    return value if value and len(value) <= 100 else None


def _to_result(audit_id: int, view: str, guideline: str | None) -> RedirectResponse:
    """After an audited evaluation: the stable URL of that answer (POST, then GET)."""
    query = "?" + urlencode({"guideline": guideline}) if guideline else ""
    return RedirectResponse(f"/results/{audit_id}{view}{query}", status_code=303)


async def _evaluated_page(request: Request, view: str, with_guideline: bool) -> Response:
    """Evaluate the submitted record; when audited, go to the stable URL of ``view`` for that
    answer, else render the page (``""`` result, ``/compare``, ``/summary``) here."""
    from mmpath.web.workflow import compare_page, result_page, summary_page

    submitted, form = await _submitted(request)
    evaluated = await _evaluate(request, submitted)
    if isinstance(evaluated, HTMLResponse):
        return evaluated
    record, out, audit_id = evaluated
    guideline = _guideline(form) if with_guideline else None
    if audit_id is not None:
        return _to_result(audit_id, view, guideline)
    pages: dict[str, Callable[..., HTMLResponse]] = {
        "": result_page,
        "/compare": compare_page,
        "/summary": summary_page,
    }
    page = pages[view]
    args = (guideline,) if with_guideline else ()
    return page(request, record, out, *args, patient_id=submitted.patient_id, audit_id=None)


@router.post("/evaluate", response_class=HTMLResponse)
async def evaluate(request: Request) -> Response:
    return await _evaluated_page(request, "", with_guideline=True)


@router.post("/compare", response_class=HTMLResponse)
async def comparison(request: Request) -> Response:
    return await _evaluated_page(request, "/compare", with_guideline=False)


@router.post("/summary", response_class=HTMLResponse)
async def summary(request: Request) -> Response:
    return await _evaluated_page(request, "/summary", with_guideline=True)


@router.post("/summary.pdf")
async def summary_pdf(request: Request) -> Response:
    from mmpath.web.workflow import pdf_response

    submitted, form = await _submitted(request)
    evaluated = await _evaluate(request, submitted)
    if isinstance(evaluated, HTMLResponse):
        return evaluated
    record, out, _ = evaluated
    return await run_in_threadpool(pdf_response, record, out, _guideline(form))


def _parsed(request: Request, submitted: Submitted) -> PatientRecord | HTMLResponse:
    """The validated record, or the form again with every problem (nothing half-done)."""
    if submitted.problems:
        return _form_again(request, submitted, RecordError(list(submitted.problems)))
    try:
        submitted.check()
        return parse_record(submitted.data)
    except RecordError as error:
        return _form_again(request, submitted, error)


@router.post("/record.json")
async def download_record(request: Request) -> Response:
    submitted, _ = await _submitted(request)
    record = _parsed(request, submitted)
    if isinstance(record, HTMLResponse):
        return record
    name = (
        "".join(c for c in (record.id or "patient") if c.isascii() and (c.isalnum() or c in "-_"))[
            :60
        ]
        or "patient"
    )
    return Response(
        json.dumps(record.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False)
        + "\n",
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
    )


@router.get("/about", response_class=HTMLResponse)
async def about(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "about.html",
        {"packs": list(load_packs().values()), "validation": validation_status(), "facts": FACTS},
    )


# ------------------------------------------------------------------ static files


@router.get("/static/{name}")
async def static(name: str) -> Response:
    if name not in STATIC:
        raise HTTPException(404, "not found")
    body = resources.files("mmpath.web").joinpath("static", name).read_bytes()
    return Response(body, media_type=STATIC[name], headers={"Cache-Control": "max-age=3600"})


__all__ = ["router"]
