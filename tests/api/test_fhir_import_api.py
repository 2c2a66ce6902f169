"""POST /api/v1/import/fhir (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

DATA = Path(__file__).resolve().parents[1] / "fhir_import" / "data"


def test_bundle_gives_record_and_report(client: TestClient) -> None:
    body = (DATA / "first-relapse-on-lenalidomide.bundle.json").read_bytes()
    response = client.post(
        "/api/v1/import/fhir?as_of=2026-11-01&region=NL",
        content=body,
        headers={"Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["record"]["as_of"] == "2026-11-01" and found["record"]["region"] == "NL"
    assert found["report"]["unused"] == []
    again = client.post("/api/v1/recommend?guideline=nl-rrmm", json=found["record"])
    assert again.status_code == 200
    assert "DVd" in {o["id"] for o in again.json()["results"][0]["options"]}


def test_ndjson_gives_one_entry_per_patient(client: TestClient) -> None:
    lines = "\n".join(json.dumps({"resourceType": "Patient", "id": f"p{i}"}) for i in range(2))
    response = client.post(
        "/api/v1/import/fhir", content=lines, headers={"Content-Type": "application/fhir+ndjson"}
    )
    assert response.status_code == 200
    assert [p["record"]["id"] for p in response.json()["patients"]] == ["p0", "p1"]


def test_errors(client: TestClient) -> None:
    response = client.post(
        "/api/v1/import/fhir", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    response = client.post(
        "/api/v1/import/fhir",
        content=b'{"resourceType": "Bundle", "type": "message"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "Bundle.type 'message'" in response.json()["problems"][0]["message"]
    response = client.post(
        "/api/v1/import/fhir?complete=labs",
        content=b"{}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
