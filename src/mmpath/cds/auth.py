"""Authenticating the EHR: the signed JWT of every CDS Hooks request (CDS Hooks 2.0,
"Trusting CDS Clients").

Checked, in order (each failure is a 401 naming the check):

1. ``Authorization: Bearer <JWT>`` is present and is a JWS;
2. header ``alg`` is an allowed asymmetric algorithm (never ``none`` or HMAC), ``typ``
   is ``JWT``, ``kid`` is present;
3. ``iss`` is on the admin's allow-list;
4. the key: the issuer's keys configured out of band when there are any (a ``jku`` in
   the header is then not fetched); else the JWK Set at the header's ``jku``, which must
   be one of that issuer's configured ``jku`` URLs (https); the key with the header's
   ``kid``;
5. the signature;
6. ``aud`` is this service's URL of the endpoint being called;
7. ``exp`` is in the future, ``iat`` not in the future, ``exp - iat`` at most
   :data:`~mmpath.cds.config.MAX_TOKEN_LIFETIME` (clock difference
   :data:`~mmpath.cds.config.LEEWAY`);
8. ``jti`` was not seen before from this issuer (replay), remembered until ``exp``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from mmpath.cds.config import LEEWAY, MAX_TOKEN_LIFETIME, CdsConfig
from mmpath.cds.errors import unauthorized

JWKS_TTL = 300  # seconds a fetched JWK Set is reused
JWKS_MAX_BYTES = 100_000
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")


@dataclass
class ReplayCache:
    """``(iss, jti)`` pairs seen, each until its token expires."""

    seen: dict[tuple[str, str], float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def first_use(self, iss: str, jti: str, expires: float, now: float) -> bool:
        with self.lock:
            if len(self.seen) > 10_000:
                self.seen = {k: v for k, v in self.seen.items() if v > now}
            key = (iss, jti)
            if key in self.seen and self.seen[key] > now - LEEWAY:
                return False
            self.seen[key] = expires + LEEWAY
            return True


@dataclass
class JwksCache:
    fetched: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)

    async def get(self, url: str, now: float) -> dict[str, Any]:
        cached = self.fetched.get(url)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            async with httpx.AsyncClient(timeout=5.0, follow_redirects=False) as client:
                response = await client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise unauthorized(
                f"cannot fetch the JWK Set at jku {url}: {type(error).__name__}"
            ) from None
        if response.status_code != 200 or len(response.content) > JWKS_MAX_BYTES:
            raise unauthorized(f"the JWK Set at jku {url} answered {response.status_code}")
        try:
            keys = response.json()
        except ValueError:
            raise unauthorized(f"the JWK Set at jku {url} is not JSON") from None
        if not isinstance(keys, dict) or not isinstance(keys.get("keys"), list):
            raise unauthorized(f"the document at jku {url} is not a JWK Set")
        self.fetched[url] = (now + JWKS_TTL, keys)
        return keys


@dataclass
class Verifier:
    config: CdsConfig
    replay: ReplayCache = field(default_factory=ReplayCache)
    jwks: JwksCache = field(default_factory=JwksCache)

    async def verify(self, authorization: str | None, audience: tuple[str, ...]) -> dict[str, Any]:
        """The verified claims of the request's JWT, or a 401 :class:`CdsError`."""
        if not authorization or not authorization.startswith("Bearer "):
            raise unauthorized("no 'Authorization: Bearer <JWT>' header")
        token = authorization.removeprefix("Bearer ").strip()
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise unauthorized("the bearer token is not a JWT") from None
        alg = header.get("alg")
        if alg not in self.config.algorithms:
            raise unauthorized(
                f"alg {str(alg)[:20]!r} is not allowed; expected one of "
                f"{', '.join(self.config.algorithms)} (no 'none', no HMAC)"
            )
        if header.get("typ") != "JWT":
            raise unauthorized("header typ must be 'JWT'")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise unauthorized("header kid is missing")
        iss = unverified.get("iss")
        issuer = self.config.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None or not isinstance(iss, str):
            raise unauthorized(f"issuer {str(iss)[:100]!r} is not on the allow-list")
        now = self.config.clock()
        jku = header.get("jku")
        if issuer.jwks is not None:
            keys = issuer.jwks  # keys configured out of band win; a jku is then not fetched
        elif jku is None:
            raise unauthorized(f"no jku in the header and no configured keys for issuer {iss}")
        elif jku not in issuer.jku:
            raise unauthorized(f"jku {str(jku)[:100]!r} is not allowed for issuer {iss}")
        elif not self.config.url_allowed(jku):
            raise unauthorized(f"jku {jku} must be an https URL")
        else:
            keys = await self.jwks.get(jku, now)
        key = self._key(keys, kid, alg)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=list(audience),
                issuer=iss,
                options={
                    "require": list(REQUIRED_CLAIMS),
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidAudienceError:
            raise unauthorized(f"aud must be this service's URL ({audience[0]})") from None
        except jwt.MissingRequiredClaimError as error:
            raise unauthorized(f"claim {error.claim} is missing") from None
        except jwt.InvalidSignatureError:
            raise unauthorized("the signature does not verify") from None
        except jwt.PyJWTError as error:
            raise unauthorized(f"the token is not valid ({type(error).__name__})") from None
        self._times(claims, now)
        if not isinstance(claims["jti"], str) or not claims["jti"]:
            raise unauthorized("jti must be a non-empty string")
        if not self.replay.first_use(iss, claims["jti"], float(claims["exp"]), now):
            raise unauthorized("jti was used before (replay)")
        return claims

    @staticmethod
    def _key(keys: dict[str, Any], kid: str, alg: str) -> Any:
        for jwk in keys.get("keys", []):
            if isinstance(jwk, dict) and jwk.get("kid") == kid:
                try:
                    found = jwt.PyJWK(jwk, algorithm=alg)
                except jwt.PyJWTError as error:
                    raise unauthorized(f"key {kid!r} cannot verify {alg}: {error}") from None
                return found.key
        raise unauthorized(f"no key with kid {kid!r} in the issuer's JWK Set")

    @staticmethod
    def _times(claims: dict[str, Any], now: float) -> None:
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int | float) or not isinstance(iat, int | float):
            raise unauthorized("exp and iat must be numbers")
        if exp <= now - LEEWAY:
            raise unauthorized("the token has expired (exp)")
        if iat > now + LEEWAY:
            raise unauthorized("the token was issued in the future (iat)")
        if exp - iat > MAX_TOKEN_LIFETIME:
            raise unauthorized(f"the token lives longer than {MAX_TOKEN_LIFETIME} s (exp - iat)")
