"""CDS Hooks test fixtures: EHR keys and tokens, the EHR's HTTP servers, the mmpath app."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from cds_hooks.servers import Ehr, serve
from mmpath.api.app import create_app
from mmpath.api.settings import Settings
from mmpath.cds.config import CdsConfig, Issuer
from mmpath.cds.router import CdsRuntime
from mmpath.store import Store

BASE = "https://mmpath.test"
ISS = "https://ehr.test"
STATIC_ISS = "https://static-ehr.test"
NOW = 1_793_520_000.0  # 2026-11-01T08:00:00Z
TODAY = dt.date(2026, 11, 1)
DATA = Path(__file__).resolve().parents[1] / "fhir_import" / "data"


class Keys:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = ec.generate_private_key(ec.SECP384R1())
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key()))
        self.jwk = {**public, "kid": kid, "alg": "ES384", "use": "sig"}


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys("ehr-key-1")


@pytest.fixture(scope="session")
def other_keys() -> Keys:
    return Keys("ehr-key-1")  # same kid, different key: a forged signature


@pytest.fixture(scope="session")
def ehr_server(keys: Keys) -> Iterator[tuple[Ehr, str]]:
    ehr = Ehr()
    ehr.jwks = {"keys": [keys.jwk]}
    with serve(ehr) as base:
        yield ehr, base


@pytest.fixture
def ehr(ehr_server: tuple[Ehr, str]) -> Ehr:
    found, _base = ehr_server
    found.resources = []
    found.requests = []
    return found


@pytest.fixture
def ehr_base(ehr_server: tuple[Ehr, str]) -> str:
    return ehr_server[1]


@pytest.fixture
def config(ehr_base: str, keys: Keys) -> CdsConfig:
    return CdsConfig(
        base_url=BASE,
        issuers={
            ISS: Issuer(jku=(f"{ehr_base}/jwks.json",)),
            STATIC_ISS: Issuer(jwks={"keys": [keys.jwk]}),
        },
        region="NL",
        allow_http_loopback=True,
        clock=lambda: NOW,
        today=lambda: TODAY,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(f"sqlite:///{tmp_path / 'cds.sqlite3'}")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def client(store: Store, config: CdsConfig) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=store.url), store=store)
    app.state.cds = CdsRuntime(config)
    with TestClient(app, raise_server_exceptions=False, base_url="http://127.0.0.1") as test_client:
        yield test_client


class Minter:
    def __init__(self, keys: Keys, jku: str) -> None:
        self.keys = keys
        self.jku = jku

    def __call__(
        self,
        aud: str,
        *,
        key: Keys | None = None,
        header: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
        **claims: Any,
    ) -> str:
        payload: dict[str, Any] = {
            "iss": ISS,
            "aud": aud,
            "iat": int(NOW) - 5,
            "exp": int(NOW) + 300,
            "jti": str(uuid.uuid4()),
            "tenant": "hospital-1",
            **claims,
        }
        for name in drop:
            payload.pop(name, None)
        head = {"kid": (key or self.keys).kid, "jku": self.jku, "typ": "JWT", **(header or {})}
        head = {k: v for k, v in head.items() if v is not None or k == "typ"}  # typ None: omitted
        return jwt.encode(payload, (key or self.keys).private, algorithm="ES384", headers=head)

    def bearer(self, aud: str, **options: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self(aud, **options)}"}


@pytest.fixture
def mint(keys: Keys, ehr_base: str) -> Minter:
    return Minter(keys, f"{ehr_base}/jwks.json")


def service_url(service: str) -> str:
    return f"{BASE}/cds-services/{service}"


def bundle_resources(name: str) -> list[dict[str, Any]]:
    data = json.loads((DATA / name).read_text("utf-8"))
    return [e["resource"] for e in data["entry"]]


PREFETCH_KEYS = {
    "conditions": "Condition",
    "medicationStatements": "MedicationStatement",
    "medicationRequests": "MedicationRequest",
    "medicationAdministrations": "MedicationAdministration",
    "observations": "Observation",
    "procedures": "Procedure",
    "allergies": "AllergyIntolerance",
}


def prefetch_of(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The prefetch an EHR sends for mmpath's templates: the Patient and searchsets."""
    out: dict[str, Any] = {"patient": next(r for r in resources if r["resourceType"] == "Patient")}
    for key, kind in PREFETCH_KEYS.items():
        out[key] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in resources if r["resourceType"] == kind],
        }
    return out


def hook_request(hook: str, patient_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/dr-1",
            "patientId": patient_id,
            **fields.pop("context", {}),
        },
        **fields,
    }
