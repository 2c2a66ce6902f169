"""The Alembic migrations create the tables the store uses, and are idempotent."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

import mmpath.store.decisions  # noqa: F401  (its tables are on the same metadata)
from mmpath.store import Store
from mmpath.store.migrate import alembic_config
from mmpath.store.tables import metadata


def test_migrations_create_the_declared_schema(database_url: str) -> None:
    store = Store(database_url)
    try:
        inspector = inspect(store.engine)
        for table in metadata.tables.values():
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name
        with store.engine.connect() as conn:
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    finally:
        store.close()
    again = Store(database_url)  # second open: already at head, nothing changes
    again.close()


def test_sqlite_runs_in_wal_mode(tmp_path: object) -> None:
    store = Store(f"sqlite:///{tmp_path}/wal.sqlite3")
    try:
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    finally:
        store.close()
