"""The audit trail proves itself (issue 11, item 3): append-only, hash-chained, verifiable.

Every test runs on SQLite and on PostgreSQL. Tampering is done the way an intruder with
database access would: in SQL, after switching the append-only triggers off.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import text
from typer.testing import CliRunner

from mmpath.api.service import recommend_and_audit
from mmpath.present.cli import app
from mmpath.store import Store
from mmpath.store.chain import GENESIS, row_hash
from mmpath.store.migrate import alembic_config
from mmpath.store.store import make_engine

runner = CliRunner()


def _fill(store: Store, example: dict[str, Any], n: int = 3) -> list[int]:
    ids = []
    for i in range(n):
        audited = recommend_and_audit(store, {**example, "id": f"p{i}"}, "all", source="api")
        assert audited.audit_id is not None
        ids.append(audited.audit_id)
        ids.append(store.record_event("view", source="api", patient_id=f"{i:032x}", actor="dr-a"))
    return ids


def _tamper(store: Store, *statements: str, **params: Any) -> None:
    """Run ``statements`` with the append-only triggers switched off (as an intruder would)."""
    with store.engine.begin() as conn:
        if store.engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_append_only_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_append_only_delete"))
        for statement in statements:
            conn.execute(text(statement), params)


def test_a_fresh_chain_verifies(store: Store, example: dict[str, Any]) -> None:
    ids = _fill(store, example)
    assert ids == list(range(1, 7))  # recommendations and access events share one sequence
    result = store.verify_audit()
    assert result.ok, result.problems
    assert result.rows == 6
    assert result.head_id == 6
    assert (6, result.head_hash) == store.audit_head()
    assert result.payloads_checked == 6  # record and output of each recommendation
    entry = store.get_audit(2)
    assert entry is not None and entry.action == "view" and entry.actor == "dr-a"
    first = store.get_audit(1)
    assert first is not None and first.prev_hash == GENESIS


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit SET actor = 'someone else' WHERE id = 2", "DELETE FROM audit WHERE id = 2"],
)
def test_the_database_refuses_to_change_or_delete_audit_rows(
    store: Store, example: dict[str, Any], statement: str
) -> None:
    _fill(store, example, 1)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text(statement))
    assert store.verify_audit().ok


def test_postgresql_refuses_truncate(postgres_database: str, example: dict[str, Any]) -> None:
    """TRUNCATE is PostgreSQL's (SQLite has none): only the PostgreSQL store is asked."""
    store = Store(postgres_database)
    try:
        _fill(store, example, 1)
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit"))
    finally:
        store.close()


def test_a_changed_row_is_named(store: Store, example: dict[str, Any]) -> None:
    _fill(store, example)
    _tamper(store, "UPDATE audit SET actor = 'dr-b' WHERE id = 4")
    result = store.verify_audit()
    assert not result.ok
    assert any(p.startswith("row 4: changed") for p in result.problems), result.problems
    assert not any(p.startswith("row 3") for p in result.problems)


def test_a_changed_time_or_guideline_is_named(store: Store, example: dict[str, Any]) -> None:
    _fill(store, example)
    _tamper(store, "UPDATE audit SET guideline = 'nl-rrmm' WHERE id = 3")
    assert any(p.startswith("row 3: changed") for p in store.verify_audit().problems)


def test_a_deleted_row_is_named(store: Store, example: dict[str, Any]) -> None:
    _fill(store, example)
    _tamper(store, "DELETE FROM audit WHERE id = 3")
    problems = store.verify_audit().problems
    assert any(p.startswith("row 3: missing (deleted)") for p in problems), problems
    assert any(p.startswith("row 4: prev_hash") for p in problems), problems


def test_deleted_last_rows_are_detected_and_their_ids_not_reused(
    store: Store, example: dict[str, Any]
) -> None:
    _fill(store, example)
    _tamper(store, "DELETE FROM audit WHERE id >= 5")
    problems = store.verify_audit().problems
    assert any("the chain ends at row 4 but the head records row 6" in p for p in problems)
    assert store.record_event("view", actor="dr-a") == 7  # never 5 again


def test_an_inserted_row_is_named(store: Store, example: dict[str, Any]) -> None:
    _fill(store, example)
    head = store.get_audit(6)
    assert head is not None
    forged = {
        "id": 7,
        "created_at": dt.datetime.now(dt.UTC),
        "action": "view",
        "actor": "intruder",
        "source": "api",
        "saved_patient_id": None,
        "input_digest": None,
        "guideline": None,
        "packs_json": None,
        "mmpath_version": "0",
        "output_digest": None,
        "detail": None,
        "prev_hash": head.row_hash,
        "row_hash": "f" * 64,  # without the chain's rule, the intruder cannot know it
    }
    from mmpath.store import tables

    with store.engine.begin() as conn:
        conn.execute(sa.insert(tables.audit).values(**forged))
    problems = store.verify_audit().problems
    assert any(p.startswith("row 7: changed") for p in problems), problems
    assert any("head records row 6" in p for p in problems), problems


