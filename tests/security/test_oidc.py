"""OpenID Connect sign-in against a real provider over HTTP (issue 11, item 1).

The provider is ``oidc-provider-mock`` (an OpenID provider built on Authlib) started on
127.0.0.1; mmpath runs under uvicorn on another port. The browser's part is played by an
HTTP client that follows the redirects and answers the provider's sign-in form.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mmpath.auth import accounts
from mmpath.store import Store

ROOT = Path(__file__).resolve().parents[2]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} did not start:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"{url} did not answer in 60 s:\n{log.read_text()[-2000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass(frozen=True)
class Servers:
    issuer: str
    mmpath: str
    database_url: str


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """oidc-provider-mock on 127.0.0.1: its issuer URL."""
    folder = tmp_path_factory.mktemp("provider")
    port = _port()
    issuer = f"http://127.0.0.1:{port}"
    log = folder / "provider.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oidc_provider_mock",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--require-nonce",
        ],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(issuer + "/.well-known/openid-configuration", process, log)
        yield issuer
    finally:
        _stop(process)


@contextmanager
def _mmpath(folder: Path, issuer: str, *, new_users: str | None = None) -> Iterator[Servers]:
    """mmpath under uvicorn, its own database, signing in through ``issuer``."""
    port = _port()
    database_url = f"sqlite:///{folder / 'mmpath.sqlite3'}"
    store = Store(database_url)
    accounts.add_user(store, "dr-oidc", "clinician", None, oidc_subject=f"{issuer} alice")
    accounts.add_user(store, "dr-gone", "clinician", None, oidc_subject=f"{issuer} gone")
    accounts.set_disabled(store, "dr-gone")
    accounts.add_user(store, "admin", "admin", "a local administrator's password")
    store.close()
    env = {
        **os.environ,
        "MMPATH_DATABASE_URL": database_url,
        "MMPATH_OIDC_ISSUER": issuer,
        "MMPATH_OIDC_CLIENT_ID": "mmpath-test",
        "MMPATH_OIDC_CLIENT_SECRET": "mmpath-test-secret",  # a confidential client
        "PYTHONPATH": str(ROOT / "src"),
    }
    env.pop("MMPATH_OIDC_NEW_USERS", None)
    if new_users:
        env["MMPATH_OIDC_NEW_USERS"] = new_users  # as `mmpath serve --oidc-new-users`
    log = folder / "mmpath.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "mmpath.api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/api/v1/health", process, log)
        yield Servers(issuer, f"http://127.0.0.1:{port}", database_url)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def servers(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """mmpath that lets in linked accounts only (no ``--oidc-new-users``)."""
    with _mmpath(tmp_path_factory.mktemp("oidc"), provider) as found:
        yield found


@pytest.fixture(scope="module")
def provisioning(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """mmpath started with ``--oidc-new-users viewer`` (its own database)."""
    with _mmpath(tmp_path_factory.mktemp("oidc-new"), provider, new_users="viewer") as found:
        yield found


def _sign_in(servers: Servers, subject: str) -> tuple[httpx.Client, httpx.Response, str]:
    """Start at mmpath, sign in at the provider as ``subject``; (client, mmpath's answer to
    the callback, the callback URL)."""
    client = httpx.Client(timeout=20)
    start = client.get(f"{servers.mmpath}/login/oidc", params={"next": "/patients"})
    assert start.status_code == 303
    authorize = start.headers["location"]
    assert authorize.startswith(servers.issuer)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["nonce"][0] and query["state"][0]
    assert query["redirect_uri"] == [f"{servers.mmpath}/oidc/callback"]
    form = client.get(authorize)
    assert form.status_code == 200  # the provider's sign-in page
    approved = client.post(authorize, data={"sub": subject, "action": "authorize"})
    assert approved.status_code in (302, 303), approved.text[:500]
    callback = approved.headers["location"]
    assert callback.startswith(f"{servers.mmpath}/oidc/callback?")
    return client, client.get(callback), callback


def test_sign_in_through_the_provider(servers: Servers) -> None:
    client, answer, _ = _sign_in(servers, "alice")
    assert answer.status_code == 303, answer.text[answer.text.find("<main") :][:800]
    assert answer.headers["location"] == "/patients"
    assert "mmpath_session" in client.cookies
    page = client.get(f"{servers.mmpath}/patients")
    assert page.status_code == 200
    assert "dr-oidc" in page.text
    store = Store(servers.database_url, migrate=False)
    try:
        events = [(e.action, e.actor, e.detail) for e in store.list_audit(payloads=False)]
    finally:
        store.close()
    assert ("sign-in", "dr-oidc", "oidc") in events


def test_a_subject_without_account_is_refused(servers: Servers) -> None:
    client, answer, _ = _sign_in(servers, "mallory")
    assert answer.status_code == 403
    assert "not linked" in answer.text
    assert "mmpath_session" not in client.cookies
    assert client.get(f"{servers.mmpath}/patients").status_code in (303, 200)
    assert "dr-oidc" not in client.get(f"{servers.mmpath}/patients").text


def test_a_callback_cannot_be_replayed(servers: Servers) -> None:
    _client, answer, callback = _sign_in(servers, "alice")
    assert answer.status_code == 303
    other = httpx.Client(timeout=20)
    again = other.get(callback)
    assert again.status_code == 400
    assert "mmpath_session" not in other.cookies


def test_a_forged_state_is_refused(servers: Servers) -> None:
    response = httpx.get(
        f"{servers.mmpath}/oidc/callback", params={"code": "x", "state": "forged"}, timeout=20
    )
    assert response.status_code == 400


def test_a_disabled_linked_account_is_refused(servers: Servers) -> None:
    client, answer, _ = _sign_in(servers, "gone")
    assert answer.status_code == 403
    assert "dr-gone is disabled" in answer.text
    assert "mmpath_session" not in client.cookies
    events = _events(servers)
    assert ("sign-in-failed", "dr-gone", "oidc: account disabled") in events
    assert not [e for e in events if e[0] == "sign-in" and e[1] == "dr-gone"]


# -- --oidc-new-users: accounts created at the first sign-in ---------------------------


def _events(servers: Servers) -> list[tuple[str, str | None, str | None]]:
    store = Store(servers.database_url, migrate=False)
    try:
        return [(e.action, e.actor, e.detail) for e in store.list_audit(payloads=False)]
    finally:
        store.close()


def _claims(servers: Servers, sub: str, **claims: str) -> None:
    """The provider's claims for ``sub`` (oidc-provider-mock: PUT /users/<sub>)."""
    answer = httpx.put(f"{servers.issuer}/users/{sub}", json=claims, timeout=20)
    assert answer.status_code == 204, answer.text


