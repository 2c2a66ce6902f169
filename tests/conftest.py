"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mmpath.api.app import create_app
from mmpath.api.settings import Settings
from mmpath.store import Store


@pytest.fixture
def signed_in() -> Iterator[Callable[..., TestClient]]:
    """``signed_in(store)``: a TestClient on the real app over ``store``."""
    made: list[TestClient] = []

    def make(store: Store, **settings: Any) -> TestClient:
        client = TestClient(
            create_app(Settings(database_url=store.url, **settings), store=store),
            raise_server_exceptions=False,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
