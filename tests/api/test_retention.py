"""Audit payload retention as a setting of ``mmpath serve`` (issue 11, item 4).

Old rows are written through the real code path with the store's clock set back (so
their hashes are genuine), then the app starts with the setting: the old payloads are
gone, the new ones kept, and the chain still verifies (``Store.verify_audit`` and the
``mmpath audit verify`` command). The daily run is tested with a stand-in for
``asyncio.sleep``: no waiting, no timing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mmpath.api import retention
from mmpath.api.app import create_app
from mmpath.api.service import recommend_and_audit
from mmpath.api.settings import RETENTION_VAR, Settings, retention_days
from mmpath.present.cli import app as cli
from mmpath.store import Store, StoreError
from mmpath.store import store as store_module

NOW = dt.datetime.now(dt.UTC)


def _write(store: Store, example: dict[str, Any], name: str, when: dt.datetime | None) -> int:
    """One audited recommendation (its own record), written at ``when`` (None: now)."""
    saved = store_module._now
    if when is not None:
        store_module._now = lambda: when
    try:
        audited = recommend_and_audit(store, {**example, "id": name}, "all", source="api")
    finally:
        store_module._now = saved
    assert audited.audit_id is not None
    return audited.audit_id


def _kept(store: Store, audit_id: int) -> bool:
    entry = store.get_audit(audit_id)
    assert entry is not None and entry.input_digest and entry.output_digest
    assert (entry.record_json is None) == (entry.output_json is None)
    return entry.record_json is not None


def test_serve_setting_prunes_old_payloads_at_start(
    store: Store, example: dict[str, Any], database_url: str
) -> None:
    old = [_write(store, example, f"old-{i}", NOW - dt.timedelta(days=41 - i)) for i in range(2)]
    recent = _write(store, example, "recent", NOW - dt.timedelta(days=5))
    new = _write(store, example, "new", None)
    assert all(_kept(store, i) for i in [*old, recent, new])
    before = store.verify_audit()
    assert before.ok and before.payloads_pruned == 0, before.problems

    app = create_app(Settings(database_url=store.url, audit_retention_days=30), store=store)
    with TestClient(app, base_url="http://127.0.0.1"):  # the lifespan runs: the start
        assert [_kept(store, i) for i in old] == [False, False]
        assert _kept(store, recent) and _kept(store, new)

    result = store.verify_audit()
    assert result.ok, result.problems
    assert result.payloads_pruned == 4  # record + output of each old row
    events = [e for e in store.list_audit(limit=10, payloads=False) if e.action == "retention"]
    assert len(events) == 1 and events[0].source == "serve"
    assert events[0].detail is not None
    horizon = dt.datetime.fromisoformat(events[0].detail)
    assert NOW - dt.timedelta(days=31) < horizon < NOW - dt.timedelta(days=29)
    # the command an operator runs agrees
    verified = CliRunner().invoke(cli, ["audit", "verify", "--database-url", database_url])
    assert verified.exit_code == 0, verified.output
    assert "audit chain intact" in verified.output and "4 pruned" in verified.output


def test_default_keeps_every_payload(store: Store, example: dict[str, Any]) -> None:
    old = _write(store, example, "old", NOW - dt.timedelta(days=4000))
    app = create_app(Settings(database_url=store.url, audit_retention_days=None), store=store)
    with TestClient(app, base_url="http://127.0.0.1"):
        pass
    assert _kept(store, old)
    assert not [e for e in store.list_audit(limit=10, payloads=False) if e.action == "retention"]


def test_daily_run_prunes_once_per_interval(store: Store, example: dict[str, Any]) -> None:
    """``run_daily`` sleeps a day, prunes, and again, until cancelled (stand-in sleep)."""
    waits: list[float] = []
    old = _write(store, example, "old", NOW - dt.timedelta(days=10))

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(retention.run_daily(store, 7, sleep=sleep))
    assert waits == [retention.DAY] * 3
    assert not _kept(store, old)
    events = [e for e in store.list_audit(limit=10, payloads=False) if e.action == "retention"]
    assert len(events) == 2  # one per completed interval
    assert store.verify_audit().ok


def test_setting_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RETENTION_VAR, raising=False)
    assert Settings().audit_retention_days is None
    monkeypatch.setenv(RETENTION_VAR, "90")
    assert Settings().audit_retention_days == 90
    for bad in ("0", "-3", "ninety", "1.5"):
        with pytest.raises(ValueError, match=RETENTION_VAR):
            retention_days(bad)
    assert retention_days(" ") is None


def test_serve_refuses_a_bad_setting() -> None:
    result = CliRunner().invoke(cli, ["serve", "--audit-retention-days", "0"])
    assert result.exit_code == 2
    assert "audit-retention-days" in result.output


def test_a_failed_start_stops_the_start(
    store: Store, example: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(before: dt.datetime, *, source: str = "cli") -> int:
        raise StoreError("database error while pruning audit payloads: disk I/O error")

    monkeypatch.setattr(store, "prune_payloads", broken)
    app = create_app(Settings(database_url=store.url, audit_retention_days=30), store=store)
    with pytest.raises(StoreError), TestClient(app, base_url="http://127.0.0.1"):
        pass


def test_a_failed_daily_run_is_logged_and_tried_again(
    store: Store,
    example: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old = _write(store, example, "old-patient-name", NOW - dt.timedelta(days=10))
    real = store.prune_payloads
    calls: list[int] = []

    def flaky(before: dt.datetime, *, source: str = "cli") -> int:
        calls.append(1)
        if len(calls) == 1:
            raise StoreError("database error while pruning audit payloads: locked")
        return real(before, source=source)

    monkeypatch.setattr(store, "prune_payloads", flaky)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            raise asyncio.CancelledError

    with caplog.at_level("INFO", logger="mmpath.retention"), pytest.raises(asyncio.CancelledError):
        asyncio.run(retention.run_daily(store, 7, sleep=sleep))
    assert len(calls) == 2 and not _kept(store, old)
    assert any("failed" in r.getMessage() for r in caplog.records)
    assert not any("old-patient-name" in r.getMessage() for r in caplog.records)
