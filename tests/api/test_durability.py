"""An acknowledged write survives a killed server process (SIGKILL, no shutdown)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from mmpath.auth import accounts
from mmpath.store import Store

SRC = Path(__file__).resolve().parents[2] / "src"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    command = [sys.executable, "-m", "mmpath", "serve", "--port", str(port)]
    return subprocess.Popen(
        [*command, "--database-url", database_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_until_up(server: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 90  # a loaded CI machine
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(
                f"server exited: {server.stderr.read() if server.stderr else ''!r}"
            )
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not come up in 90 s")


def test_acknowledged_writes_survive_sigkill(database_url: str, example: dict[str, Any]) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    setup = Store(database_url)
    accounts.add_user(setup, "dr-api", "clinician", "correct horse battery staple")
    auth = {"Authorization": "Bearer " + accounts.create_token(setup, "dr-api", "durability")}
    setup.close()
    server = _start(database_url, port)
    try:
        _wait_until_up(server, base)
        response = httpx.post(f"{base}/api/v1/recommend", json=example, headers=auth, timeout=10)
        assert response.status_code == 200
        audit_id = int(response.headers["X-MMPath-Audit-Id"])
        saved = httpx.post(f"{base}/api/v1/patients", json=example, headers=auth, timeout=10)
        assert saved.status_code == 201
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        assert server.returncode == -signal.SIGKILL
        assert server.stdout is not None
        assert f"http://127.0.0.1:{port}/" in server.stdout.read().decode()  # the URL is printed
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    reopened = Store(database_url)
    try:
        entry = reopened.get_audit(audit_id)
        assert entry is not None
        assert entry.output_json == response.text
        patient = reopened.get_patient(saved.json()["id"])
        assert patient is not None and patient.record == json.loads(json.dumps(example))
        assert reopened.verify_audit().ok  # the chain survived the kill
        assert entry.actor == "dr-api"
    finally:
        reopened.close()
