"""Audit writes under concurrency: every acknowledged row is stored, failures reach callers."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text

from mmpath.api.service import recommend_and_audit, recommend_and_audit_async
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
        assert entry is not None and entry.record_json is not None
        assert entry.record_json.count(record["id"]) == 1
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


def _gated(store: Store) -> tuple[threading.Event, list[int]]:
    """Hold the store's writer at its next batch until the event is set; record batch sizes."""
    inner = store._insert_audit_rows
    gate = threading.Event()
    sizes: list[int] = []

    def write(rows: list[dict[str, Any]]) -> list[int]:
        gate.wait(30)
        sizes.append(len(rows))
        return inner(rows)

    store._audit_writer._write = write
    return gate, sizes


def test_a_request_is_answered_only_after_its_row_is_committed(
    store: Store, database_url: str, example: dict[str, Any]
) -> None:
    gate, _ = _gated(store)
    other = Store(database_url, migrate=False)  # another connection, as after a restart

    async def scenario() -> int:
        task = asyncio.create_task(recommend_and_audit_async(store, example, "nl-rrmm"))
        for _ in range(500):  # evaluated, and its row handed to the writer
            await asyncio.sleep(0.01)
            if store._audit_writer._queue.qsize() == 0 and store._audit_writer._thread:
                break
        await asyncio.sleep(0.2)
        assert not task.done()  # the writer holds the row: no answer yet
        assert other.count_audit("evaluate") == 0
        gate.set()
        audited = await task
        assert audited.audit_id is not None
        return audited.audit_id

    try:
        audit_id = asyncio.run(scenario())
        entry = other.get_audit(audit_id)
        assert entry is not None and entry.action == "evaluate"
    finally:
        gate.set()
        other.close()


def test_concurrent_requests_form_one_chain_in_the_writers_order(
    store: Store, example: dict[str, Any]
) -> None:
    """Requests (async) and access events (threads) at once: the single writer numbers
    and chains them; batches of several rows commit together; the chain verifies."""
    gate, sizes = _gated(store)
    records = [{**example, "id": f"patient-{i}"} for i in range(12)]

    async def scenario() -> list[int]:
        tasks = [
            asyncio.create_task(recommend_and_audit_async(store, r, "nl-rrmm")) for r in records
        ]
        with ThreadPoolExecutor(max_workers=4) as pool:
            events = [
                pool.submit(store.record_event, "view", source="api", detail=f"e{i}")
                for i in range(8)
            ]
            for _ in range(1000):  # everything evaluated and queued behind the held batch
                await asyncio.sleep(0.01)
                if store._audit_writer._queue.qsize() >= len(records) + len(events) - 1:
                    break
            gate.set()
            audited = await asyncio.gather(*tasks)
            ids = [e.result(30) for e in events]
        return [a.audit_id for a in audited if a.audit_id is not None] + ids

    try:
        ids = asyncio.run(scenario())
    finally:
        gate.set()
    assert sorted(ids) == list(range(1, len(records) + 9))  # no gaps, no duplicates
    assert max(sizes) > 1  # rows queued during a commit shared the next one
    result = store.verify_audit()
    assert result.ok, result.problems
    assert result.rows == len(ids)
    for record, audit_id in zip(records, ids, strict=False):
        entry = store.get_audit(audit_id)
        assert entry is not None and json.loads(entry.record_json or "{}")["id"] == record["id"]


def test_a_payload_pruned_meanwhile_is_written_again(store: Store, example: dict[str, Any]) -> None:
    """Rows are built outside the writer; the writer checks the database for payloads at
    commit time, so one deleted after an identical row was stored is written again."""
    output = recommend(parse_record(example), "nl-rrmm")
    first = store.audit_row(example, "nl-rrmm", output, actor="dr-a")
    assert first["actor"] == "dr-a" and len(first["_payloads"]) == 2
    store.commit_audit_row(first)
    again = store.audit_row(example, "nl-rrmm", output)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM payloads"))  # pruned behind the store's back
    audit_id = store.commit_audit_row(again)
    entry = store.get_audit(audit_id)
    assert entry is not None and entry.output_json == output.model_dump_json()
    assert entry.record_json is not None and json.loads(entry.record_json) == json.loads(
        json.dumps(example)
    )
