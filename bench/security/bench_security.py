"""Issue 11 measures: throughput and p99 with sign-in and the audit chain vs today's main,
in the same run; and kill -9 under load (acknowledged rows lost, audit verify after each
restart). Results go to bench/security/README.md by hand.

    .venv/bin/python bench/security/bench_security.py load --seconds 60 --clients 8
    .venv/bin/python bench/security/bench_security.py kill --rounds 20

``load`` starts, one after the other on the same machine: (1) the code of ``--main`` (a
checkout of main: no sign-in, no chain), (2) this branch with sign-in (each client signs
in through ``/login`` and posts with its session cookie) and the chain, (3) this branch
with ``--no-auth`` (chain, no sign-in). Each gets ``--clients`` client processes posting
``examples/first-relapse-on-lenalidomide.json`` to ``/api/v1/recommend`` for ``--seconds``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "examples" / "first-relapse-on-lenalidomide.json").read_text())
PASSWORD = "bench password, long enough"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(src: Path, url: str, port: int, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(src), "MMPATH_ADMIN_PASSWORD": PASSWORD}
    command = [sys.executable, "-m", "mmpath", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--database-url", url, *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not start")


def _client(base: str, seconds: float, sign_in: bool, out: Any) -> None:
    client = httpx.Client(base_url=base, timeout=30)
    if sign_in:
        client.get("/login")
        client.post(
            "/login",
            data={"name": "admin", "password": PASSWORD},
            headers={"X-CSRF-Token": client.cookies.get("mmpath_csrf", "")},
        )
    latencies: list[float] = []
    errors = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        response = client.post("/api/v1/recommend", json=EXAMPLE)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            errors += 1
    out.put((latencies, errors))


def _load(base: str, seconds: float, clients: int, sign_in: bool) -> dict[str, Any]:
    queue: Any = mp.Queue()
    workers = [
        mp.Process(target=_client, args=(base, seconds, sign_in, queue)) for _ in range(clients)
    ]
    for w in workers:
        w.start()
    results = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    latencies = sorted(x for r in results for x in r[0])
    count = len(latencies)
    return {
        "requests": count,
        "errors": sum(r[1] for r in results),
        "req_per_s": round(count / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(count * 0.99) - 1] * 1000, 1),
    }


def load(args: argparse.Namespace) -> None:
    rows = []
    modes = [
        ("main (no sign-in, no chain)", Path(args.main) / "src", [], False),
        ("this branch: sign-in + chain", ROOT / "src", ["--rate-limit", "0"], True),
        ("this branch: --no-auth + chain", ROOT / "src", ["--no-auth", "--rate-limit", "0"], False),
    ]
    for repeat in range(args.repeats):
        for name, src, extra, sign_in in modes:
            if "main" in name and not (src / "mmpath").is_dir():
                continue
            folder = tempfile.mkdtemp(prefix="mmpath-bench-")
            url = f"sqlite:///{folder}/bench.sqlite3"
            port = _port()
            server = _serve(src, url, port, *extra)
            try:
                result = _load(f"http://127.0.0.1:{port}", args.seconds, args.clients, sign_in)
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(30)
            result.update(mode=name, repeat=repeat, load=os.getloadavg()[0])
            rows.append(result)
            print(json.dumps(result), flush=True)


def kill(args: argparse.Namespace) -> None:
    folder = tempfile.mkdtemp(prefix="mmpath-kill-")
    url = f"sqlite:///{folder}/kill.sqlite3"
    from mmpath.auth import accounts
    from mmpath.store import Store

    setup = Store(url)
    accounts.add_user(setup, "bench", "clinician", PASSWORD)
    token = accounts.create_token(setup, "bench", "kill")
    setup.close()
    acknowledged: list[int] = []
    saved: list[str] = []
    for round_ in range(args.rounds):
        port = _port()
        server = _serve(ROOT / "src", url, port, "--rate-limit", "0")
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        deadline = time.monotonic() + random.uniform(1.0, 3.0)
        while time.monotonic() < deadline:
            try:
                response = client.post("/api/v1/recommend", json={**EXAMPLE, "id": f"r{round_}"})
                if response.status_code == 200:
                    acknowledged.append(int(response.headers["X-MMPath-Audit-Id"]))
                made = client.post("/api/v1/patients", json=EXAMPLE)
                if made.status_code == 201:
                    saved.append(made.json()["id"])
            except httpx.TransportError:
                break
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        check = Store(url)
        try:
            missing = [i for i in acknowledged if check.get_audit(i) is None]
            lost_patients = [p for p in saved if check.get_patient(p) is None]
            verified = check.verify_audit()
        finally:
            check.close()
        print(
            json.dumps(
                {
                    "round": round_ + 1,
                    "acknowledged_rows": len(acknowledged),
                    "saved_patients": len(saved),
                    "lost_rows": len(missing),
                    "lost_patients": len(lost_patients),
                    "audit_verify_ok": verified.ok,
                    "chain_rows": verified.rows,
                }
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(required=True)
    one = sub.add_parser("load")
    one.add_argument("--seconds", type=float, default=60)
    one.add_argument("--clients", type=int, default=8)
    one.add_argument("--repeats", type=int, default=1)
    one.add_argument("--main", default="/work/main")
    one.set_defaults(run=load)
    two = sub.add_parser("kill")
    two.add_argument("--rounds", type=int, default=20)
    two.set_defaults(run=kill)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
