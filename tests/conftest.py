"""Fixtures shared by every test folder (the clients themselves: tests/signin.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from mmpath.store import Store
from signin import signed_in_client

UNTIMED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
"""No timing in tests (performance lives in bench/): on a loaded 2-core machine a slow
example is not a failure."""
settings.register_profile("repeatable", derandomize=True, print_blob=True, **UNTIMED)
"""The default: every run draws the same examples (same code → same verdict, in CI too)."""
settings.register_profile("explore", derandomize=False, print_blob=True, **UNTIMED)
"""New examples each run: ``pytest --hypothesis-profile=explore --hypothesis-seed=N``; a
counterexample found this way becomes an ``@example`` beside the property it broke."""
settings.load_profile("repeatable")


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> None:
    """Argon2id with the smallest parameters: the tests hash many passwords; what they
    check (hash, verify, refuse) does not depend on the cost."""
    from argon2 import PasswordHasher

    from mmpath.auth import accounts

    accounts.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def signed_in() -> Iterator[Callable[..., TestClient]]:
    """``signed_in(store, role="admin")``: a TestClient signed in (see above)."""
    made: list[TestClient] = []

    def make(store: Store, role: str = "admin", **settings: Any) -> TestClient:
        client = signed_in_client(store, role, **settings)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
