"""OpenID Connect sign-in (authorization code flow with PKCE) against a hospital's provider.

Configured by issuer URL and client id (``mmpath serve --oidc-issuer URL --oidc-client-id
ID``; a confidential client's secret from ``$MMPATH_OIDC_CLIENT_SECRET``). The flow
(OpenID Connect Core 1.0 §3.1; PKCE, RFC 7636, method S256):

1. ``GET /login/oidc``: a random ``state``, ``nonce`` and PKCE ``code_verifier`` are stored
   (table ``oidc_states``, single use, 10 minutes); the browser goes to the provider's
   authorization endpoint (from its discovery document, ``/.well-known/openid-configuration``).
2. ``GET /oidc/callback?code&state``: the state is taken (once), the code exchanged at the
   token endpoint with the verifier, and the ID token verified (``verify_id_token``,
   PyJWT): signature against the provider's JWKS, ``iss`` = the issuer, ``aud`` = the client
   id, ``exp``/``iat``, and ``nonce`` = the stored one.
3. The user is the account whose ``oidc_subject`` is ``"<issuer> <sub>"`` (``mmpath user
   add NAME --oidc-subject "<issuer> <sub>"``); an unknown subject is refused unless
   ``--oidc-new-users ROLE`` lets it in with that role (its name: the ``preferred_username``
   or ``email`` claim, else the ``sub``, made safe; a suffix when the name is taken, so a
   provider user never becomes an existing local account). The account is created at the
   first sign-in (audit action ``user``), without a password (it signs in through the
   provider only), and found by its subject afterwards. A disabled account is refused
   (403, ``sign-in-failed``) and never created again under another name.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import SQLAlchemyError

from mmpath.auth import accounts
from mmpath.cds.config import ALGORITHMS
from mmpath.store import Store, StoreError
from mmpath.store import tables as T

router = APIRouter(include_in_schema=False)
STATE_AGE = dt.timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str | None = None
    scopes: str = "openid profile email"
    #: role given to a subject no account names yet; None: refuse them
    new_users: str | None = None
    timeout: float = 10.0


_discovery: dict[str, tuple[float, dict[str, Any]]] = {}


def _discover(config: OidcConfig) -> dict[str, Any]:
    cached = _discovery.get(config.issuer)
    if cached and time.monotonic() - cached[0] < 3600:
        return cached[1]
    url = config.issuer.rstrip("/") + "/.well-known/openid-configuration"
    response = httpx.get(url, timeout=config.timeout)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    if document.get("issuer", "").rstrip("/") != config.issuer.rstrip("/"):
        raise ValueError("the discovery document names another issuer")
    document["_jwks"] = httpx.get(document["jwks_uri"], timeout=config.timeout).json()
    _discovery[config.issuer] = (time.monotonic(), document)
    return document


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _redirect_uri(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


def _config(request: Request) -> OidcConfig | None:
    config = getattr(request.app.state.settings, "oidc", None)
    return config if isinstance(config, OidcConfig) else None


def _error(request: Request, message: str, status: int) -> HTMLResponse:
    from mmpath.web.routes import templates

    return templates.TemplateResponse(
        request,
        "error.html",
        {"title": "Sign-in through the hospital account failed", "message": message},
        status_code=status,
    )


@router.get("/login/oidc")
def start(request: Request, next: str = "/") -> Response:
    from mmpath.auth.pages import _safe_next

    config = _config(request)
    if config is None:
        return _error(request, "No OpenID Connect provider is configured.", 404)
    try:
        document = _discover(config)
    except (httpx.HTTPError, ValueError, KeyError) as error:
        return _error(request, f"The identity provider cannot be reached ({error}).", 502)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    store: Store = request.app.state.store
    now = dt.datetime.now(dt.UTC)
    try:
        with store.engine.begin() as conn:
            conn.execute(delete(T.oidc_states).where(T.oidc_states.c.created_at < now - STATE_AGE))
            conn.execute(
                insert(T.oidc_states).values(
                    state=state,
                    nonce=nonce,
                    verifier=verifier,
                    next=_safe_next(next),
                    created_at=now,
                )
            )
    except SQLAlchemyError as error:
        return _error(request, f"The database could not be used ({type(error).__name__}).", 503)
    query = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": _redirect_uri(request),
        "scope": config.scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    return RedirectResponse(document["authorization_endpoint"] + "?" + urlencode(query), 303)


def _take_state(store: Store, state: str) -> dict[str, Any] | None:
    with store.engine.begin() as conn:
        row = conn.execute(select(T.oidc_states).where(T.oidc_states.c.state == state)).first()
        conn.execute(delete(T.oidc_states).where(T.oidc_states.c.state == state))
    if row is None:
        return None
    found = dict(row._mapping)
    created = found["created_at"]
    created = created if created.tzinfo else created.replace(tzinfo=dt.UTC)
    return found if dt.datetime.now(dt.UTC) - created <= STATE_AGE else None


ID_TOKEN_LEEWAY_S = 60
"""Clock skew allowed on ``exp``/``iat`` between mmpath and the identity provider."""


def verify_id_token(
    config: OidcConfig, document: dict[str, Any], id_token: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims, verified as OpenID Connect Core 1.0 §3.1.3.7 asks: signature
    by a key of the provider's JWK Set (asymmetric algorithms only), ``iss`` the discovered
    issuer, ``aud`` containing the client id (and ``azp`` the client id when there are
    several audiences), ``exp`` and ``iat`` present and current, ``sub`` present, ``nonce``
    the one sent. Raises ``jwt.PyJWTError`` otherwise."""
    header = jwt.get_unverified_header(id_token)
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise jwt.InvalidAlgorithmError(f"alg {str(alg)[:20]!r} is not allowed")
    keys = jwt.PyJWKSet.from_dict(document["_jwks"])
    kid = header.get("kid")
    candidates = [k for k in keys.keys if kid is None or k.key_id == kid]
    if not candidates:
        raise jwt.InvalidKeyError(f"no key with kid {str(kid)[:40]!r} in the provider's keys")
    claims: dict[str, Any] = jwt.decode(
        id_token,
        key=candidates[0],
        algorithms=[alg],
        audience=config.client_id,
        issuer=document["issuer"],
        leeway=ID_TOKEN_LEEWAY_S,
        options={"require": ["iss", "sub", "aud", "exp", "iat"]},
    )
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != config.client_id:
        raise jwt.InvalidAudienceError("several audiences and azp is not this client")
    if claims.get("nonce") != nonce:
        raise jwt.InvalidTokenError("nonce does not match the sign-in request")
    return claims


