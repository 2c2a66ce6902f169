"""Is there enough in a record to evaluate any guideline?

A record with no diagnosis, no treatment history (not even "no treatment yet") and no
disease status gives every guideline nothing to decide on: its options would all rest on
unknowns, and a first-line or relapse guideline could even list "preferred" options for
a patient about whom nothing is known. Such a record is refused wherever a
recommendation is made (``mmpath.service.recommend``, so the CLI, the HTTP API, the web
pages and CDS Hooks alike), with a problem naming the field to fill in.

This is mmpath's own minimum, not a clinical definition: any one of the three is enough
for the guidelines' applicability rules (newly diagnosed vs relapsed) to be decided or
to say what is missing.
"""

from __future__ import annotations

from mmpath.record.errors import Problem, RecordError
from mmpath.record.model import PatientRecord

#: The path a near-empty record's problem names (the form links it to its section).
PATH = "treatments"

MESSAGE = (
    "too little to evaluate: the record has no diagnosis, no treatment history and no "
    "disease status; give at least one of them (for a patient not treated yet, record "
    "no treatment: an empty treatments list, on the form 'No treatment yet')"
)


def near_empty(record: PatientRecord) -> Problem | None:
    """The problem of a record too empty to evaluate, or None.

    Near-empty: no diagnosis field given (``diagnosis`` absent or ``{}``), the treatment
    history unknown (``treatments`` absent; an empty list means "none" and counts) and no
    ``status``.
    """
    diagnosis = record.diagnosis is not None and bool(
        record.diagnosis.model_dump(exclude_none=True)
    )
    if diagnosis or record.treatments is not None or record.status is not None:
        return None
    return Problem(PATH, MESSAGE)


def require_evaluable(record: PatientRecord) -> None:
    """Raise ``RecordError`` for a near-empty record (see :func:`near_empty`)."""
    problem = near_empty(record)
    if problem is not None:
        raise RecordError([problem])
