"""Test clients signed in to the real app (used by tests/conftest.py and the API tests).

Sign-in goes through the real pages (``GET /login`` for the CSRF cookie, ``POST /login``);
the client then sends the session's CSRF token as ``X-CSRF-Token`` on every request, as
the pages' forms do with their ``_csrf`` field, so tests post forms as a browser would.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from mmpath.api.app import create_app
from mmpath.api.settings import Settings
from mmpath.auth import accounts
from mmpath.store import Store

PASSWORD = "correct horse battery staple"
BASE_URL = "http://127.0.0.1"


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> None:
    """Sign ``client`` in through the pages and have it send the CSRF token."""
    client.get("/login")
    response = client.post(
        "/login",
        data={"name": name, "password": password, "next": "/"},
        headers={"X-CSRF-Token": client.cookies.get("mmpath_csrf", "")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    client.headers["X-CSRF-Token"] = client.cookies["mmpath_csrf"]


def ensure_user(store: Store, name: str, role: str) -> None:
    if accounts.get_user(store, name) is None:
        accounts.add_user(store, name, role, PASSWORD)


def signed_in_client(
    store: Store, role: str = "admin", *, raise_server_exceptions: bool = False, **settings: Any
) -> TestClient:
    """A TestClient on ``create_app`` over ``store``, signed in as a user with ``role``."""
    client = TestClient(
        create_app(Settings(database_url=store.url, **settings), store=store),
        base_url=BASE_URL,
        raise_server_exceptions=raise_server_exceptions,
    )
    name = f"test-{role}"
    ensure_user(store, name, role)
    sign_in(client, name)
    return client


def bearer_client(
    store: Store, role: str = "admin", *, raise_server_exceptions: bool = False, **settings: Any
) -> TestClient:
    """A TestClient that calls the API as an API client does: with a personal API token
    (``Authorization: Bearer``) of a user with ``role``; no session, no CSRF token."""
    client = TestClient(
        create_app(Settings(database_url=store.url, **settings), store=store),
        base_url=BASE_URL,
        raise_server_exceptions=raise_server_exceptions,
    )
    name = f"api-{role}"
    ensure_user(store, name, role)
    client.headers["Authorization"] = "Bearer " + accounts.create_token(store, name, "tests")
    return client
