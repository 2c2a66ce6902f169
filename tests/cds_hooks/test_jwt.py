"""JWT authentication of the EHR: every failure is refused with 401 (CDS Hooks 2.0,
"Trusting CDS Clients"), and the spec's own example token verifies."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from cds_hooks.conftest import BASE, ISS, NOW, STATIC_ISS, Keys, Minter
from mmpath.cds.auth import Verifier
from mmpath.cds.config import CdsConfig, Issuer
from mmpath.cds.errors import CdsError

DISCOVERY = f"{BASE}/cds-services"
SPEC = json.loads((Path(__file__).parent / "spec_examples" / "jwt-example.json").read_text("utf-8"))


def refused(client: TestClient, headers: dict[str, str]) -> str:
    response = client.get("/cds-services", headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    outcome = response.json()
    assert (
        outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["code"] == "security"
    )
    diagnostics: str = outcome["issue"][0]["diagnostics"]
    return diagnostics


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_a_good_token_passes(client: TestClient, mint: Minter) -> None:
    assert client.get("/cds-services", headers=mint.bearer(DISCOVERY)).status_code == 200


def test_keys_configured_out_of_band(client: TestClient, mint: Minter) -> None:
    token = mint(DISCOVERY, iss=STATIC_ISS, header={"jku": None})
    assert (
        client.get("/cds-services", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "no 'Authorization: Bearer <JWT>' header"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "no 'Authorization: Bearer <JWT>' header"),
        ({"Authorization": "Bearer not-a-jwt"}, "not a JWT"),
    ],
)
def test_missing_or_malformed(client: TestClient, headers: dict[str, str], reason: str) -> None:
    assert reason in refused(client, headers)


def test_alg_none_is_refused(client: TestClient) -> None:
    token = (
        f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k'})}.{_b64({'iss': ISS, 'aud': DISCOVERY})}."
    )
    assert "alg 'none' is not allowed" in refused(client, {"Authorization": f"Bearer {token}"})


def test_symmetric_hmac_is_refused(client: TestClient) -> None:
    token = jwt.encode(
        {"iss": ISS, "aud": DISCOVERY, "exp": int(NOW) + 60, "iat": int(NOW), "jti": "x"},
        "shared-secret-of-thirty-two-bytes!",
        algorithm="HS256",
        headers={"kid": "k"},
    )
    assert "alg 'HS256' is not allowed" in refused(client, {"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"header": {"typ": None}}, "typ must be 'JWT'"),
        ({"header": {"kid": None}}, "kid is missing"),
        ({"iss": "https://evil.test"}, "not on the allow-list"),
        ({"header": {"jku": "https://evil.test/jwks.json"}}, "is not allowed for issuer"),
        ({"header": {"kid": "unknown-kid"}}, "no key with kid 'unknown-kid'"),
        ({"drop": ("jti",)}, "claim jti is missing"),
        ({"drop": ("exp",)}, "claim exp is missing"),
        ({"drop": ("iat",)}, "claim iat is missing"),
        ({"exp": int(NOW) - 3600, "iat": int(NOW) - 3700}, "expired"),
        ({"iat": int(NOW) + 3600, "exp": int(NOW) + 3700}, "issued in the future"),
        ({"iat": int(NOW) - 10, "exp": int(NOW) + 86_400}, "lives longer than 3600 s"),
        ({"jti": ""}, "jti must be a non-empty string"),
    ],
)
def test_each_claim_and_header_failure(
    client: TestClient, mint: Minter, options: dict[str, Any], reason: str
) -> None:
    assert reason in refused(client, mint.bearer(DISCOVERY, **options))


def test_aud_must_be_the_endpoint_called(client: TestClient, mint: Minter) -> None:
    assert "aud must be this service's URL" in refused(
        client, mint.bearer("https://other.test/cds-services")
    )
    # a token for one service does not open another endpoint
    token = mint.bearer(f"{BASE}/cds-services/mmpath-patient-view")
    assert "aud must be" in refused(client, token)


def test_forged_signature(client: TestClient, mint: Minter, other_keys: Keys) -> None:
    assert "signature does not verify" in refused(client, mint.bearer(DISCOVERY, key=other_keys))


def test_replayed_jti_is_refused(client: TestClient, mint: Minter) -> None:
    headers = mint.bearer(DISCOVERY, jti="once-only")
    assert client.get("/cds-services", headers=headers).status_code == 200
    assert "replay" in refused(client, headers)


def test_unreachable_jku(client: TestClient, config: CdsConfig, mint: Minter, keys: Keys) -> None:
    dead = "http://127.0.0.1:9/jwks.json"
    client.app.state.cds.config.issuers[ISS] = Issuer(jku=(dead,))  # type: ignore[attr-defined]
    assert "cannot fetch the JWK Set" in refused(
        client, mint.bearer(DISCOVERY, header={"jku": dead})
    )


def test_http_jku_outside_loopback_tests_is_refused(config: CdsConfig, keys: Keys) -> None:
    strict = CdsConfig(
        base_url=BASE,
        issuers={ISS: Issuer(jku=("http://127.0.0.1:1/jwks.json",))},
        clock=lambda: NOW,
    )
    token = Minter(keys, "http://127.0.0.1:1/jwks.json")(DISCOVERY)
    with pytest.raises(CdsError, match="must be an https URL"):
        asyncio.run(Verifier(strict).verify(f"Bearer {token}", (DISCOVERY,)))


def test_the_spec_example_token_verifies_with_the_spec_key() -> None:
    """The spec's ES384 token, checked with its JWK Set at a time inside its validity:
    signature, issuer, audience and key id pass; mmpath refuses it only for its lifetime
    (the spec example lives 3.5 years; mmpath accepts at most an hour)."""
    payload = SPEC["payload"]
    config = CdsConfig(
        base_url="https://cds.example.org",
        issuers={payload["iss"]: Issuer(jwks=SPEC["jwks"])},
        clock=lambda: payload["iat"] + 10,
    )
    verifier = Verifier(config)
    with pytest.raises(CdsError) as error:
        asyncio.run(verifier.verify(f"Bearer {SPEC['token']}", (payload["aud"],)))
    assert "lives longer than 3600 s" in error.value.text
    # the signature really is checked: a changed payload fails before the lifetime check
    head, body, signature = SPEC["token"].split(".")
    changed = _b64({**payload, "tenant": "another"})
    with pytest.raises(CdsError, match="signature does not verify"):
        asyncio.run(verifier.verify(f"Bearer {head}.{changed}.{signature}", (payload["aud"],)))
    assert json.loads(base64.urlsafe_b64decode(body + "==")) == payload
