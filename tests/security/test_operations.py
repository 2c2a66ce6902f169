"""Operations (issue 11, item 6): readiness, owner-only database file, WAL checkpoint on
close, backup and restore (SQLite online backup API)."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from mmpath.api.app import create_app
from mmpath.api.service import recommend_and_audit
from mmpath.api.settings import Settings
from mmpath.present.cli import app as cli
from mmpath.store import Store
from mmpath.store import store as store_module
from signin import BASE_URL, bearer_client

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE: dict[str, Any] = json.loads(
    (ROOT / "examples" / "first-relapse-on-lenalidomide.json").read_text("utf-8")
)
runner = CliRunner()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "mmpath.sqlite3"


@pytest.fixture
def store(path: Path) -> Iterator[Store]:
    opened = Store(f"sqlite:///{path}")
    yield opened
    opened.close()


def test_database_file_is_owner_only(store: Store, path: Path) -> None:
    recommend_and_audit(store, EXAMPLE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_clean_close_checkpoints_the_wal(path: Path) -> None:
    opened = Store(f"sqlite:///{path}")
    for _ in range(3):
        recommend_and_audit(opened, EXAMPLE)
    opened.close()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    again = Store(f"sqlite:///{path}")
    assert again.count_audit() == 3 and again.verify_audit().ok
    again.close()


def test_health_is_ready_only_when_a_write_works(
    store: Store, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = bearer_client(store, "viewer")
    assert client.get("/api/v1/health").json() == {"status": "ok", "database": "ok"}
    monkeypatch.setattr(store_module, "MIN_FREE_BYTES", 10**18)  # "the disk is full"
    full = client.get("/api/v1/health")
    assert full.status_code == 503 and "free" in full.json()["detail"]
    monkeypatch.undo()
    read_only = Store(f"sqlite:///file:{path}?mode=ro&uri=true", migrate=False)
    app = create_app(Settings(database_url=read_only.url), store=read_only)
    from fastapi.testclient import TestClient

    response = TestClient(app, base_url=BASE_URL).get("/api/v1/health")
    assert response.status_code == 503
    assert "readonly" in response.json()["detail"].replace("-", "").replace(" ", "")
    read_only.close()


def test_backup_and_restore(store: Store, path: Path, tmp_path: Path) -> None:
    pid = store.create_patient(EXAMPLE)
    recommend_and_audit(store, EXAMPLE, saved_patient_id=pid)
    copy = tmp_path / "backup.sqlite3"
    made = runner.invoke(cli, ["backup", str(copy), "--database-url", store.url])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    again = runner.invoke(cli, ["backup", str(copy), "--database-url", store.url])
    assert again.exit_code == 2 and "exists" in again.output
    # lost after the backup: the patient
    store.delete_patient(pid)
    store.close()
    restored = runner.invoke(cli, ["restore", str(copy), "--database-url", f"sqlite:///{path}"])
    assert restored.exit_code == 0, restored.output
    reopened = Store(f"sqlite:///{path}")
    try:
        assert reopened.get_patient(pid) is not None
        assert reopened.count_audit() == 1 and reopened.verify_audit().ok
    finally:
        reopened.close()


def test_a_tampered_backup_is_not_restored(store: Store, path: Path, tmp_path: Path) -> None:
    recommend_and_audit(store, EXAMPLE)
    copy = tmp_path / "backup.sqlite3"
    assert runner.invoke(cli, ["backup", str(copy), "--database-url", store.url]).exit_code == 0
    forged = Store(f"sqlite:///{copy}", migrate=False)
    with forged.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_append_only_update"))
        conn.execute(text("UPDATE audit SET guideline = 'nl-rrmm'"))
    forged.close()
    refused = runner.invoke(cli, ["restore", str(copy), "--database-url", store.url])
    assert refused.exit_code == 2
    assert "row 1: changed" in refused.output


def test_postgresql_backup_points_to_pg_dump() -> None:
    result = runner.invoke(
        cli, ["backup", "/tmp/x.dump", "--database-url", "postgresql://u@127.0.0.1/db"]
    )
    assert result.exit_code == 2 and "pg_dump" in result.output
