"""The OpenAPI document against the answers (schemathesis): no 5xx, and every answer of
``/api/v1`` conforms to what the document declares.

Checks on every response: ``not_a_server_error``, ``status_code_conformance`` (the status
is declared), ``content_type_conformance`` (the media type is declared) and
``response_schema_conformance`` (the body validates against the declared schema); the
stateful run adds ``use_after_free`` and ``ensure_resource_availability``.

* generated requests per operation, valid (positive) and invalid (negative) inputs;
* the explicit examples of the document (the example record body);
* stateful: schemathesis' state machine follows the document's OpenAPI links (a saved
  patient's id from ``POST /patients``, the audit id of a recommendation) through
  sequences of calls;
* every operation's success answer once, in a fixed sequence (decision 201, FHIR import,
  delete 204, ...), which generated data rarely reaches.

Runs against the ASGI app in process (no network), on a fresh SQLite database, signed in
with an administrator's API token. Derandomized and bounded, so a failure reproduces on
the next run (and the module stays well under a minute and a half on two cores).
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from mmpath.api.app import create_app
from mmpath.api.settings import Settings
from mmpath.auth import accounts
from mmpath.store import Store

EXAMPLES_PER_OPERATION = 40
STATEFUL_SCENARIOS = 80
STATEFUL_STEPS = 8
CHECKS: list[Callable[..., Any]] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
STATEFUL_CHECKS = [*CHECKS, use_after_free, ensure_resource_availability]
API = "^/api/v1/"
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "examples" / "first-relapse-on-lenalidomide.json").read_text())
BUNDLE = ROOT / "tests" / "fhir_import" / "data" / "first-relapse-on-lenalidomide.bundle.json"
# FHIR NDJSON (POST /api/v1/import/fhir) is text: sent as schemathesis sends text/plain
schemathesis.serializer.alias("application/fhir+ndjson", "text/plain")
#: Signed in as an administrator (an API token), so every operation is reached.
HEADERS: dict[str, str] = {}


def _settings(examples: int, **more: Any) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        **more,
    )


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    store = Store(f"sqlite:///{folder / 'mmpath.sqlite3'}")
    # generous limits: the generated requests are many and fast
    made = create_app(
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
    yield made
    store.close()


@pytest.fixture(scope="module")
def api_schema(app: Any) -> BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def _operations(schema: BaseSchema) -> list[Any]:
    found = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # the document itself is valid
        found.append(result.ok())
    return found


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_conform(api_schema: BaseSchema, mode: GenerationMode) -> None:
    operations = _operations(api_schema)
    assert len(operations) >= 17  # every endpoint is in the document
    for operation in operations:
        has_input = any(
            len(group) for group in (operation.path_parameters, operation.query, operation.body)
        )
        if mode is GenerationMode.NEGATIVE and not has_input:
            continue  # nothing to make invalid (e.g. GET /api/v1/health)
        # /api/v1: every declaration checked; elsewhere (CDS Hooks, its own spec): no 5xx
        checks = CHECKS if operation.path.startswith("/api/v1/") else [not_a_server_error]
        _generated(operation, mode, checks)


def _generated(operation: Any, mode: GenerationMode, checks: list[Callable[..., Any]]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @_settings(EXAMPLES_PER_OPERATION)
    def run(case: Case[Any]) -> None:
        case.call_and_validate(headers=HEADERS, checks=checks)

    run()


def test_explicit_examples_conform(api_schema: BaseSchema) -> None:
    """The document's own examples (the example record: a real 200 recommendation)."""
    tried = 0
    for operation in _operations(api_schema.include(path_regex=API)):
        strategies = operation.get_strategies_from_examples()
        if not strategies:
            continue
        tried += 1

        @given(case=st.one_of(strategies))
        @_settings(10)
        def run(case: Case[Any]) -> None:
            case.call_and_validate(headers=HEADERS, checks=CHECKS)

        run()
    assert tried >= 5  # validate, recommend, patients (POST, PUT), decision


