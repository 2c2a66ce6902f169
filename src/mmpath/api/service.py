"""Recommend and audit: the one path the HTTP API and the web pages use.

A recommendation is only returned after its audit row is committed; if the write
fails, :class:`~mmpath.store.StoreError` is raised and nothing is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mmpath.recommendation import RecommendationOut
from mmpath.record.errors import Problem, RecordError
from mmpath.record.load import parse_record
from mmpath.service import recommend
from mmpath.store import Store
from mmpath.store.canonical import check_storable


@dataclass(frozen=True, slots=True)
class Audited:
    output: RecommendationOut
    output_json: str  # exactly what is returned and what the audit row holds
    audit_id: int | None  # None only when auditing is off (benchmark)


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
    """
    output, output_json = evaluate(data, guideline, storable=store is not None)
    audit_id = None
    if store is not None:
        audit_id = store.record_recommendation(
            data,
            guideline,
            output,
            output_json=output_json,
            source=source,
            saved_patient_id=saved_patient_id,
        )
    return Audited(output, output_json, audit_id)


def evaluate(data: Any, guideline: str, *, storable: bool = True) -> tuple[RecommendationOut, str]:
    """Validate and evaluate (CPU only, no I/O): the output and its exact JSON text.

    ``storable``: also refuse text the audit trail cannot hold, before evaluating.
    """
    record = parse_record(data)
    if storable:
        check_storable(data)
    try:
        output = recommend(record, guideline)
    except OverflowError as error:
        # Dates the record layer accepts (up to 9999-12-31) can overflow date arithmetic
        # in the assessment (e.g. a window added to as_of). It is bad input, not a server
        # fault; nothing was evaluated or stored.
        message = f"a date or number is outside the range mmpath can compute with ({error})"
        raise RecordError([Problem("", message)]) from None
    return output, output_json_of(output)


def output_json_of(output: RecommendationOut) -> str:
    return output.model_dump_json()


def check_record(data: Any) -> None:
    """Raise ``RecordError`` with every problem ``recommend`` would report, or return.

    Evaluates the record (milliseconds) so that a record ``/validate`` accepts is one
    ``/recommend`` accepts: assertion checks and out-of-range dates included.
    """
    evaluate(data, "all", storable=True)
