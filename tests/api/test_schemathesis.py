"""Generated requests from the OpenAPI document (schemathesis): no 5xx, ever.

Runs against the ASGI app in process (no network), on a fresh SQLite database, every
operation with a bounded number of examples, valid (positive) and invalid (negative)
inputs. Derandomized, so a failure reproduces on the next run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import BaseSchema, Case, GenerationMode

from mmpath.api.app import create_app
from mmpath.api.settings import Settings
from mmpath.auth import accounts
from mmpath.store import Store

EXAMPLES_PER_OPERATION = 25
#: Signed in as an administrator (an API token), so every operation is reached.
HEADERS: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaseSchema]:
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    store = Store(f"sqlite:///{folder / 'mmpath.sqlite3'}")
    # generous limits: the generated requests are many and fast
    app = create_app(
        Settings(
            database_url=store.url,
            rate_per_minute=0,
            allowed_hosts=("127.0.0.1", "testserver"),  # the loader asks as testserver
        ),
        store=store,
    )
    accounts.add_user(store, "api-admin", "admin", "schemathesis password")
    HEADERS["Authorization"] = "Bearer " + accounts.create_token(store, "api-admin", "schemathesis")
    HEADERS["Host"] = "127.0.0.1"
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    store.close()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_errors(api_schema: BaseSchema, mode: GenerationMode) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 14  # every endpoint is in the document
    for operation in operations:
        has_input = any(
            len(group) for group in (operation.path_parameters, operation.query, operation.body)
        )
        if mode is GenerationMode.NEGATIVE and not has_input:
            continue  # nothing to make invalid (e.g. GET /api/v1/health)

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Case) -> None:
            response = case.call(headers=HEADERS)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{response.text[:300]}\nreproduce: {case.as_curl_command()}"
            )

        run()
