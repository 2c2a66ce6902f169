"""CDS Hooks patient-view under load (issue 13): p50 / p99 latency at 8 clients.

    python bench/fhir/bench_patient_view.py [--seconds 20] [--clients 8]

Starts ``mmpath serve`` in a subprocess (SQLite in a temporary directory, audit on:
every card answer is committed to the audit trail before it is returned) with a CDS
Hooks configuration whose EHR key is configured out of band, then sends ``patient-view``
calls with the full prefetch for a patient with 6 treatment courses and 50 observations
(all guideline packs evaluated) from ``--clients`` concurrent keep-alive connections in
a second process. Every request carries its own signed JWT (distinct ``jti``, minted
before the run). Prints requests/s, p50, p99 and the count of non-200 answers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import jwt
from _patients import ROOT, six_courses_fifty_observations
from cryptography.hazmat.primitives.asymmetric import ec

ISS = "https://ehr.bench"
SERVICE = "mmpath-patient-view"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prefetch(bundle: dict) -> dict:
    resources = [e["resource"] for e in bundle["entry"]]
    kinds = {
        "conditions": "Condition",
        "medicationStatements": "MedicationStatement",
        "medicationRequests": "MedicationRequest",
        "medicationAdministrations": "MedicationAdministration",
        "observations": "Observation",
        "procedures": "Procedure",
        "allergies": "AllergyIntolerance",
    }
    out: dict = {"patient": next(r for r in resources if r["resourceType"] == "Patient")}
    for key, kind in kinds.items():
        out[key] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in resources if r["resourceType"] == kind],
        }
    return out


async def load(
    url: str, body: bytes, tokens: list[str], clients: int, seconds: float
) -> tuple[list[float], int]:
    latencies: list[float] = []
    failures = 0
    stop = time.perf_counter() + seconds
    queue = iter(tokens)

    async def client() -> None:
        nonlocal failures
        async with httpx.AsyncClient(timeout=30) as http:
            while time.perf_counter() < stop:
                token = next(queue)
                started = time.perf_counter()
                response = await http.post(
                    url,
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        "Authorization": f"Bearer {token}",
                    },
                )
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    failures += 1

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, failures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="mmpath serve --workers")
    args = parser.parse_args()
    print(
        f"python {sys.version.split()[0]} on {platform.machine()} {platform.system()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    key = ec.generate_private_key(ec.SECP384R1())
    jwk = {
        **json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key())),
        "kid": "bench",
        "alg": "ES384",
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
        (Path(tmp) / "cds.toml").write_text(
            f'base_url = "{base}"\nregion = "NL"\n[issuers."{ISS}"]\njwks_file = "{tmp}/jwks.json"\n'
        )
        env = {**os.environ, "MMPATH_CDS_CONFIG": f"{tmp}/cds.toml"}
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mmpath",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--database-url",
                f"sqlite:///{tmp}/bench.sqlite3",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"{base}/api/v1/health", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("mmpath serve did not start") from None
                    time.sleep(0.2)
            bundle = six_courses_fifty_observations()
            observations = sum(
                e["resource"]["resourceType"] == "Observation" for e in bundle["entry"]
            )
            request = {
                "hook": "patient-view",
                "hookInstance": str(uuid.uuid4()),
                "context": {
                    "userId": "Practitioner/bench",
                    "patientId": bundle["entry"][0]["resource"]["id"],
                },
                "prefetch": prefetch(bundle),
            }
            body = json.dumps(request).encode()
            url = f"{base}/cds-services/{SERVICE}"
            now = int(time.time())
            budget = int((args.seconds + args.warmup) * 400) + 1000
            tokens = [
                jwt.encode(
                    {
                        "iss": ISS,
                        "aud": url,
                        "iat": now,
                        "exp": now + 1800,
                        "jti": str(uuid.uuid4()),
                    },
                    key,
                    algorithm="ES384",
                    headers={"kid": "bench", "typ": "JWT"},
                )
                for _ in range(budget)
            ]
            print(
                f"request: {len(body) / 1000:.0f} kB, {observations} observations, 6 courses; "
                f"{args.clients} clients, {args.workers} server process(es), "
                f"{args.seconds:.0f} s after {args.warmup:.0f} s warm-up"
            )
            asyncio.run(load(url, body, tokens[: budget // 4], args.clients, args.warmup))
            latencies, failures = asyncio.run(
                load(url, body, tokens[budget // 4 :], args.clients, args.seconds)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    print(
        f"{len(latencies)} requests, {len(latencies) / args.seconds:.0f} req/s, "
        f"p50 {pct(50):.1f} ms, p90 {pct(90):.1f} ms, p99 {pct(99):.1f} ms, non-200: {failures}"
    )


if __name__ == "__main__":
    main()
