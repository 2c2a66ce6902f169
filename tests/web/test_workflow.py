"""Results with stable URLs, decisions, saved patients with history, the audit browser
(issue 10), through the web pages and the API."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mmpath.store import Store
from signin import signed_in_client

ROOT = Path(__file__).resolve().parents[2]
RELAPSE = ROOT / "src" / "mmpath" / "examples" / "first-relapse-on-lenalidomide.json"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'workflow.sqlite3'}")
    yield store
    store.close()


@pytest.fixture
def client(store: Store) -> TestClient:
    return signed_in_client(store, "clinician", raise_server_exceptions=True)


@pytest.fixture
def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RELAPSE.read_text("utf-8"))
    return data


def _evaluate(client: TestClient, record: dict[str, Any], **extra: str) -> tuple[int, str]:
    response = client.post(
        "/evaluate", data={"record": json.dumps(record), **extra}, follow_redirects=False
    )
    assert response.status_code == 303, response.text[:500]
    location = response.headers["location"]
    assert location.startswith("/results/")
    return int(location.split("/")[2].split("?")[0]), location


def test_a_result_has_a_stable_url_that_writes_no_audit_row(
    client: TestClient, store: Store, example: dict[str, Any]
) -> None:
    audit_id, location = _evaluate(client, example)
    assert store.count_audit("evaluate") == 1
    first = client.get(location)
    again = client.get(f"/results/{audit_id}")
    compare = client.get(f"/results/{audit_id}/compare")
    summary = client.get(f"/results/{audit_id}/summary")
    pdf = client.get(f"/results/{audit_id}/summary.pdf")
    assert [r.status_code for r in (first, again, compare, summary, pdf)] == [200] * 5
    assert pdf.headers["content-type"] == "application/pdf"
    assert store.count_audit("evaluate") == 1  # re-displayed, not re-evaluated
    entry = store.get_audit(audit_id)
    assert entry is not None
    output = json.loads(entry.output_json)
    for result in output["results"]:
        assert f'data-guideline="{result["guideline"]["id"]}"' in first.text
    assert client.get("/results/999999").status_code == 404
    assert client.get("/results/abc").status_code == 404


def _option_of(store: Store, audit_id: int, guideline: str) -> str:
    entry = store.get_audit(audit_id)
    assert entry is not None
    for result in json.loads(entry.output_json)["results"]:
        if result["guideline"]["id"] == guideline and result["options"]:
            return str(result["options"][0]["id"])
    raise AssertionError(f"{guideline} has no option")


def test_off_pathway_decision_needs_a_reason_and_then_shows_everywhere(
    client: TestClient, store: Store, example: dict[str, Any]
) -> None:
    saved = client.post("/patients/save", data={"record": json.dumps(example)})
    patient_id = str(saved.url).rstrip("/").split("/")[-1].split("?")[0]
    audit_id, _ = _evaluate(client, example, _patient_id=patient_id)
    option = _option_of(store, audit_id, "nl-rrmm")
    missing = client.post(
        f"/results/{audit_id}/decision", data={"option_id": option, "pathway": "off"}
    )
    assert missing.status_code == 422
    assert "an off-pathway decision needs a reason" in missing.text
    assert 'href="#d-reason"' in missing.text
    done = client.post(
        f"/results/{audit_id}/decision",
        data={
            "option_id": option,
            "pathway": "off",
            "reason": "patient_preference",
            "reason_text": "prefers oral treatment",
            "by": "Dr Test",
            "at": "2026-11-05",
            "guideline": "nl-rrmm",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert "Decision recorded." in page and "patient preference: prefers oral treatment" in page
    assert "off pathway" in page and "2026-11-05 by Dr Test" in page
    patient_page = client.get(f"/patients/{patient_id}").text
    assert "off pathway" in patient_page and f"/results/{audit_id}" in patient_page
    assert "patient preference" in client.get(f"/results/{audit_id}/summary").text
    listed = client.get("/patients").text
    assert "2026-11-05" in listed and "off pathway" in listed
    api = client.get(f"/api/v1/audit/{audit_id}").json()
    assert api["decision"]["pathway"] == "off"
    assert api["decision"]["reason"] == "patient_preference"
    assert api["decision"]["option_id"] == option and api["decision"]["by"] == "Dr Test"
    if shutil.which("pdftotext"):
        pdf = client.get(f"/results/{audit_id}/summary.pdf?guideline=nl-rrmm").content
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode("utf-8")
        assert "off pathway" in text and "patient preference" in text
        assert "Question for the board" in text


def test_decision_api_checks_every_field(
    client: TestClient, store: Store, example: dict[str, Any]
) -> None:
    response = client.post("/api/v1/recommend", json=example)
    audit_id = int(response.headers["X-MMPath-Audit-Id"])
    assert client.get(f"/api/v1/audit/{audit_id}").json()["decision"] is None
    bad = client.post(
        f"/api/v1/audit/{audit_id}/decision",
        json={"option_id": "NOPE", "pathway": "sideways", "reason": "whim", "x": 1},
    )
    assert bad.status_code == 422
    paths = {p["path"] for p in bad.json()["problems"]}
    assert paths == {"option_id", "pathway", "reason", "x"}
    other = client.post(
        f"/api/v1/audit/{audit_id}/decision",
        json={"regimen": "KPd", "pathway": "off", "reason": "other"},
    )
    assert other.status_code == 422
    assert [p["path"] for p in other.json()["problems"]] == ["reason_text"]
    ok = client.post(
        f"/api/v1/audit/{audit_id}/decision",
        json={"regimen": "KPd", "pathway": "off", "reason": "clinical_trial", "by": "board"},
    )
    assert ok.status_code == 201
    assert ok.json()["regimen"] == "KPd" and ok.json()["source"] == "api"
    option = _option_of(store, audit_id, "nl-rrmm")
    on = client.post(
        f"/api/v1/audit/{audit_id}/decision", json={"option_id": option, "pathway": "on"}
    )
    assert on.status_code == 201
    shown = client.get(f"/api/v1/audit/{audit_id}").json()
    assert shown["decision"]["option_id"] == option and len(shown["decisions"]) == 2
    assert client.post("/api/v1/audit/999999/decision", json={}).status_code == 404


def test_saving_again_updates_with_history_and_the_list_searches(
    client: TestClient, store: Store, example: dict[str, Any]
) -> None:
    first = client.post("/patients/save", data={"record": json.dumps(example)})
    patient_id = str(first.url).split("/patients/")[1].split("?")[0]
    changed = {**example, "ecog": 2}
    client.post("/patients/save", data={"record": json.dumps(changed), "_patient_id": patient_id})
    assert len(store.list_patients()) == 1
    history = client.get(f"/api/v1/patients/{patient_id}/history").json()
    assert [v["version"] for v in history] == [1, 2]
    assert history[0]["record"]["ecog"] == example["ecog"] and history[1]["record"]["ecog"] == 2
    client.post("/patients/save", data={"record": json.dumps({**example, "id": "someone-else"})})
    label = example["id"]
    found = client.get("/patients", params={"q": label[3:12].upper()}).text
    assert f"/patients/{patient_id}" in found and "someone-else" not in found
    assert [p["id"] for p in client.get("/api/v1/patients", params={"q": label}).json()] == [
        patient_id
    ]
    assert "Version 2" in client.get(f"/patients/{patient_id}").text
    form = client.get(f"/patients/{patient_id}/edit").text
    assert f'name="_patient_id" value="{patient_id}"' in form


def test_audit_browser_filters(client: TestClient, store: Store, example: dict[str, Any]) -> None:
    a, _ = _evaluate(client, example)
    b, _ = _evaluate(client, {**example, "id": "other"})
    client.post(
        f"/api/v1/audit/{a}/decision",
        json={"option_id": _option_of(store, a, "nl-rrmm"), "pathway": "on"},
    )

    def ids(**params: str) -> list[int]:
        body = client.get("/api/v1/audit", params=params).json()
        return [e["id"] for e in body["entries"]]

    assert ids() == [b, a]
    assert ids(pathway="on") == [a] and ids(pathway="off") == []
    assert ids(pathway="undecided") == [b]
    assert ids(guideline="nl-rrmm") == [b, a] and ids(guideline="zz-none") == []
    assert ids(since="2000-01-01", until="2000-01-02") == []
    page = client.get("/audit", params={"pathway": "on"}).text
    assert f'href="/results/{a}"' in page and f'href="/results/{b}"' not in page
    assert client.get("/audit", params={"since": "nonsense"}).status_code == 200
    assert "expected YYYY-MM-DD" in client.get("/audit", params={"since": "x"}).text
    assert client.get("/api/v1/audit", params={"since": "x"}).status_code == 422
