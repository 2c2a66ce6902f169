"""Canonical JSON and the input digest used by the audit trail.

Canonical JSON here means: keys sorted, no insignificant whitespace, UTF-8 text (no
``\\u`` escapes for non-ASCII), so equal JSON values give byte-identical text and the
same SHA-256 digest whatever order the client sent the keys in.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from mmpath.record.errors import Problem, RecordError


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(value: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``value``."""
    return "sha256:" + hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def unstorable_text(value: Any, *, limit: int = 20) -> list[Problem]:
    """Strings no database here can hold: NUL characters (PostgreSQL text) and unpaired
    UTF-16 surrogates (not encodable as UTF-8). Each problem names its field path."""
    problems: list[Problem] = []
    stack: list[tuple[str, Any]] = [("", value)]
    while stack and len(problems) < limit:
        path, item = stack.pop()
        if isinstance(item, dict):
            for key, sub in item.items():
                where = f"{path}.{key}" if path else str(key)
                stack.append((where, sub))
                stack.append((where + " (field name)", key))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", sub) for i, sub in enumerate(item))
        elif isinstance(item, str):
            if "\x00" in item:
                problems.append(Problem(path, "text must not contain NUL (U+0000)"))
            else:
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    problems.append(Problem(path, "text contains an unpaired UTF-16 surrogate"))
    return problems


def check_storable(value: Any) -> None:
    """Raise :class:`RecordError` (every problem by field path) for :func:`unstorable_text`."""
    problems = unstorable_text(value)
    if problems:
        raise RecordError(problems)