def test_stateful_sequences_conform(
    app: Any, api_schema: BaseSchema, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """schemathesis' state machine over the OpenAPI links of /api/v1.

    Each scenario runs on a fresh copy of the database as it is now (signed-in user and
    token included): the links carry ids from earlier responses (an audit id is the audit
    chain's next number) into later draws, and ids left over from earlier scenarios made
    hypothesis's data generation differ for the same choices ("FlakyStrategyDefinition";
    cf. schemathesis PR #4132). The audit trail is append-only, so it is copied, not reset.
    """
    base = api_schema.include(path_regex=API).as_state_machine()
    shared: Store = app.state.store
    template = Path(shared.url.removeprefix("sqlite:///"))
    with shared.engine.connect() as conn:  # everything in the main file before copying it
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    folder = tmp_path_factory.mktemp("scenarios")
    count = iter(range(1_000_000))

    class Machine(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            copy_of = folder / f"scenario-{next(count)}.sqlite3"
            shutil.copyfile(template, copy_of)
            app.state.store = Store(f"sqlite:///{copy_of}")

        def teardown(self) -> None:
            app.state.store.close()
            app.state.store = shared

        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            return {"headers": HEADERS}

        def validate_response(self, response: Any, case: Case[Any], *_: Any, **kwargs: Any) -> None:
            case.validate_response(
                response,
                checks=STATEFUL_CHECKS,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Machine.run(settings=_settings(STATEFUL_SCENARIOS, stateful_step_count=STATEFUL_STEPS))


def _call(schema: BaseSchema, method: str, path: str, status: int, **parts: Any) -> Any:
    """Call one operation with the given parts; check every declaration and the status."""
    operation = schema[path][method]
    case = operation.Case(**parts)
    response = case.call_and_validate(headers=HEADERS, checks=CHECKS)
    assert response.status_code == status, f"{method} {path}: {response.text[:300]}"
    return response


def test_every_success_answer_conforms(api_schema: BaseSchema) -> None:
    """Each operation's success answer once, in a sequence generated data rarely reaches."""
    s, v1 = api_schema, "/api/v1"
    for path in ("/health", "/version", "/guidelines", "/schema/record"):
        _call(s, "GET", v1 + path, 200)
    assert _call(s, "POST", f"{v1}/validate", 200, body=EXAMPLE).json()["valid"] is True
    answer = _call(s, "POST", f"{v1}/recommend", 200, body=EXAMPLE, query={"guideline": "all"})
    audit_id = int(answer.headers["x-mmpath-audit-id"][0])
    option = next(o["id"] for r in answer.json()["results"] for o in r["options"])
    decided = {"option_id": option, "pathway": "on", "by": "Dr A", "at": "2026-11-05"}
    _call(
        s,
        "POST",
        f"{v1}/audit/{{audit_id}}/decision",
        201,
        path_parameters={"audit_id": audit_id},
        body=decided,
    )
    _call(s, "GET", f"{v1}/audit/{{audit_id}}", 200, path_parameters={"audit_id": audit_id})
    listing = _call(s, "GET", f"{v1}/audit", 200, query={"action": "all", "limit": 5}).json()
    assert listing["total"] >= 1
    saved = _call(s, "POST", f"{v1}/patients", 201, body=EXAMPLE).json()
    patient = {"patient_id": saved["id"]}
    _call(s, "GET", f"{v1}/patients", 200)
    _call(s, "GET", f"{v1}/patients/{{patient_id}}", 200, path_parameters=patient)
    changed = {**EXAMPLE, "ecog": 2}
    _call(s, "PUT", f"{v1}/patients/{{patient_id}}", 200, path_parameters=patient, body=changed)
    history = _call(s, "GET", f"{v1}/patients/{{patient_id}}/history", 200, path_parameters=patient)
    assert len(history.json()) == 2
    _call(s, "POST", f"{v1}/patients/{{patient_id}}/recommend", 200, path_parameters=patient)
    _call(s, "GET", f"{v1}/patients", 200)  # now with its last answer
    _call(s, "DELETE", f"{v1}/patients/{{patient_id}}", 204, path_parameters=patient)
    _call(s, "GET", f"{v1}/patients/{{patient_id}}", 404, path_parameters=patient)
    bundle = json.loads(BUNDLE.read_text("utf-8"))
    query = {"as_of": "2026-11-01", "region": "NL"}
    _call(
        s, "POST", f"{v1}/import/fhir", 200, body=bundle, query=query, media_type="application/json"
    )
    lines = "\n".join(json.dumps({"resourceType": "Patient", "id": f"p{i}"}) for i in range(2))
    _call(s, "POST", f"{v1}/import/fhir", 200, body=lines, media_type="application/fhir+ndjson")


def test_error_answers_conform(app: Any, api_schema: BaseSchema) -> None:
    """The middleware's answers are declared too (the generated requests above are always
    signed in as an administrator): no token, a wrong token, a foreign Host, a role too
    low, the rate limit."""
    store = app.state.store
    accounts.add_user(store, "api-viewer", "viewer", "schemathesis password")
    viewer = "Bearer " + accounts.create_token(store, "api-viewer", "schemathesis")
    patients = api_schema["/api/v1/patients"]["GET"]
    audit = api_schema["/api/v1/audit"]["GET"]
    cases: list[tuple[Any, dict[str, Any], dict[str, str], int]] = [
        (patients, {}, {"Host": "127.0.0.1"}, 401),
        (patients, {}, {"Host": "127.0.0.1", "Authorization": "Bearer not-a-token"}, 401),
        (patients, {}, {"Host": "evil.example"}, 400),
        (audit, {"query": {"action": "all"}}, {"Host": "127.0.0.1", "Authorization": viewer}, 403),
    ]
    for operation, parts, headers, status in cases:
        case = operation.Case(**parts)
        response = case.call(headers=headers)
        assert response.status_code == status, response.text
        case.validate_response(response, checks=CHECKS)
    # the rate limit: the same app with a bucket of one request
    limited = create_app(
        Settings(database_url=store.url, rate_per_minute=1, rate_burst=1), store=store
    )
    with TestClient(limited, base_url="http://127.0.0.1") as client:
        client.headers["Authorization"] = viewer
        assert client.get("/api/v1/patients").status_code == 200
        response = client.get("/api/v1/patients")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    patients.Case().validate_response(response, checks=CHECKS)


@pytest.mark.parametrize("damage", ["undeclared-status", "wrong-schema"])
def test_checks_catch_a_wrong_declaration(app: Any, damage: str) -> None:
    """The checks are not vacuous: a document that misdeclares an answer fails them."""
    document = copy.deepcopy(app.openapi())
    operation = document["paths"]["/api/v1/patients/{patient_id}"]["get"]
    if damage == "undeclared-status":
        del operation["responses"]["404"]
    else:
        document["components"]["schemas"]["ErrorOut"]["required"] = ["detail", "missing"]
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app
    case = schema["/api/v1/patients/{patient_id}"]["GET"].Case(
        path_parameters={"patient_id": "0" * 32}
    )
    response = case.call(headers=HEADERS)
    assert response.status_code == 404
    with pytest.raises((Failure, FailureGroup)):
        case.validate_response(response, checks=CHECKS)
