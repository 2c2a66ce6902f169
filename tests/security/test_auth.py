"""Sign-in, roles, API tokens, CSRF, Host allow-list, headers, rate limits, access log
(issue 11, items 1, 2, 3 and 4), against the real app in process."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from mmpath.api.app import create_app
from mmpath.api.settings import Settings
from mmpath.auth import accounts
from mmpath.present.cli import app as cli
from mmpath.store import Store
from signin import BASE_URL, PASSWORD, bearer_client, ensure_user, sign_in, signed_in_client

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE: dict[str, Any] = json.loads(
    (ROOT / "examples" / "first-relapse-on-lenalidomide.json").read_text("utf-8")
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(f"sqlite:///{tmp_path / 'auth.sqlite3'}")
    yield opened
    opened.close()


def anonymous(store: Store, **settings: Any) -> TestClient:
    app = create_app(Settings(database_url=store.url, **settings), store=store)
    return TestClient(app, base_url=BASE_URL, raise_server_exceptions=False)


# ------------------------------------------------------------------ who may do what


def test_nothing_with_patient_data_without_sign_in(store: Store) -> None:
    client = anonymous(store)
    page = client.get("/patients", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fpatients"
    for method, path in [
        ("GET", "/api/v1/patients"),
        ("GET", "/api/v1/audit"),
        ("POST", "/api/v1/recommend"),
        ("DELETE", "/api/v1/patients/" + "0" * 32),
    ]:
        response = client.request(method, path, json=EXAMPLE)
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"
    assert client.post("/evaluate", data={"record": json.dumps(EXAMPLE)}).status_code in (401, 403)
    assert store.count_audit() == 0  # nothing evaluated
    for public in ("/login", "/static/app.css", "/api/v1/health", "/api/v1/version", "/docs"):
        assert client.get(public).status_code == 200, public


@pytest.mark.parametrize(
    ("role", "method", "path", "allowed"),
    [
        ("viewer", "GET", "/patients", True),
        ("viewer", "GET", "/api/v1/patients", True),
        ("viewer", "POST", "/api/v1/recommend", False),
        ("viewer", "POST", "/api/v1/patients", False),
        ("viewer", "GET", "/api/v1/audit", True),  # the recommendations
        ("viewer", "GET", "/api/v1/audit?action=all", False),  # the access log
        ("clinician", "POST", "/api/v1/recommend", True),
        ("clinician", "POST", "/api/v1/patients", True),
        ("clinician", "GET", "/api/v1/audit?action=view", False),
        ("admin", "GET", "/api/v1/audit?action=all", True),
        ("admin", "POST", "/api/v1/recommend", True),
    ],
)
def test_roles(store: Store, role: str, method: str, path: str, allowed: bool) -> None:
    client = bearer_client(store, role)
    response = client.request(method, path, json=EXAMPLE)
    if allowed:
        assert response.status_code < 400, response.text[:300]
    else:
        assert response.status_code == 403
        assert role in response.json()["detail"]


def test_viewer_cannot_evaluate_in_the_web(store: Store) -> None:
    client = signed_in_client(store, "viewer")
    response = client.post("/evaluate", data={"record": json.dumps(EXAMPLE)})
    assert response.status_code == 403
    assert "clinician" in response.text


# ------------------------------------------------------------------ accounts, tokens


def test_passwords_are_argon2id_and_tokens_are_stored_hashed(store: Store) -> None:
    accounts.add_user(store, "dr-a", "clinician", PASSWORD)
    token = accounts.create_token(store, "dr-a", "laptop")
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users")).scalar_one()
        dump = json.dumps(
            [list(r) for r in conn.execute(text("SELECT * FROM api_tokens"))], default=str
        )
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert token not in dump and token[4:] not in dump
    assert accounts.authenticate(store, "dr-a", PASSWORD) is not None
    assert accounts.authenticate(store, "dr-a", PASSWORD + "x") is None
    assert accounts.authenticate(store, "nobody", PASSWORD) is None
    with pytest.raises(accounts.AccountError, match="at least 12"):
        accounts.add_user(store, "dr-b", "clinician", "short")
    with pytest.raises(accounts.AccountError, match="exists"):
        accounts.add_user(store, "dr-a", "viewer", PASSWORD)
    with pytest.raises(accounts.AccountError, match="unknown role"):
        accounts.add_user(store, "dr-c", "superuser", PASSWORD)


def test_revoked_tokens_and_disabled_users_are_refused(store: Store) -> None:
    client = bearer_client(store, "clinician")
    assert client.get("/api/v1/patients").status_code == 200
    token_id = accounts.list_tokens(store, "api-clinician")[0]["id"]
    accounts.revoke_token(store, "api-clinician", int(str(token_id)))
    refused = client.get("/api/v1/patients")
    assert refused.status_code == 401
    assert "invalid_token" in refused.headers["www-authenticate"]
    other = bearer_client(store, "viewer")
    accounts.set_disabled(store, "api-viewer")
    assert other.get("/api/v1/patients").status_code == 401
    client.headers["Authorization"] = "Bearer mmp_" + "x" * 43
    assert client.get("/api/v1/patients").status_code == 401


def test_sessions_end_on_sign_out_password_change_and_disable(store: Store) -> None:
    client = signed_in_client(store, "clinician")
    assert client.get("/patients").status_code == 200
    client.post("/logout", follow_redirects=False)
    assert client.get("/patients", follow_redirects=False).status_code == 303
    sign_in(client, "test-clinician")
    assert client.get("/patients").status_code == 200
    accounts.set_password(store, "test-clinician", "a new password, long enough")
    assert client.get("/patients", follow_redirects=False).status_code == 303
    sign_in(client, "test-clinician", "a new password, long enough")
    accounts.set_disabled(store, "test-clinician")
    assert client.get("/patients", follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_and_logged(store: Store) -> None:
    ensure_user(store, "dr-a", "clinician")
    client = anonymous(store)
    client.get("/login")
    response = client.post(
        "/login",
        data={"name": "dr-a", "password": "wrong password!!", "next": "/"},
        headers={"X-CSRF-Token": client.cookies["mmpath_csrf"]},
    )
    assert response.status_code == 401
    assert "mmpath_session" not in response.headers.get("set-cookie", "")
    events = [(e.action, e.actor) for e in store.list_audit(payloads=False)]
    assert events == [("sign-in-failed", None)]


def test_sign_in_never_redirects_off_site(store: Store) -> None:
    ensure_user(store, "dr-a", "clinician")
    client = anonymous(store)
    client.get("/login")
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(
            "/login",
            data={"name": "dr-a", "password": PASSWORD, "next": target},
            headers={"X-CSRF-Token": client.cookies["mmpath_csrf"]},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/"


def test_session_cookie_attributes(store: Store) -> None:
    ensure_user(store, "dr-a", "clinician")
    for secure in (False, True):
        client = anonymous(store, secure_cookies=secure)
        client.base_url = client.base_url.copy_with(scheme="https" if secure else "http")
        client.get("/login")
        response = client.post(
            "/login",
            data={"name": "dr-a", "password": PASSWORD},
            headers={"X-CSRF-Token": client.cookies["mmpath_csrf"]},
            follow_redirects=False,
        )
        cookies = response.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("mmpath_session="))
        assert "HttpOnly" in session and "SameSite=Lax" in session
        assert ("Secure" in session) is secure


def test_account_page_creates_a_token_shown_once(store: Store) -> None:
    client = signed_in_client(store, "viewer")
    page = client.post("/account/tokens", data={"label": "script"})
    token = re.search(r'id="new-token">(mmp_[^<]+)<', page.text)
    assert token is not None
    api = anonymous(store)
    api.headers["Authorization"] = f"Bearer {token.group(1)}"
    assert api.get("/api/v1/patients").status_code == 200
    assert token.group(1) not in client.get("/account").text


# ------------------------------------------------------------------ CSRF, Host, headers


def test_forms_need_the_csrf_token(store: Store) -> None:
    client = signed_in_client(store, "clinician")
    token = client.headers.pop("X-CSRF-Token")
    posted = {"record": json.dumps(EXAMPLE)}
    assert client.post("/evaluate", data=posted).status_code == 403
    assert client.post("/evaluate", data={**posted, "_csrf": "forged"}).status_code == 403
    assert client.post("/evaluate", data={**posted, "_csrf": token}).status_code == 200
    upload = {"file": ("p.json", json.dumps(EXAMPLE).encode(), "application/json")}
    assert client.post("/import", files=upload).status_code == 403
    assert client.post("/import", files=upload, data={"_csrf": token}).status_code == 200


def test_cross_site_requests_are_refused(store: Store) -> None:
    client = signed_in_client(store, "clinician")
    pid = client.post("/api/v1/patients", json=EXAMPLE).json()["id"]
    evil = {"Origin": "https://evil.example"}
    assert client.post(f"/patients/{pid}/delete", headers=evil).status_code == 403
    assert client.delete(f"/api/v1/patients/{pid}", headers=evil).status_code == 403
    assert store.get_patient(pid) is not None


def test_every_post_form_carries_the_token(store: Store) -> None:
    client = signed_in_client(store, "clinician")
    pid = client.post("/api/v1/patients", json=EXAMPLE).json()["id"]
    pages = [
        client.get("/").text,
        client.get(f"/patients/{pid}").text,
        client.get("/patients").text,
        client.post("/evaluate", data={"record": json.dumps(EXAMPLE)}).text,
        client.get("/account").text,
    ]
    token = client.headers["X-CSRF-Token"]
    total = 0
    for page in pages:
        forms = re.findall(r"<form\b[^>]*method=\"post\"[^>]*>", page, re.IGNORECASE)
        total += len(forms)
        assert page.count(f'name="_csrf" value="{token}"') == len(forms)
    assert total >= 5


def test_unknown_hosts_are_refused(store: Store) -> None:
    client = signed_in_client(store, "clinician")
    for host in ("evil.example", "127.0.0.1.nip.io", "localhost.evil.example"):
        response = client.get("/patients", headers={"Host": host})
        assert response.status_code == 400, host
    assert client.get("/patients", headers={"Host": "localhost:8000"}).status_code == 200
    extra = signed_in_client(store, "viewer", allowed_hosts=("127.0.0.1", "mmpath.example"))
    assert extra.get("/patients", headers={"Host": "mmpath.example"}).status_code == 200


def test_security_headers(store: Store) -> None:
    client = signed_in_client(store, "clinician")
    pid = client.post("/api/v1/patients", json=EXAMPLE).json()["id"]
    for response in (
        client.get(f"/patients/{pid}"),
        client.get(f"/api/v1/patients/{pid}"),
        client.post("/evaluate", data={"record": json.dumps(EXAMPLE)}),
        anonymous(store).get("/login"),
    ):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["cache-control"] == "no-store"
    static = client.get("/static/app.css")
    assert static.headers["cache-control"] == "max-age=3600"
    assert static.headers["x-content-type-options"] == "nosniff"


def test_rate_limit_answers_429_with_retry_after(store: Store) -> None:
    client = bearer_client(store, "viewer", rate_per_minute=60, rate_burst=3)
    codes = [client.get("/api/v1/patients").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.get("/api/v1/patients")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 2
    other = bearer_client(store, "clinician", rate_per_minute=60, rate_burst=3)
    assert other.get("/api/v1/patients").status_code == 200  # per user


# ------------------------------------------------------------------ access log


def test_access_log_names_who_did_what_to_which_patient(store: Store) -> None:
    client = signed_in_client(store, "clinician")
    pid = client.post("/api/v1/patients", json=EXAMPLE).json()["id"]
    client.get(f"/patients/{pid}")
    client.get(f"/api/v1/patients/{pid}")
    client.post(f"/api/v1/patients/{pid}/recommend")
    client.post("/record.json", data={"record": json.dumps(EXAMPLE)})
    client.post(f"/patients/{pid}/delete", follow_redirects=False)
    log = [
        (e.action, e.actor, e.saved_patient_id) for e in reversed(store.list_audit(payloads=False))
    ]
    assert log == [
        ("sign-in", "test-clinician", None),
        ("save", "test-clinician", pid),
        ("view", "test-clinician", pid),
        ("view", "test-clinician", pid),
        ("evaluate", "test-clinician", pid),
        ("export", "test-clinician", None),
        ("delete", "test-clinician", pid),
    ]
    assert store.verify_audit().ok


def test_a_failed_access_log_write_shows_nothing(store: Store) -> None:
    client = signed_in_client(store, "clinician")
    pid = client.post("/api/v1/patients", json=EXAMPLE).json()["id"]
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE audit"))
    response = client.get(f"/api/v1/patients/{pid}")
    assert response.status_code == 503
    assert EXAMPLE["id"] not in response.text


# ------------------------------------------------------------------ command line


def test_user_commands(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    url = ["--database-url", store.url]
    monkeypatch.setenv("MMPATH_PASSWORD", PASSWORD)
    added = runner.invoke(cli, ["user", "add", "dr-x", "--role", "viewer", *url])
    assert added.exit_code == 0, added.output
    assert accounts.authenticate(store, "dr-x", PASSWORD) is not None
    monkeypatch.setenv("MMPATH_PASSWORD", "another long password")
    assert runner.invoke(cli, ["user", "passwd", "dr-x", *url]).exit_code == 0
    assert accounts.authenticate(store, "dr-x", "another long password") is not None
    assert runner.invoke(cli, ["user", "disable", "dr-x", *url]).exit_code == 0
    assert accounts.authenticate(store, "dr-x", "another long password") is None
    bad = runner.invoke(cli, ["user", "add", "dr-y", "--role", "god", *url])
    assert bad.exit_code == 2 and "unknown role" in bad.output
    listed = runner.invoke(cli, ["user", "list", *url])
    assert "dr-x" in listed.output and "(disabled)" in listed.output
    details = [e.detail for e in store.list_audit(payloads=False) if e.action == "user"]
    assert "user dr-x created (viewer)" in details


def test_no_auth_is_refused_off_loopback() -> None:
    result = CliRunner().invoke(cli, ["serve", "--no-auth", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "--no-auth is refused on 0.0.0.0" in result.output


def test_no_auth_mode_still_needs_the_csrf_token(store: Store) -> None:
    client = anonymous(store, auth=False)
    assert client.get("/patients").status_code == 200
    posted = {"record": json.dumps(EXAMPLE)}
    assert client.post("/evaluate", data=posted).status_code == 403
    page = client.get("/")  # sets the double-submit cookie and puts it in the forms
    token = client.cookies["mmpath_csrf"]
    assert f'name="_csrf" value="{token}"' in page.text
    assert client.post("/evaluate", data={**posted, "_csrf": token}).status_code == 200
    log = [(e.action, e.actor) for e in reversed(store.list_audit(payloads=False))]
    # the form answers with the stored result (issue 10), whose viewing is logged too
    assert log == [("list", None), ("evaluate", None), ("view", None)]


def test_first_serve_creates_the_administrator(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mmpath.present.cli import _first_admin

    monkeypatch.setenv("MMPATH_ADMIN_PASSWORD", "first admin password")
    _first_admin(store)
    admin = accounts.authenticate(store, "admin", "first admin password")
    assert admin is not None and admin.role == "admin"
    _first_admin(store)  # only once
    assert accounts.count_users(store) == 1
