"""Read a patient record from a file, text or dict, validating it completely.

Any problem raises :class:`RecordError` listing every problem found with its field
path; a record that raises is never evaluated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mmpath.record.errors import Problem, RecordError, problems_from
from mmpath.record.model import PatientRecord


def parse_record(data: Any) -> PatientRecord:
    """Validate a decoded record (a dict) into a :class:`PatientRecord`."""
    if not isinstance(data, dict):
        raise RecordError([Problem("", f"expected a JSON object, got {type(data).__name__}")])
    try:
        return PatientRecord.model_validate(data)
    except ValidationError as error:
        raise RecordError(problems_from(error)) from None


def decode(text: str, *, yaml_syntax: bool) -> Any:
    """Decode JSON (or YAML) text; syntax errors become a :class:`RecordError`."""
    try:
        if yaml_syntax:
            return yaml.safe_load(text)
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise RecordError([Problem("", f"not valid JSON ({where}): {error.msg}")]) from None
    except yaml.YAMLError as error:
        raise RecordError([Problem("", f"not valid YAML: {error}")]) from None


def load_record(path: str | Path) -> PatientRecord:
    """Read a ``.json``, ``.yaml`` or ``.yml`` record file."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except OSError as error:
        raise RecordError([Problem("", f"cannot read {path}: {error.strerror}")]) from None
    return parse_record(decode(text, yaml_syntax=path.suffix.lower() in {".yaml", ".yml"}))