_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")


@router.get("/oidc/callback", name="oidc_callback")
def callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    from mmpath.auth.pages import begin_session

    config = _config(request)
    if config is None:
        return _error(request, "No OpenID Connect provider is configured.", 404)
    if error:
        return _error(request, f"The identity provider answered: {error[:100]}.", 401)
    store: Store = request.app.state.store
    found = _take_state(store, state[:100]) if state else None
    if found is None or not code:
        return _error(request, "This sign-in link is unknown or expired; start again.", 400)
    try:
        document = _discover(config)
        auth = (config.client_id, config.client_secret) if config.client_secret else None
        form = {
            "grant_type": "authorization_code",
            "code": code[:2000],
            "redirect_uri": _redirect_uri(request),
            "code_verifier": found["verifier"],
        }
        if auth is None:
            form["client_id"] = config.client_id
        response = httpx.post(
            document["token_endpoint"], data=form, auth=auth, timeout=config.timeout
        )
        response.raise_for_status()
        claims = verify_id_token(config, document, response.json()["id_token"], found["nonce"])
    except (httpx.HTTPError, KeyError, ValueError, jwt.PyJWTError) as problem:
        store.record_event(
            "sign-in-failed", source="web", detail=f"oidc: {type(problem).__name__}"[:200]
        )
        return _error(
            request, f"The sign-in could not be verified ({type(problem).__name__}).", 401
        )
    subject = f"{config.issuer} {claims['sub']}"[:400]
    try:
        user = accounts.find_oidc_user(store, subject)
        if user is None and config.new_users:
            wanted = str(claims.get("preferred_username") or claims.get("email") or claims["sub"])
            name = _NAME_UNSAFE.sub("-", wanted)[:100].lstrip(".-_@") or "oidc-user"
            if accounts.get_user(store, name) is not None:
                name = f"{name[:90]}-{secrets.token_hex(3)}"
            try:
                user = accounts.add_user(
                    store,
                    name,
                    config.new_users,
                    None,
                    oidc_subject=subject,
                    display=str(claims.get("name") or "")[:200] or None,
                )
            except accounts.AccountError:
                # the same subject's first sign-in in another request won the race
                user = accounts.find_oidc_user(store, subject)
                if user is None:
                    return _error(request, "The account could not be created; try again.", 409)
            else:
                store.record_event(
                    "user",
                    source="web",
                    actor=name,
                    detail=f"user {name} created at first OIDC sign-in ({config.new_users})",
                )
        if user is None:
            store.record_event(
                "sign-in-failed",
                source="web",
                detail=f"oidc subject without account: {subject[:150]}",
            )
            return _error(
                request,
                "Your hospital account is not linked to an mmpath user. Ask the administrator: "
                f'mmpath user add NAME --oidc-subject "{subject}"',
                403,
            )
        if user.disabled:
            # never re-created under another name: the subject stays linked to this account
            store.record_event(
                "sign-in-failed", source="web", actor=user.name, detail="oidc: account disabled"
            )
            return _error(
                request,
                f"The mmpath account {user.name} is disabled. Ask the administrator.",
                403,
            )
        store.record_event("sign-in", source="web", actor=user.name, detail="oidc")
        return begin_session(request, user, found["next"])
    except StoreError as problem:
        return _error(request, f"The database could not be used ({problem}).", 503)
