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
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    folder = tmp_path_factory.mktemp("oidc")
    provider_port, mmpath_port = _port(), _port()
    issuer = f"http://127.0.0.1:{provider_port}"
    provider_log = folder / "provider.log"
    provider = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oidc_provider_mock",
            "--host",
            "127.0.0.1",
            "--port",
            str(provider_port),
            "--require-nonce",
        ],
        stdout=provider_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    database_url = f"sqlite:///{folder / 'mmpath.sqlite3'}"
    store = Store(database_url)
    accounts.add_user(store, "dr-oidc", "clinician", None, oidc_subject=f"{issuer} alice")
    store.close()
    env = {
        **os.environ,
        "MMPATH_DATABASE_URL": database_url,
        "MMPATH_OIDC_ISSUER": issuer,
        "MMPATH_OIDC_CLIENT_ID": "mmpath-test",
        "MMPATH_OIDC_CLIENT_SECRET": "mmpath-test-secret",  # a confidential client
        "PYTHONPATH": str(ROOT / "src"),
    }
    mmpath_log = folder / "mmpath.log"
    mmpath = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "mmpath.api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(mmpath_port),
        ],
        env=env,
        stdout=mmpath_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(issuer + "/.well-known/openid-configuration", provider, provider_log)
        _wait(f"http://127.0.0.1:{mmpath_port}/api/v1/health", mmpath, mmpath_log)
        yield Servers(issuer, f"http://127.0.0.1:{mmpath_port}", database_url)
    finally:
        _stop(mmpath)
        _stop(provider)


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
