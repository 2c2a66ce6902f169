"""ID token verification (OpenID Connect Core 1.0 §3.1.3.7) against a key made here: each
claim the sign-in relies on is checked, and a token failing any of them is refused."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from mmpath.auth.oidc import OidcConfig, verify_id_token

ISSUER = "https://idp.example"
CLIENT = "mmpath"
KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())


def _document() -> dict[str, Any]:
    public = jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
    return {"issuer": ISSUER, "_jwks": {"keys": [{**public, "kid": "k1", "alg": "ES256"}]}}


def _token(key: Any = KEY, alg: str = "ES256", kid: str = "k1", **changes: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "u-1", "aud": CLIENT, "iat": now, "exp": now + 300}
    claims["nonce"] = "n-1"
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def _verify(token: str) -> dict[str, Any]:
    return verify_id_token(OidcConfig(issuer=ISSUER, client_id=CLIENT), _document(), token, "n-1")


def test_a_valid_token_gives_its_claims() -> None:
    assert _verify(_token())["sub"] == "u-1"
    several = _token(aud=[CLIENT, "other"], azp=CLIENT)
    assert _verify(several)["azp"] == CLIENT


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: _token(nonce="n-2"), id="another nonce"),
        pytest.param(lambda: _token(nonce=None), id="no nonce"),
        pytest.param(lambda: _token(aud="someone-else"), id="another audience"),
        pytest.param(lambda: _token(aud=[CLIENT, "other"]), id="several audiences, no azp"),
        pytest.param(lambda: _token(iss="https://evil.example"), id="another issuer"),
        pytest.param(lambda: _token(exp=int(time.time()) - 600), id="expired"),
        pytest.param(lambda: _token(iat=int(time.time()) + 600), id="issued in the future"),
        pytest.param(lambda: _token(sub=None), id="no subject"),
        pytest.param(lambda: _token(key=OTHER_KEY), id="signed by another key"),
        pytest.param(lambda: _token(kid="k2"), id="unknown key id"),
        pytest.param(lambda: _token(key="s" * 32, alg="HS256"), id="HMAC"),
        pytest.param(
            lambda: jwt.encode({"iss": ISSUER, "sub": "u", "aud": CLIENT}, None, algorithm="none"),
            id="alg none",
        ),
    ],
)
def test_a_token_failing_a_check_is_refused(token: Any) -> None:
    with pytest.raises(jwt.PyJWTError):
        _verify(token())
