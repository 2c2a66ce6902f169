"""The audit trail's hash chain: each row carries the SHA-256 of the row before it.

``row_hash = sha256(prev_hash + "\\n" + canonical_json(fields))`` where ``fields`` is the
row without its two hashes: id, time (ISO 8601, UTC, microseconds), action, actor, source,
saved patient id, input digest, guideline, packs, mmpath version, output digest, detail.
The record and the output are covered through their digests (``input_digest``,
``output_digest``), so their text may be pruned (retention) without breaking the chain.
The first row's ``prev_hash`` is :data:`GENESIS`.

:func:`verify` recomputes every hash in id order and reports each row that was changed
(its hash no longer matches), inserted or deleted (the next row's ``prev_hash`` or the id
sequence no longer follows), a payload that does not match its digest, and a chain whose
last row is not the head recorded in ``audit_head`` (the last rows deleted). This is
tamper-*evidence*: someone able to rewrite the whole database can also rewrite the chain,
which is why ``mmpath audit verify`` prints the head hash, to be kept elsewhere and checked
with ``--head`` (docs/security.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mmpath.store.canonical import canonical_json

GENESIS = "0" * 64

#: The columns a row hash covers, in the order they are listed (the JSON is key-sorted).
HASHED = (
    "id",
    "created_at",
    "action",
    "actor",
    "source",
    "saved_patient_id",
    "input_digest",
    "guideline",
    "packs_json",
    "mmpath_version",
    "output_digest",
    "detail",
)


def _time(value: dt.datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical_row(row: dict[str, Any]) -> str:
    fields = {name: row.get(name) for name in HASHED}
    fields["created_at"] = _time(row["created_at"])
    return canonical_json(fields)


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    text = prev_hash + "\n" + canonical_row(row)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Verification:
    rows: int = 0
    head_id: int = 0
    head_hash: str = GENESIS
    payloads_checked: int = 0
    payloads_pruned: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "head": {"id": self.head_id, "hash": self.head_hash},
            "payloads_checked": self.payloads_checked,
            "payloads_pruned": self.payloads_pruned,
            "problems": self.problems,
        }


def verify(
    rows: Iterable[dict[str, Any]],
    payload_digest: Any,
    head: tuple[int, str] | None,
    *,
    pruned_before: dt.datetime | None = None,
    limit: int = 50,
) -> Verification:
    """Check ``rows`` (every audit row, in id order, as column dicts).

    ``payload_digest(digest) -> str | None``: the recomputed digest of the stored payload
    with that key, or None when it is not stored. ``head``: ``audit_head``'s (last id,
    last hash). ``pruned_before``: payloads of rows before this time may be missing.
    """
    result = Verification()
    expected_prev = GENESIS
    expected_id = 1
    problems = result.problems

    def problem(text: str) -> None:
        if len(problems) < limit:
            problems.append(text)
        elif len(problems) == limit:
            problems.append("... (more problems not listed)")

    for row in rows:
        result.rows += 1
        rid = int(row["id"])
        linked = row["prev_hash"] == expected_prev
        if rid < expected_id:
            problem(f"row {rid}: out of sequence (expected id {expected_id} or later)")
        elif rid > expected_id and not linked:
            # ids are never skipped by the writer, but rows written before the chain
            # existed may have gaps: a gap is a deletion only where the link is broken
            missing = f"{expected_id}" if rid == expected_id + 1 else f"{expected_id}-{rid - 1}"
            problem(f"row {missing}: missing (deleted) before row {rid}")
        if not linked:
            problem(
                f"row {rid}: prev_hash does not match the row before it "
                "(a row before it was changed, inserted or deleted)"
            )
        computed = row_hash(row["prev_hash"], row)
        if computed != row["row_hash"]:
            problem(f"row {rid}: changed (its content no longer matches its hash)")
        for column in ("input_digest", "output_digest"):
            key = row.get(column)
            if not key:
                continue
            found = payload_digest(key)
            if found is None:
                created = row["created_at"]
                created = created if created.tzinfo else created.replace(tzinfo=dt.UTC)
                if pruned_before is not None and created < pruned_before:
                    result.payloads_pruned += 1
                else:
                    problem(f"row {rid}: {column.split('_')[0]} payload {key[:19]}… is missing")
            elif found != key:
                problem(f"row {rid}: {column.split('_')[0]} payload {key[:19]}… was changed")
            else:
                result.payloads_checked += 1
        expected_prev = row["row_hash"]
        expected_id = rid + 1
        result.head_id, result.head_hash = rid, row["row_hash"]
    if head is not None:
        last_id, last_hash = head
        if last_id != result.head_id or last_hash != result.head_hash:
            problem(
                f"the chain ends at row {result.head_id} but the head records row {last_id} "
                f"({last_hash[:12]}…): rows after {result.head_id} were deleted, or the head changed"
            )
    elif result.rows:
        problem("the chain head (audit_head) is missing")
    return result
