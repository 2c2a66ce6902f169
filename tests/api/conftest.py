"""API test fixtures: every store-backed test runs on SQLite and on a real PostgreSQL.

PostgreSQL: ``$MMPATH_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``,
an administrative connection); each test gets its own freshly created database, dropped
afterwards. When the server cannot be reached the PostgreSQL variants are skipped with
the reason shown, except under CI (``CI=true``), where that is a failure: CI must not
pass without having tested PostgreSQL (``.ci/postgres.sh`` starts one).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mmpath.store import Store
from signin import bearer_client

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "first-relapse-on-lenalidomide.json"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str:
    return os.environ.get("MMPATH_TEST_POSTGRES_URL") or DEFAULT_POSTGRES


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    """A reachable PostgreSQL admin URL (psycopg form), or skip/fail as described above."""
    import psycopg

    url = postgres_admin_url()
    try:
        with psycopg.connect(url, connect_timeout=5, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        message = f"PostgreSQL at {url} is not reachable ({error}); set MMPATH_TEST_POSTGRES_URL"
        if _in_ci():
            pytest.fail(message + " — required in CI (.ci/postgres.sh starts one)")
        pytest.skip(message)
    return url


@pytest.fixture
def postgres_database(postgres_admin: str) -> Iterator[str]:
    """A fresh, empty database for one test; dropped afterwards."""
    import psycopg
    from psycopg import sql

    name = f"mmpath_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = postgres_admin.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mmpath.sqlite3'}"
    url: str = request.getfixturevalue("postgres_database")
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store(database_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    """The API as an API client calls it: an admin's personal API token (tests/conftest.py)."""
    with bearer_client(store, "admin") as test_client:
        yield test_client


@pytest.fixture
def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text("utf-8"))
    return data