def test_a_changed_payload_is_named(store: Store, example: dict[str, Any]) -> None:
    _fill(store, example)
    entry = store.get_audit(1)
    assert entry is not None and entry.record_json is not None
    forged = zlib.compress(entry.record_json.replace("p0", "px").encode())
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE payloads SET body = :body WHERE digest = :digest"),
            {"body": forged, "digest": entry.input_digest},
        )
    problems = store.verify_audit().problems
    assert any(p.startswith("row 1: input payload") and "changed" in p for p in problems)


def test_retention_prunes_payloads_and_the_chain_still_verifies(
    store: Store, example: dict[str, Any]
) -> None:
    _fill(store, example)
    deleted = store.prune_payloads(dt.datetime.now(dt.UTC))
    assert deleted == 6
    result = store.verify_audit()
    assert result.ok, result.problems
    assert result.payloads_pruned == 6
    assert result.rows == 7  # the pruning itself is in the chain
    entry = store.get_audit(1)
    assert entry is not None and entry.record_json is None and entry.input_digest
    last = store.get_audit(7)
    assert last is not None and last.action == "retention"
    # a payload deleted without a retention event is reported
    recommend_and_audit(store, example, "all", source="api")
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM payloads"))
    assert any("payload" in p and "missing" in p for p in store.verify_audit().problems)


def test_identical_outputs_are_stored_once(store: Store, example: dict[str, Any]) -> None:
    for _ in range(5):
        recommend_and_audit(store, example, "all", source="api")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM payloads")).scalar() == 2
        stored = conn.execute(text("SELECT SUM(size) FROM payloads")).scalar()
        compressed = sum(len(b) for (b,) in conn.execute(text("SELECT body FROM payloads")))
    assert compressed * 4 < stored  # JSON compresses well


def test_cli_verify(store: Store, example: dict[str, Any]) -> None:
    _fill(store, example)
    ok = runner.invoke(app, ["audit", "verify", "--database-url", store.url])
    assert ok.exit_code == 0, ok.output
    assert "intact: 6 rows" in ok.output
    head = store.audit_head()
    assert head is not None
    anchored = runner.invoke(
        app, ["audit", "verify", "--head", f"{head[0]}:{head[1]}", "--database-url", store.url]
    )
    assert anchored.exit_code == 0, anchored.output
    _tamper(store, "UPDATE audit SET detail = 'x' WHERE id = 2")
    bad = runner.invoke(app, ["audit", "verify", "--json", "--database-url", store.url])
    assert bad.exit_code == 1
    report = json.loads(bad.stdout.strip().splitlines()[-1])
    assert report["ok"] is False
    assert report["problems"][0].startswith("row 2: changed")


def test_migration_chains_existing_rows(database_url: str, example: dict[str, Any]) -> None:
    """A database written before the chain: its rows keep their ids and are chained."""
    engine = make_engine(
        database_url.replace("postgresql://", "postgresql+psycopg://", 1)
        if database_url.startswith("postgresql://")
        else database_url
    )
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "patient_history")
    output = '{"results": []}'
    with engine.begin() as conn:
        for i in (1, 2, 5):  # a gap, as a failed transaction leaves on PostgreSQL
            record = json.dumps({"id": f"old{i}"}, separators=(",", ":"), sort_keys=True)
            from mmpath.store.store import text_digest

            conn.execute(
                text(
                    "INSERT INTO audit (id, created_at, source, saved_patient_id, input_digest,"
                    " record_json, guideline, packs_json, mmpath_version, output_json) VALUES "
                    "(:id, :at, 'api', NULL, :digest, :record, 'all', '[]', '0.1.0', :output)"
                ),
                {
                    "id": i,
                    "at": dt.datetime(2026, 1, i, tzinfo=dt.UTC),
                    "digest": text_digest(record),
                    "record": record,
                    "output": output,
                },
            )
    engine.dispose()
    store = Store(database_url)
    try:
        result = store.verify_audit()
        assert result.ok, result.problems
        assert [e.id for e in store.iter_audit()] == [1, 2, 5]
        old = store.get_audit(5)
        assert old is not None and old.record_json is not None and "old5" in old.record_json
        assert old.output_json == output
        assert old.row_hash == row_hash(old.prev_hash, {**_columns(old)})
        assert store.record_event("view", actor="dr-a") == 6
        assert store.verify_audit().ok
    finally:
        store.close()


def _columns(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "created_at": entry.created_at,
        "action": entry.action,
        "actor": entry.actor,
        "source": entry.source,
        "saved_patient_id": entry.saved_patient_id,
        "input_digest": entry.input_digest,
        "guideline": entry.guideline,
        "packs_json": json.dumps(entry.packs, separators=(",", ":"), sort_keys=True),
        "mmpath_version": entry.mmpath_version,
        "output_digest": entry.output_digest,
        "detail": entry.detail,
    }


def test_export_names_actor_and_action(
    store: Store, example: dict[str, Any], tmp_path: Path
) -> None:
    _fill(store, example, 1)
    out = tmp_path / "audit.jsonl"
    result = runner.invoke(
        app, ["audit", "export", "--output", str(out), "--database-url", store.url]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [(e["action"], e["actor"]) for e in lines] == [("evaluate", None), ("view", "dr-a")]
    assert lines[1]["record"] is None and lines[0]["record"]["id"] == "p0"
