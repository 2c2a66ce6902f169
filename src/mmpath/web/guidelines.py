"""The guideline pages: every installed pack, its decision structure as a picture, and
the path one patient takes through it (issue 12).

``GET /guidelines`` lists the installed packs; ``GET /guidelines/{id}`` shows one pack's
metadata and its pathway picture (``engine.pack_graph``: rules -> conditions -> options,
with tiers), with the Mermaid text; ``POST /guidelines/{id}/path`` receives a patient
(the record JSON a result page holds, so no patient data travels in a URL), evaluates
this guideline for them, writes the audit row, and shows the same picture with each
condition marked true, false or unknown and each option's outcome.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from mmpath.api.deps import recommend_for
from mmpath.assess import Assessment
from mmpath.engine.pack import Pack
from mmpath.engine.pack_graph import Graph, Line, build, to_mermaid, to_svg
from mmpath.engine.packs import PackError, PackLocation, UnknownGuideline, get_pack, registry
from mmpath.record.decode import strict_json
from mmpath.record.errors import RecordError
from mmpath.store import StoreError
from mmpath.web.labels import words
from mmpath.web.routes import templates

router = APIRouter(include_in_schema=False)


def _in_words(graph: Graph) -> Graph:
    """The picture's condition lines in a clinician's words (``labels.words``: fact
    names as labels, True/False as yes/no); the Mermaid text keeps the codes."""

    def lines(items: list[Line]) -> list[Line]:
        return [replace(line, text=words(line.text)) for line in items]

    return replace(
        graph,
        applicability=lines(graph.applicability),
        rows=[
            replace(
                row,
                lines=lines(row.lines),
                options=[replace(cell, note=words(cell.note)) for cell in row.options],
            )
            for row in graph.rows
        ],
    )


def _page(request: Request, pack: Pack, graph: Graph, **extra: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "guideline.html",
        {
            "pack": pack,
            "location": registry().location(pack.id),
            "svg": Markup(to_svg(_in_words(graph))),
            "mermaid": to_mermaid(graph),
            **extra,
        },
    )


def _error(request: Request, title: str, message: str, status: int) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "error.html", {"title": title, "message": message}, status_code=status
    )


def _pack(request: Request, pack_id: str) -> Pack | HTMLResponse:
    try:
        return get_pack(pack_id)
    except UnknownGuideline as error:
        return _error(request, "Unknown guideline", str(error), 404)
    except PackError as error:
        return _error(request, "This guideline pack cannot be used", str(error), 500)


@router.get("/guidelines", response_class=HTMLResponse)
async def guidelines(request: Request) -> HTMLResponse:
    found = registry()
    rows: list[tuple[Pack | None, PackLocation, str | None]] = []
    for pack_id in found.ids():
        try:
            rows.append((get_pack(pack_id), found.location(pack_id), None))
        except PackError as error:
            rows.append((None, found.location(pack_id), str(error)))
    return templates.TemplateResponse(
        request, "guidelines.html", {"rows": rows, "shadowed": found.shadowed}
    )


@router.get("/guidelines/{pack_id}", response_class=HTMLResponse)
async def guideline(request: Request, pack_id: str) -> HTMLResponse:
    pack = _pack(request, pack_id)
    if isinstance(pack, HTMLResponse):
        return pack
    return _page(request, pack, build(pack))


@router.get("/guidelines/{pack_id}/graph.svg")
async def graph_svg(request: Request, pack_id: str) -> Response:
    pack = _pack(request, pack_id)
    if isinstance(pack, HTMLResponse):
        return pack
    return Response(to_svg(build(pack)), media_type="image/svg+xml")


@router.get("/guidelines/{pack_id}/graph.mmd")
async def graph_mermaid(request: Request, pack_id: str) -> Response:
    pack = _pack(request, pack_id)
    if isinstance(pack, HTMLResponse):
        return pack
    return Response(to_mermaid(build(pack)), media_type="text/plain; charset=utf-8")


@router.post("/guidelines/{pack_id}/path", response_class=HTMLResponse)
async def patient_path(request: Request, pack_id: str) -> HTMLResponse:
    pack = _pack(request, pack_id)
    if isinstance(pack, HTMLResponse):
        return pack
    form = await request.form()
    text = form.get("record")
    patient_id = str(form.get("_patient_id") or "") or None
    try:
        data = strict_json(text) if isinstance(text, str) else None
    except RecordError:
        data = None
    if not isinstance(data, dict):
        return _error(request, "No patient", "Open a patient's options, then the pathway.", 400)
    try:
        audited = await recommend_for(
            request, data, pack.id, source="web", saved_patient_id=patient_id
        )
    except RecordError as error:
        problems = "; ".join(map(str, error.problems))
        return _error(request, "The patient record has problems", problems, 422)
    except StoreError as error:
        return _error(
            request,
            "The database could not be used",
            f"{error} — nothing was shown; try again, or ask the administrator.",
            503,
        )
    record, out = audited.record, audited.output
    assert record is not None
    result = out.results[0]
    # the facts of the evaluation shown (same decision date as the recommendation)
    facts = Assessment(record, today=dt.date.fromisoformat(out.as_of))
    graph = build(pack, facts, result, patient=record.id or "this patient")
    return _page(
        request,
        pack,
        graph,
        result=result,
        record_json=json.dumps(data, ensure_ascii=False),
        patient_id=patient_id,
    )
