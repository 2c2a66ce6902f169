"""Read a patient record from a file, text or dict, validating it completely.

Any problem raises :class:`RecordError` listing every problem found with its field
path; a record that raises is never evaluated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mmpath.record.decode import MAX_FILE_BYTES, decode_bytes, decode_text, limit_problems
from mmpath.record.errors import Problem, RecordError, problems_from
from mmpath.record.model import PatientRecord


def parse_record(data: Any) -> PatientRecord:
    """Validate a decoded record (a dict) into a :class:`PatientRecord`."""
    if not isinstance(data, dict):
        raise RecordError([Problem("", f"expected a JSON object, got {type(data).__name__}")])
    problems = limit_problems(data)  # nesting, list and text limits (record/decode.py)
    if problems:
        raise RecordError(problems)
    try:
        record = PatientRecord.model_validate(data)
    except ValidationError as error:
        raise RecordError(problems_from(error)) from None
    if any(t.line is not None for t in record.treatments or []):
        # Given line numbers must not contradict IMWG counting outright (review r68); the
        # counting is the timeline's, so the check runs here, before anything is evaluated.
        from mmpath.assess.timeline import build_courses

        build_courses(record)
    return record


def decode(text: str, *, yaml_syntax: bool) -> Any:
    """Decode JSON (or YAML) text strictly (:mod:`mmpath.record.decode`: no NaN/Infinity,
    no YAML aliases, bounded nesting); problems become a :class:`RecordError`."""
    return decode_text(text, yaml_syntax=yaml_syntax)


def load_record(path: str | Path) -> PatientRecord:
    """Read a ``.json``, ``.yaml`` or ``.yml`` record file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            message = f"{path} is larger than the limit of {MAX_FILE_BYTES} bytes ({size})"
            raise RecordError([Problem("", message)])
        raw = path.read_bytes()
    except OSError as error:
        raise RecordError([Problem("", f"cannot read {path}: {error.strerror}")]) from None
    yaml_syntax = path.suffix.lower() in {".yaml", ".yml"}
    return parse_record(decode_bytes(raw, yaml_syntax=yaml_syntax))
