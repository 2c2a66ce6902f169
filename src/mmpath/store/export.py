"""Audit export formats: JSON lines (one full entry per line) and CSV (one row per entry)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TextIO

from mmpath.store.store import AuditEntry

CSV_COLUMNS = [
    "id",
    "created_at",
    "action",
    "actor",
    "source",
    "saved_patient_id",
    "input_digest",
    "guideline",
    "packs",
    "mmpath_version",
    "output_digest",
    "detail",
    "prev_hash",
    "row_hash",
    "record",
    "output",
]


def write_jsonl(entries: Iterable[AuditEntry], stream: TextIO) -> int:
    count = 0
    for entry in entries:
        stream.write(json.dumps(entry.as_json(), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(entries: Iterable[AuditEntry], stream: TextIO) -> int:
    """``packs`` as ``id@version`` joined by spaces; ``record`` and ``output`` as JSON text
    (empty for access events and pruned payloads)."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for e in entries:
        writer.writerow(
            [
                e.id,
                e.created_at.isoformat(),
                e.action,
                e.actor or "",
                e.source,
                e.saved_patient_id or "",
                e.input_digest or "",
                e.guideline or "",
                " ".join(f"{p['id']}@{p['version']}" for p in e.packs),
                e.mmpath_version,
                e.output_digest or "",
                e.detail or "",
                e.prev_hash,
                e.row_hash,
                e.record_json or "",
                e.output_json or "",
            ]
        )
        count += 1
    return count
