"""The security middleware: Host allow-list, sign-in and roles, CSRF, rate limits, headers,
and the access log in the audit chain. One ASGI layer in front of every route.

Per request, in order (docs/security.md):

1. **Host allow-list**: a ``Host`` not in ``Settings.allowed_hosts`` is a 400 (DNS
   rebinding: a page on ``evil.example`` resolving to 127.0.0.1 sends ``Host:
   evil.example``).
2. **Who**: ``Authorization: Bearer <API token>`` or the ``mmpath_session`` cookie
   (:mod:`mmpath.auth.accounts`). With ``Settings.auth`` off (``--no-auth``, loopback only)
   nobody is signed in and every route is open.
3. **Role** (:mod:`mmpath.auth.policy`): none -> 401 (API: JSON with ``WWW-Authenticate:
   Bearer``; a page: to the sign-in page), too low -> 403.
4. **Rate limit** per user (else per client address): 429 with ``Retry-After``.
5. **CSRF**: a POST that is not JSON and not bearer-authenticated must carry the CSRF token
   (form field ``_csrf`` or header ``X-CSRF-Token``): the session's, or before sign-in the
   ``mmpath_csrf`` cookie's (double submit). JSON bodies cannot be sent cross-site without a
   CORS preflight, which mmpath never grants; PUT/DELETE likewise. An ``Origin`` header
   naming another site refuses any unsafe request. The token is added to every
   ``<form method="post">`` of every page served (so no form can be forgotten).
6. **Headers** on every response: CSP without inline script (``frame-ancestors 'none'``),
   ``X-Content-Type-Options``, ``Referrer-Policy``, ``Cache-Control: no-store`` (except the
   static files), HSTS over TLS.
7. **Access log**: who viewed, listed, saved, deleted or exported which patient is written
   to the audit chain before the response leaves (a failed write is a 503); every
   recommendation row names its user through :data:`mmpath.store.store.current_actor`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any, Final
from urllib.parse import parse_qs, quote, urlsplit

from starlette.datastructures import Headers
from starlette.formparsers import MultiPartParser

from mmpath.auth import accounts, policy
from mmpath.auth.ratelimit import RateLimiter, retry_after
from mmpath.store import Store, StoreError
from mmpath.store.store import current_actor

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE: Final = "mmpath_session"
CSRF_COOKIE: Final = "mmpath_csrf"
CSRF_FIELD: Final = "_csrf"
CSRF_HEADER: Final = "x-csrf-token"
UNSAFE: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM = re.compile(rb"<form\b[^>]*\bmethod\s*=\s*[\"']?post\b[^>]*>", re.IGNORECASE)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
#: Pages whose own inline script is allowed by its hash (Swagger UI's start-up script).
_SCRIPT_HASH_PAGES: Final = frozenset({"/docs", "/api/docs"})
_STATIC = re.compile(r"^/(static/|api/docs/assets/)")


def _style_hashes() -> str:
    """CSP hashes of the inline ``<style>`` of the guideline pictures (pack_graph)."""
    try:
        from mmpath.engine.pack_graph import STYLE
    except ImportError:  # pragma: no cover - the picture module is part of mmpath
        return ""
    digest = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode()
    return f" 'sha256-{digest}'"


CSP: Final = (
    f"default-src 'self'; script-src 'self'; style-src 'self'{_style_hashes()}; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@dataclass(frozen=True, slots=True)
class Policy:
    """What the middleware enforces (from :class:`mmpath.api.settings.Settings`)."""

    auth: bool = True
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    secure_cookies: bool = False
    rate_per_minute: int = 1200
    rate_burst: int = 200
    signin_per_minute: int = 10
    max_body_bytes: int = 1_000_000


@dataclass
class Caller:
    user: accounts.User | None = None
    via: str | None = None  # token | session
    session: accounts.Session | None = None


def _host_name(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _cookies(headers: Headers) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for value in headers.getlist("cookie"):
        try:
            jar.load(value)
        except Exception:  # a malformed cookie header is ignored, not a 500
            continue
    return {k: m.value for k, m in jar.items()}


def cookie(name: str, value: str, *, secure: bool, http_only: bool, max_age: int | None) -> bytes:
    parts = [f"{name}={value}", "Path=/", "SameSite=" + ("Lax" if http_only else "Strict")]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts).encode("latin-1")


async def respond(
    send: Send,
    status: int,
    detail: str,
    *,
    json_body: bool = True,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    if json_body:
        body = json.dumps({"detail": detail}).encode()
        kind = b"application/json"
    else:
        from html import escape

        body = (
            "<!doctype html><html lang=en><meta charset=utf-8><title>mmpath</title>"
            f'<link rel="stylesheet" href="/static/app.css"><main><h1>{status}</h1>'
            f'<p>{escape(detail)}</p><p><a href="/">mmpath</a></p></main></html>'
        ).encode()
        kind = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", b"%d" % len(body)),
                *_security_headers(static=False, tls=False, csp=CSP),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _security_headers(*, static: bool, tls: bool, csp: str) -> list[tuple[bytes, bytes]]:
    out = [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),  # no-referrer would make Origin "null"
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]
    if not static:
        out.append((b"cache-control", b"no-store"))
    if tls:
        out.append((b"strict-transport-security", b"max-age=31536000"))
    return out


#: (method, path pattern, action); group 1 of the pattern is the saved patient's id.
_ACCESS: Final = [
    ("GET", re.compile(r"^/patients/([0-9a-f]{32})(?:/.*)?$"), "view"),
    ("GET", re.compile(r"^/api/v1/patients/([0-9a-f]{32})(?:/.*)?$"), "view"),
    ("GET", re.compile(r"^/(?:api/v1/)?patients()$"), "list"),
    ("POST", re.compile(r"^/patients/save()$"), "save"),
    ("POST", re.compile(r"^/api/v1/patients()$"), "save"),
    ("PUT", re.compile(r"^/api/v1/patients/([0-9a-f]{32})$"), "save"),
    ("POST", re.compile(r"^/patients/([0-9a-f]{32})/delete$"), "delete"),
    ("DELETE", re.compile(r"^/api/v1/patients/([0-9a-f]{32})$"), "delete"),
    ("POST", re.compile(r"^/(?:record\.json|summary\.pdf)()$"), "export"),
    ("GET", re.compile(r"^/api/v1/audit()$"), "export"),
    ("GET", re.compile(r"^/api/v1/audit/\d+()$"), "view"),
    # a stored answer (issue 10's result pages; detail: the path, which names the audit row)
    ("GET", re.compile(r"^/results/\d+/summary\.pdf()$"), "export"),
    ("GET", re.compile(r"^/results/\d+(?:/.*)?()$"), "view"),
    ("GET", re.compile(r"^/audit()$"), "list"),
]
_PATIENT_IN_LOCATION = re.compile(r"/patients/([0-9a-f]{32})")


def access_action(method: str, path: str) -> tuple[str, str | None] | None:
    for verb, pattern, action in _ACCESS:
        if method == verb:
            match = pattern.match(path)
            if match:
                return action, match.group(1) or None
    return None


class Security:
    """The ASGI middleware (see the module docstring)."""

    def __init__(self, app: ASGIApp, settings: Policy) -> None:
        self.app = app
        self.settings = settings
        self.hosts = {h.lower().strip("[]") for h in settings.allowed_hosts}
        self.limiter = RateLimiter(settings.rate_per_minute, settings.rate_burst)
        self.signins = RateLimiter(settings.signin_per_minute, settings.signin_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        headers = Headers(scope=scope)
        is_api = path.startswith("/api/") or path == "/openapi.json"
        tls = scope.get("scheme") == "https"
        secure = tls or self.settings.secure_cookies

        host = _host_name(headers.get("host", ""))
        if host not in self.hosts and "*" not in self.hosts:
            await respond(send, 400, "this Host is not served here (see --allowed-host)")
            return

        store: Store | None = getattr(scope["app"].state, "store", None)
        caller = Caller()
        cookies = _cookies(headers)
        try:
            # CDS Hooks carry the EHR's JWT as their bearer token, checked by that router
            if not policy.NO_CSRF.match(path):
                caller = self._identify(store, headers, cookies)
        except StoreError as error:
            await respond(send, 503, f"the database is not available: {error}", json_body=is_api)
            return
        if caller.via == "invalid-token":
            await respond(
                send,
                401,
                "the API token is not valid (unknown, revoked, or its user disabled)",
                headers=[(b"www-authenticate", b'Bearer error="invalid_token"')],
            )
            return

        need = policy.required(method, path)
        if self.settings.auth and need is not None:
            if caller.user is None:
                await self._unauthenticated(send, method, path, scope, is_api)
                return
            if need != "signed-in" and not caller.user.can(need):
                await respond(
                    send,
                    403,
                    f"this needs the {need} role; {caller.user.name} is {caller.user.role}",
                    json_body=is_api,
                )
                return

        client = scope.get("client") or ("-", 0)
        key = f"user:{caller.user.name}" if caller.user else f"ip:{client[0]}"
        wait = self.limiter.take(key)
        if not wait and method == "POST" and path == "/login":
            wait = self.signins.take(f"signin:{client[0]}")
        if wait:
            await respond(
                send,
                429,
                f"too many requests; try again in {retry_after(wait)} s",
                json_body=is_api,
                headers=[(b"retry-after", retry_after(wait).encode())],
            )
            return

        new_csrf: str | None = None
        csrf = caller.session.csrf if caller.session else cookies.get(CSRF_COOKIE, "")
        if not csrf or len(csrf) > 100:
            csrf = new_csrf = secrets.token_urlsafe(32)

        if method in UNSAFE and not policy.NO_CSRF.match(path):
            origin = headers.get("origin")
            if origin and origin != "null" and _host_name(urlsplit(origin).netloc) != host:
                await respond(send, 403, "cross-site request refused (Origin)", json_body=is_api)
                return
            if origin == "null":
                await respond(send, 403, "cross-site request refused (Origin)", json_body=is_api)
                return
            if method == "POST" and caller.via != "token" and not _is_json(headers):
                body = await _read_body(receive, self.settings.max_body_bytes)
                if body is None:
                    await respond(send, 413, "request body over the size limit", json_body=is_api)
                    return
                given = headers.get(CSRF_HEADER) or await _form_token(headers, body)
                if not given or new_csrf or not secrets.compare_digest(given, csrf):
                    await respond(
                        send,
                        403,
                        "the form's security token (CSRF) is missing or out of date: "
                        "reload the page and try again",
                        json_body=is_api,
                    )
                    return
                receive = _replay(body)

        scope.setdefault("state", {})
        scope["state"]["user"] = caller.user
        scope["state"]["csrf"] = csrf
        scope["state"]["session"] = caller.session
        access = access_action(method, path)
        actor = caller.user.name if caller.user else None
        wrapped = self._sender(send, scope, store, access, actor, csrf, new_csrf, tls, secure)
        token = current_actor.set(actor)
        try:
            await self.app(scope, receive, wrapped)
        finally:
            current_actor.reset(token)

    # -------------------------------------------------------------- helpers

    def _identify(self, store: Store | None, headers: Headers, cookies: dict[str, str]) -> Caller:
        if store is None or not self.settings.auth:
            return Caller()
        authorization = headers.get("authorization", "")
        if authorization[:7].lower() == "bearer ":
            user = accounts.token_user(store, authorization[7:].strip())
            return Caller(user, "token") if user else Caller(None, "invalid-token")
        secret = cookies.get(SESSION_COOKIE)
        if secret:
            session = accounts.session_of(store, secret)
            if session is not None:
                return Caller(session.user, "session", session)
        return Caller()

    async def _unauthenticated(
        self, send: Send, method: str, path: str, scope: Scope, is_api: bool
    ) -> None:
        if not is_api and method == "GET":
            query = scope.get("query_string", b"").decode("latin-1")
            target = path + (f"?{query}" if query else "")
            location = "/login?next=" + quote(target, safe="")
            await send(
                {
                    "type": "http.response.start",
                    "status": 303,
                    "headers": [
                        (b"location", location.encode("latin-1")),
                        (b"content-length", b"0"),
                        *_security_headers(static=False, tls=False, csp=CSP),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await respond(
            send,
            401,
            "sign in first (web: /login; API: Authorization: Bearer <token>, see docs/security.md)",
            json_body=is_api,
            headers=[(b"www-authenticate", b"Bearer")] if is_api else None,
        )

    def _sender(
        self,
        send: Send,
        scope: Scope,
        store: Store | None,
        access: tuple[str, str | None] | None,
        actor: str | None,
        csrf: str,
        new_csrf: str | None,
        tls: bool,
        secure: bool,
    ) -> Send:
        path: str = scope["path"]
        static = bool(_STATIC.match(path))
        state: dict[str, Any] = {"html": False, "chunks": [], "start": None, "dropped": False}
        source = "api" if path.startswith("/api/") else "web"

        async def log(status: int, headers: Headers) -> bool:
            """Write the access event; False (and a 503 sent) when the write failed."""
            if access is None or store is None or status >= 400:
                return True
            action, patient = access
            if patient is None:
                found = _PATIENT_IN_LOCATION.search(headers.get("location", ""))
                patient = found.group(1) if found else None
            detail = path if action in ("export", "view", "list") else None
            try:
                await store.record_event_async(
                    action, source=source, patient_id=patient, detail=detail, actor=actor
                )
            except StoreError as error:
                state["dropped"] = True
                await respond(
                    send,
                    503,
                    f"the audit trail could not be written ({error}); nothing was shown",
                    json_body=source == "api",
                )
                return False
            return True

        async def wrapped(message: Message) -> None:
            if state["dropped"]:
                return
            if message["type"] == "http.response.start":
                headers = Headers(raw=message.get("headers", []))
                if not await log(int(message["status"]), headers):
                    return
                raw = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if not (k.lower() == b"cache-control" and not static)
                ]
                csp = CSP
                raw += _security_headers(static=static, tls=tls, csp=csp)
                if new_csrf:
                    raw.append(
                        (
                            b"set-cookie",
                            cookie(
                                CSRF_COOKIE, new_csrf, secure=secure, http_only=False, max_age=None
                            ),
                        )
                    )
                message = {**message, "headers": raw}
                if headers.get("content-type", "").startswith("text/html"):
                    state["html"] = True
                    state["start"] = message
                    return
                await send(message)
                return
            if message["type"] == "http.response.body" and state["html"]:
                state["chunks"].append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = _with_csrf(b"".join(state["chunks"]), csrf)
                start = state["start"]
                headers_out = [
                    (k, v) for k, v in start["headers"] if k.lower() != b"content-length"
                ]
                headers_out.append((b"content-length", str(len(body)).encode()))
                if path in _SCRIPT_HASH_PAGES:
                    headers_out = [
                        (k, _with_script_hashes(v, body) if k == b"content-security-policy" else v)
                        for k, v in headers_out
                    ]
                await send({**start, "headers": headers_out})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        return wrapped


def _is_json(headers: Headers) -> bool:
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _form_token(headers: Headers, body: bytes) -> str | None:
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        try:
            values = parse_qs(body.decode("latin-1"), max_num_fields=10_000)
        except ValueError:
            return None
        found = values.get(CSRF_FIELD)
        return found[-1] if found else None
    if media == "multipart/form-data":

        async def stream() -> Any:
            yield body

        try:
            form = await MultiPartParser(headers, stream()).parse()
        except Exception:  # a malformed body has no token; the app reports the rest
            return None
        value = form.get(CSRF_FIELD)
        await form.close()
        return value if isinstance(value, str) else None
    return None


def _with_csrf(body: bytes, token: str) -> bytes:
    field = f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">'.encode()
    return _FORM.sub(lambda m: m.group(0) + field, body)


def _with_script_hashes(csp: bytes, body: bytes) -> bytes:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'"
        for m in _INLINE_SCRIPT.finditer(body)
    )
    return csp.replace(b"script-src 'self'", f"script-src 'self' {hashes}".encode())
