"""Recommend and audit: the one path the HTTP API, the web pages and CDS Hooks use.

A recommendation is only returned after its audit row is committed; if the write
fails, :class:`~mmpath.store.StoreError` is raised and nothing is returned.

The audit row holds the *validated* record (``PatientRecord.model_dump`` in JSON mode,
unknowns left out), so one patient has one input digest whichever door it came in by:
the JSON API, the form's fields, a result page's hidden record or a FHIR import.
:func:`recommend_and_audit_async` is what an ``async`` route awaits: evaluation and
building the audit row run in a worker thread, and the commit is awaited on the store's
single writer thread (``store/group_commit.py``), so the event loop never waits on
either and no request writes to the database itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

from starlette.concurrency import run_in_threadpool

from mmpath.recommendation import RecommendationOut
from mmpath.record.errors import Problem, RecordError
from mmpath.record.load import parse_record
from mmpath.record.model import Comorbidity, PatientRecord, ProgressionFeature
from mmpath.service import recommend
from mmpath.store import Store
from mmpath.store.canonical import check_storable
from mmpath.store.store import current_actor


@dataclass(frozen=True, slots=True)
class Evaluated:
    """A validated, evaluated record: what the audit row stores and what is returned."""

    record: PatientRecord
    stored: dict[str, Any]  # the validated record as JSON (the audit row's record)
    output: RecommendationOut
    output_json: str  # exactly what is returned and what the audit row holds


@dataclass(frozen=True, slots=True)
class Audited:
    output: RecommendationOut
    output_json: str  # exactly what is returned and what the audit row holds
    audit_id: int | None  # None only when auditing is off (benchmark)
    record: PatientRecord | None = None
    stored: dict[str, Any] | None = None


#: Lists that are sets (their order means nothing): stored in the order of their codes.
_SETS = {"comorbidities": get_args(Comorbidity)}
_FEATURES = get_args(ProgressionFeature)


def stored_form(record: PatientRecord) -> dict[str, Any]:
    """The record as the audit trail and saved patients store it: validated, unknowns
    left out, and set-like lists (comorbidities, progression features) in code order,
    so the same patient has one stored form and one input digest."""
    data: dict[str, Any] = record.model_dump(mode="json", exclude_none=True)
    for name, order in _SETS.items():
        if isinstance(data.get(name), list):
            data[name] = sorted(data[name], key=order.index)
    for event in data.get("progressions", []):
        if isinstance(event.get("features"), list):
            event["features"] = sorted(event["features"], key=_FEATURES.index)
    return data


def recommend_and_audit(
    store: Store | None,
    data: Any,
    guideline: str = "all",
    *,
    source: str = "api",
    saved_patient_id: str | None = None,
) -> Audited:
    """Validate ``data`` (a decoded JSON record), evaluate ``guideline``, store the audit row.

    Raises ``RecordError`` (invalid record: nothing evaluated or stored),
    ``UnknownGuideline`` and ``StoreError`` (the audit write failed: no result).
    ``store=None`` skips the audit write (used only by the benchmark comparison).
    For ``async`` code use :func:`recommend_and_audit_async`.
    """
    done = prepare(data, guideline, storable=store is not None)
    audit_id = None
    if store is not None:
        audit_id = store.record_recommendation(
            done.stored,
            guideline,
            done.output,
            output_json=done.output_json,
            source=source,
            saved_patient_id=saved_patient_id,
        )
    return Audited(done.output, done.output_json, audit_id, done.record, done.stored)


async def recommend_and_audit_async(
    store: Store | None,
    data: Any,
    guideline: str = "all",
    *,
    source: str = "api",
    saved_patient_id: str | None = None,
) -> Audited:
    """:func:`recommend_and_audit` without blocking the event loop (same errors).

    A worker thread validates, evaluates, serialises and builds the audit row (canonical
    record, digests); the event loop then only hands the row to the
    store's single writer and awaits *its* commit (group commit: rows queued meanwhile
    share the transaction). The answer is returned only once that row is durable.
    """
    if store is None:
        done = await run_in_threadpool(prepare, data, guideline, storable=False)
        return Audited(done.output, done.output_json, None, done.record, done.stored)
    actor = current_actor.get()  # the request's user, read here on the request's context
    done, row = await run_in_threadpool(
        _prepare_row, store, data, guideline, source, saved_patient_id, actor
    )
    audit_id = await store.commit_audit_row_async(row)
    return Audited(done.output, done.output_json, audit_id, done.record, done.stored)


def _prepare_row(
    store: Store,
    data: Any,
    guideline: str,
    source: str,
    saved_patient_id: str | None,
    actor: str | None,
) -> tuple[Evaluated, dict[str, Any]]:
    """Evaluate and build the audit row (CPU only, in a worker thread)."""
    done = prepare(data, guideline, storable=True)
    row = store.audit_row(
        done.stored,
        guideline,
        done.output,
        output_json=done.output_json,
        source=source,
        saved_patient_id=saved_patient_id,
        actor=actor,
    )
    return done, row


def prepare(data: Any, guideline: str, *, storable: bool = True) -> Evaluated:
    """Validate and evaluate (CPU only, no I/O).

    ``storable``: also refuse text the audit trail cannot hold, before evaluating.
    """
    record = parse_record(data)
    stored = stored_form(record)
    if storable:
        check_storable(stored)
    try:
        output = recommend(record, guideline)
    except OverflowError as error:
        # Dates the record layer accepts (up to 9999-12-31) can overflow date arithmetic
        # in the assessment (e.g. a window added to as_of). It is bad input, not a server
        # fault; nothing was evaluated or stored.
        message = f"a date or number is outside the range mmpath can compute with ({error})"
        raise RecordError([Problem("", message)]) from None
    return Evaluated(record, stored, output, output_json_of(output))


def evaluate(data: Any, guideline: str, *, storable: bool = True) -> tuple[RecommendationOut, str]:
    """Validate and evaluate (CPU only, no I/O): the output and its exact JSON text."""
    done = prepare(data, guideline, storable=storable)
    return done.output, done.output_json


def output_json_of(output: RecommendationOut) -> str:
    return output.model_dump_json()


def check_record(data: Any) -> None:
    """Raise ``RecordError`` with every problem ``recommend`` would report, or return.

    Evaluates the record (milliseconds) so that a record ``/validate`` accepts is one
    ``/recommend`` accepts: assertion checks and out-of-range dates included.
    """
    prepare(data, "all", storable=True)