def _user(servers: Servers, name: str) -> accounts.User | None:
    store = Store(servers.database_url, migrate=False)
    try:
        return accounts.get_user(store, name)
    finally:
        store.close()


def test_first_sign_in_creates_the_user_with_the_configured_role(provisioning: Servers) -> None:
    _claims(provisioning, "bob-sub", preferred_username="bob", name="Bob B", email="b@x.example")
    assert _user(provisioning, "bob") is None
    client, answer, _ = _sign_in(provisioning, "bob-sub")
    assert answer.status_code == 303, answer.text[answer.text.find("<main") :][:800]
    bob = _user(provisioning, "bob")
    assert bob is not None and bob.role == "viewer" and not bob.disabled
    assert bob.display == "Bob B"
    store = Store(provisioning.database_url, migrate=False)
    try:
        linked = accounts.find_oidc_user(store, f"{provisioning.issuer} bob-sub")
        assert linked is not None and linked.name == "bob"
    finally:
        store.close()
    events = _events(provisioning)
    assert ("user", "bob", "user bob created at first OIDC sign-in (viewer)") in events
    assert ("sign-in", "bob", "oidc") in events
    # signed in with the viewer role: reads, may not evaluate
    assert client.get(f"{provisioning.mmpath}/patients").status_code == 200
    evaluate = client.post(
        f"{provisioning.mmpath}/api/v1/recommend",
        json={"schema_version": "1"},
        headers={"X-CSRF-Token": client.cookies.get("mmpath_csrf") or ""},
    )
    assert evaluate.status_code == 403 and "clinician" in evaluate.text
    # no password: the sign-in form does not let the created account in
    form = httpx.Client(timeout=20)
    form.get(f"{provisioning.mmpath}/login")
    refused = form.post(
        f"{provisioning.mmpath}/login",
        data={
            "name": "bob",
            "password": "a guessed password 123",
            "next": "/",
            "_csrf": form.cookies["mmpath_csrf"],
        },
    )
    assert refused.status_code != 303 and "mmpath_session" not in form.cookies
    # the second sign-in through the provider finds the same account
    _again, second, _ = _sign_in(provisioning, "bob-sub")
    assert second.status_code == 303
    created = [e for e in _events(provisioning) if e[0] == "user" and e[1] == "bob"]
    assert len(created) == 1


def test_a_created_name_never_takes_over_a_local_account(provisioning: Servers) -> None:
    _claims(provisioning, "eve-sub", preferred_username="admin")
    _client, answer, _ = _sign_in(provisioning, "eve-sub")
    assert answer.status_code == 303
    store = Store(provisioning.database_url, migrate=False)
    try:
        eve = accounts.find_oidc_user(store, f"{provisioning.issuer} eve-sub")
        admin = accounts.get_user(store, "admin")
    finally:
        store.close()
    assert eve is not None and eve.name.startswith("admin-") and eve.role == "viewer"
    assert admin is not None and admin.role == "admin" and admin.id != eve.id


def test_a_disabled_created_user_cannot_sign_in_again(provisioning: Servers) -> None:
    _claims(provisioning, "carol-sub", preferred_username="carol")
    client, answer, _ = _sign_in(provisioning, "carol-sub")
    assert answer.status_code == 303
    assert client.get(f"{provisioning.mmpath}/patients").status_code == 200
    store = Store(provisioning.database_url, migrate=False)
    try:
        accounts.set_disabled(store, "carol")
    finally:
        store.close()
    # the session ends at once
    after = client.get(f"{provisioning.mmpath}/patients", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"].startswith("/login")
    # and the provider's word is not enough to come back, nor to get a new account
    other, refused, _ = _sign_in(provisioning, "carol-sub")
    assert refused.status_code == 403 and "carol is disabled" in refused.text
    assert "mmpath_session" not in other.cookies
    events = _events(provisioning)
    assert ("sign-in-failed", "carol", "oidc: account disabled") in events
    assert len([e for e in events if e[0] == "user" and "carol" in (e[2] or "")]) == 1
    store = Store(provisioning.database_url, migrate=False)
    try:
        carol = accounts.find_oidc_user(store, f"{provisioning.issuer} carol-sub")
    finally:
        store.close()
    assert carol is not None and carol.name == "carol" and carol.disabled
