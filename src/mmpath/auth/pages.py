"""Sign-in and account pages: ``/login``, ``/logout``, ``/account`` (API tokens)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mmpath.auth import accounts
from mmpath.auth.middleware import SESSION_COOKIE, cookie
from mmpath.store import Store, StoreError
from mmpath.web.routes import templates

router = APIRouter(include_in_schema=False)


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _safe_next(target: str) -> str:
    """Only a path on this site (no scheme, no host, no ``//``): no open redirect."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target[:2000]


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/") -> HTMLResponse:
    settings = request.app.state.settings
    return _page(
        request,
        "login.html",
        {"next": _safe_next(next), "error": None, "oidc": bool(getattr(settings, "oidc", None))},
    )


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    name = str(form.get("name") or "")[:100]
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or "/"))
    store = _store(request)
    settings = request.app.state.settings
    try:
        user = accounts.authenticate(store, name, password)
        if user is None:
            await store.record_event_async(
                "sign-in-failed", source="web", detail=f"name {name[:60]}", actor=None
            )
            return _page(
                request,
                "login.html",
                {
                    "next": target,
                    "error": "Unknown user name or wrong password.",
                    "oidc": bool(getattr(settings, "oidc", None)),
                },
                401,
            )
        secret, session = accounts.start_session(store, user)
        await store.record_event_async("sign-in", source="web", actor=user.name)
    except StoreError as error:
        return _page(
            request,
            "error.html",
            {"title": "The database could not be used", "message": str(error)},
            503,
        )
    return _session_redirect(request, target, secret, session.csrf)


def begin_session(request: Request, user: accounts.User, target: str) -> Response:
    """Start a session for ``user`` (local or OpenID Connect) and go to ``target``."""
    secret, session = accounts.start_session(_store(request), user)
    return _session_redirect(request, _safe_next(target), secret, session.csrf)


def _session_redirect(request: Request, target: str, secret: str, csrf: str) -> Response:
    """Go to ``target`` with the session cookie (HttpOnly) and the CSRF cookie (read by the
    pages' forms); ``Secure`` over TLS or when the settings say so."""
    settings = request.app.state.settings
    response = RedirectResponse(target, status_code=303)
    secure = request.url.scheme == "https" or getattr(settings, "secure_cookies", False)
    max_age = int(accounts.MAX_AGE.total_seconds())
    response.raw_headers.append(
        (
            b"set-cookie",
            cookie(SESSION_COOKIE, secret, secure=secure, http_only=True, max_age=max_age),
        )
    )
    response.raw_headers.append(
        (
            b"set-cookie",
            cookie("mmpath_csrf", csrf, secure=secure, http_only=False, max_age=max_age),
        )
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    store = _store(request)
    if secret:
        accounts.end_session(store, secret)
        await store.record_event_async("sign-out", source="web")
    response = RedirectResponse("/login", status_code=303)
    response.raw_headers.append(
        (b"set-cookie", cookie(SESSION_COOKIE, "", secure=False, http_only=True, max_age=0))
    )
    return response


def _user(request: Request) -> accounts.User | None:
    user: accounts.User | None = request.state.user if hasattr(request.state, "user") else None
    return user


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request) -> HTMLResponse:
    user = _user(request)
    if user is None:
        return _page(
            request,
            "error.html",
            {
                "title": "Not signed in",
                "message": "This server runs without sign-in (--no-auth): there are no accounts.",
            },
            404,
        )
    tokens = accounts.list_tokens(_store(request), user.name)
    return _page(request, "account.html", {"user": user, "tokens": tokens, "new_token": None})


@router.post("/account/tokens", response_class=HTMLResponse)
async def new_token(request: Request) -> HTMLResponse:
    user = _user(request)
    if user is None:
        return _page(
            request,
            "error.html",
            {"title": "Not signed in", "message": "No accounts without sign-in."},
            404,
        )
    form = await request.form()
    label = str(form.get("label") or "API token")[:100]
    store = _store(request)
    token = accounts.create_token(store, user.name, label)
    await store.record_event_async("user", source="web", detail=f"API token created: {label[:60]}")
    tokens = accounts.list_tokens(store, user.name)
    return _page(request, "account.html", {"user": user, "tokens": tokens, "new_token": token})


@router.post("/account/tokens/{token_id}/revoke")
async def revoke(request: Request, token_id: int) -> Response:
    user = _user(request)
    if user is None:
        return _page(
            request,
            "error.html",
            {"title": "Not signed in", "message": "No accounts without sign-in."},
            404,
        )
    store = _store(request)
    try:
        accounts.revoke_token(store, user.name, token_id)
    except accounts.AccountError as error:
        return _page(request, "error.html", {"title": "No such token", "message": str(error)}, 404)
    await store.record_event_async("user", source="web", detail=f"API token {token_id} revoked")
    return RedirectResponse("/account", status_code=303)
