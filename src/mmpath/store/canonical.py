"""Canonical JSON and the input digest used by the audit trail.

Canonical JSON here means: keys sorted, no insignificant whitespace, UTF-8 text (no
``\\u`` escapes for non-ASCII), so equal JSON values give byte-identical text and the
same SHA-256 digest whatever order the client sent the keys in.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(value: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``value``."""
    return "sha256:" + hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
