"""Audit writes under concurrency: every acknowledged row is stored, failures reach callers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text

from mmpath.api.service import recommend_and_audit
from mmpath.record.load import parse_record
from mmpath.service import recommend
from mmpath.store import Store, StoreError
from mmpath.store.group_commit import GroupCommit


def test_concurrent_writes_all_land_with_distinct_ids(
    store: Store, example: dict[str, Any]
) -> None:
    output = recommend(parse_record(example))
    records = [{**example, "id": f"patient-{i}"} for i in range(60)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        ids = list(pool.map(lambda r: store.record_recommendation(r, "all", output), records))
    assert len(set(ids)) == len(records)
    for record, audit_id in zip(records, ids, strict=True):
        entry = store.get_audit(audit_id)
        assert entry is not None and entry.record_json.count(record["id"]) == 1
    entries = sorted(store.list_audit(limit=None), key=lambda e: e.id)
    assert [e.created_at for e in entries] == sorted(e.created_at for e in entries)


def test_failed_writes_raise_in_every_caller(store: Store, example: dict[str, Any]) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE audit"))
    errors: list[BaseException] = []

    def attempt(_: int) -> None:
        try:
            recommend_and_audit(store, example)
        except StoreError as error:
            errors.append(error)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(attempt, range(16)))
    assert len(errors) == 16
    assert all("writing the audit trail" in str(e) for e in errors)


def test_one_bad_row_does_not_fail_its_batch() -> None:
    gate = threading.Event()
    written: list[dict[str, Any]] = []
    batches: list[list[int]] = []

    entered = threading.Event()

    def write(rows: list[dict[str, Any]]) -> list[int]:
        entered.set()  # the batch is collected
        gate.wait(5)
        batches.append(
            [r["n"] for r in rows]
        )  # hold the first commit so the others queue up into one batch
        if any(r["bad"] for r in rows):
            raise RuntimeError("bad row")
        written.extend(rows)
        return [r["n"] for r in rows]

    writer = GroupCommit(write)
    results: dict[int, Any] = {}

    def submit(n: int) -> None:
        try:
            results[n] = writer.submit({"n": n, "bad": n == 3})
        except RuntimeError as error:
            results[n] = error

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    threads[0].start()  # row 0 is taken alone and held in the first commit...
    assert entered.wait(5)
    for t in threads[1:]:
        t.start()
    for _ in range(500):  # ...while rows 1-7 queue up behind it
        if writer._queue.qsize() == 7:
            break
        threading.Event().wait(0.01)
    gate.set()
    for t in threads:
        t.join(10)
    writer.close()
    assert isinstance(results.pop(3), RuntimeError)
    assert results == {n: n for n in range(8) if n != 3}
    assert sorted(r["n"] for r in written) == [n for n in range(8) if n != 3]
    assert any(3 in b and len(b) > 1 for b in batches)  # 3 was in a batch that was split
    assert [3] in batches


def test_unstorable_text_is_refused_before_evaluating(
    store: Store, example: dict[str, Any]
) -> None:
    from mmpath.record.errors import RecordError

    with pytest.raises(RecordError) as caught:
        recommend_and_audit(store, {**example, "id": "a\x00b"})
    assert [p.path for p in caught.value.problems] == ["id"]
    assert store.count_audit() == 0
