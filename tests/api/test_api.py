"""The HTTP API end to end (TestClient), on SQLite and PostgreSQL (see conftest)."""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from mmpath import __version__
from mmpath.engine.packs import load_packs
from mmpath.record.errors import RecordError
from mmpath.record.load import parse_record
from mmpath.record.model import PatientRecord
from mmpath.service import recommend
from mmpath.store import Store, digest

JSON = {"content-type": "application/json"}


def _problems(data: Any) -> list[dict[str, str]]:
    try:
        parse_record(data)
    except RecordError as error:
        return [{"path": p.path, "message": p.message} for p in error.problems]
    raise AssertionError("record unexpectedly valid")


def test_health_and_version(client: TestClient) -> None:
    assert client.get("/api/v1/health").json() == {"status": "ok", "database": "ok"}
    version = client.get("/api/v1/version").json()
    assert version["mmpath"] == __version__
    assert version["packs"] == [{"id": p.id, "version": p.version} for p in load_packs().values()]


def test_guidelines_list_packs_with_versions_sources_languages(client: TestClient) -> None:
    body = client.get("/api/v1/guidelines").json()
    packs = load_packs()
    assert [g["id"] for g in body] == list(packs)
    for g in body:
        pack = packs[g["id"]]
        assert g["version"] == pack.version
        assert g["source_document"] == pack.source_document
        assert g["language"] == pack.language
        assert set(g["languages"]) == {pack.language, "en"}
        assert g["rules"] == len(pack.rules) > 0


def test_record_schema_is_the_models(client: TestClient) -> None:
    assert client.get("/api/v1/schema/record").json() == PatientRecord.model_json_schema()


def test_recommend_returns_the_cli_output_and_audits_it(
    client: TestClient, store: Store, example: dict[str, Any]
) -> None:
    response = client.post("/api/v1/recommend", json=example)
    assert response.status_code == 200, response.text
    expected = recommend(parse_record(example)).model_dump_json()
    assert response.text == expected
    audit_id = int(response.headers["X-MMPath-Audit-Id"])
    entry = store.get_audit(audit_id)
    assert entry is not None
    assert entry.output_json == response.text
    assert entry.input_digest == digest(example)
    assert json.loads(entry.record_json) == example
    assert entry.guideline == "all"
    assert entry.packs == [{"id": p.id, "version": p.version} for p in load_packs().values()]
    assert entry.mmpath_version == __version__
    assert entry.source == "api"
    shown = client.get(f"/api/v1/audit/{audit_id}").json()
    assert shown["output"] == json.loads(response.text)
    assert shown["record"] == example


def test_guideline_query_selects_one_pack(client: TestClient, example: dict[str, Any]) -> None:
    pack_id = next(iter(load_packs()))
    response = client.post(f"/api/v1/recommend?guideline={pack_id}", json=example)
    assert response.status_code == 200
    assert [r["guideline"]["id"] for r in response.json()["results"]] == [pack_id]


def test_unknown_guideline_is_404_and_not_audited(
    client: TestClient, store: Store, example: dict[str, Any]
) -> None:
    response = client.post("/api/v1/recommend?guideline=no-such-pack", json=example)
    assert response.status_code == 404
    assert "no-such-pack" in response.json()["detail"]
    assert response.json()["known"] == sorted(load_packs())
    assert store.count_audit() == 0


def test_invalid_record_lists_every_problem_by_field_path(
    client: TestClient, store: Store, example: dict[str, Any]
) -> None:
    bad = copy.deepcopy(example)
    bad["sex"] = "x"
    bad["labs"] = [{"test": "creatinine"}]
    bad["unexpected"] = 1
    response = client.post("/api/v1/recommend", json=bad)
    assert response.status_code == 422
    body = response.json()
    assert body["problems"] == _problems(bad)
    paths = {p["path"] for p in body["problems"]}
    assert {"sex", "labs[0].date", "unexpected"} <= paths
    assert store.count_audit() == 0


def test_validate_reports_problems_with_paths(client: TestClient, example: dict[str, Any]) -> None:
    assert client.post("/api/v1/validate", json=example).json() == {"valid": True, "problems": []}
    bad = {**example, "sex": "x"}
    body = client.post("/api/v1/validate", json=bad).json()
    assert body["valid"] is False
    assert body["problems"] == _problems(bad)


BAD_BODIES: list[tuple[bytes, dict[str, str], int]] = [
    (b"{not json", JSON, 422),
    (b"", JSON, 422),
    (b"[1, 2]", JSON, 422),
    (b'"a string"', JSON, 422),
    (b"\xff\xfe", JSON, 422),
    (b'{"schema_version": NaN}', JSON, 422),
    (b'{"schema_version": "1", "x": 1e999}', JSON, 422),
    (b'{"schema_version": "1", "x": ' + b"9" * 5000 + b"}", JSON, 422),
    (b"[" * 100_000 + b"]" * 100_000, JSON, 422),
    (b'{"schema_version": "1", "id": "a\\u0000b"}', JSON, 422),
    (b'{"schema_version": "1", "id": "\\ud800"}', JSON, 422),
    (b'{"schema_version": "1", "\\u0000": 1}', JSON, 422),
    (b"schema_version=1", {"content-type": "application/x-www-form-urlencoded"}, 415),
    (b"{}", {"content-type": "text/plain"}, 415),
    (b"{}", {}, 415),
]


def test_bad_bodies_are_4xx_never_5xx_and_never_stored(client: TestClient, store: Store) -> None:
    for path in ("/api/v1/recommend", "/api/v1/validate", "/api/v1/patients"):
        for body, headers, status in BAD_BODIES:
            response = client.post(path, content=body, headers=headers)
            if path.endswith("validate") and body in {b"[1, 2]", b'"a string"'}:
                # valid JSON, not a record: /validate answers the question, with 200
                assert response.json()["valid"] is False
                assert "expected a JSON object" in response.json()["problems"][0]["message"]
                continue
            assert response.status_code == status, (path, body[:40], response.text)
            assert response.json()["detail"]
    assert store.count_audit() == 0
    assert store.list_patients() == []


def test_nested_junk_in_fields_is_422(client: TestClient, example: dict[str, Any]) -> None:
    junk = {**example, "labs": [{"test": {"a": [[[{}]]]}, "value": [1e308], "date": {}}]}
    response = client.post("/api/v1/recommend", json=junk)
    assert response.status_code == 422
    assert all(p["path"].startswith("labs[0]") for p in response.json()["problems"])
    huge = {**example, "ecog": 10**300}
    assert client.post("/api/v1/recommend", json=huge).status_code == 422


def test_far_future_dates_are_422_not_500(
    client: TestClient, store: Store, example: dict[str, Any]
) -> None:
    for field in ("as_of",):
        response = client.post("/api/v1/recommend", json={**example, field: "9999-12-31"})
        assert response.status_code == 422, response.text
        assert response.json()["problems"]
        validated = client.post("/api/v1/validate", json={**example, field: "9999-12-31"})
        assert validated.json()["valid"] is False
    assert store.count_audit() == 0


def test_body_over_the_limit_is_413(store: Store) -> None:
    from signin import bearer_client

    with bearer_client(store, "clinician", max_body_bytes=1000) as small:
        declared = small.post("/api/v1/recommend", content=b" " * 1001, headers=JSON)
        assert declared.status_code == 413

        def chunks() -> Any:  # no Content-Length: counted as it arrives
            for _ in range(20):
                yield b" " * 100

        streamed = small.post("/api/v1/recommend", content=chunks(), headers=JSON)
        assert streamed.status_code == 413
        assert "1000 bytes" in streamed.json()["detail"]
    assert store.count_audit() == 0


def test_same_input_gives_identical_stored_output(
    client: TestClient, store: Store, example: dict[str, Any]
) -> None:
    first = client.post("/api/v1/recommend", json=example)
    reordered = dict(reversed(list(example.items())))
    second = client.post(
        "/api/v1/recommend", content=json.dumps(reordered, indent=3).encode(), headers=JSON
    )
    a = store.get_audit(int(first.headers["X-MMPath-Audit-Id"]))
    b = store.get_audit(int(second.headers["X-MMPath-Audit-Id"]))
    assert a is not None and b is not None and a.id != b.id
    assert a.input_digest == b.input_digest
    assert a.record_json == b.record_json
    assert a.output_json == b.output_json == first.text == second.text


def test_saved_patients_crud(client: TestClient, example: dict[str, Any]) -> None:
    created = client.post("/api/v1/patients", json=example)
    assert created.status_code == 201, created.text
    patient = created.json()
    pid = patient["id"]
    assert created.headers["Location"] == f"/api/v1/patients/{pid}"
    assert patient["record"] == example
    assert patient["label"] == example.get("id")
    assert client.get(f"/api/v1/patients/{pid}").json() == patient
    assert [p["id"] for p in client.get("/api/v1/patients").json()] == [pid]

    changed = {**example, "id": "renamed"}
    updated = client.put(f"/api/v1/patients/{pid}", json=changed)
    assert updated.status_code == 200
    assert updated.json()["record"] == changed
    assert updated.json()["label"] == "renamed"
    assert client.get(f"/api/v1/patients/{pid}").json()["record"] == changed

    assert client.put(f"/api/v1/patients/{pid}", json={**example, "sex": "x"}).status_code == 422
    assert client.get(f"/api/v1/patients/{pid}").json()["record"] == changed

    assert client.delete(f"/api/v1/patients/{pid}").status_code == 204
    assert client.get(f"/api/v1/patients/{pid}").status_code == 404
    assert client.delete(f"/api/v1/patients/{pid}").status_code == 404
    assert client.get("/api/v1/patients").json() == []


def test_saved_patient_errors(client: TestClient, example: dict[str, Any]) -> None:
    bad = client.post("/api/v1/patients", json={**example, "sex": "x"})
    assert bad.status_code == 422
    assert bad.json()["problems"] == _problems({**example, "sex": "x"})
    assert client.get("/api/v1/patients").json() == []
    assert client.get("/api/v1/patients/" + "0" * 32).status_code == 404
    assert client.put("/api/v1/patients/" + "0" * 32, json=example).status_code == 404
    assert client.get("/api/v1/patients/not-an-id").status_code == 422
    assert client.get("/api/v1/patients/%00").status_code == 422


def test_recommend_for_saved_patient_is_audited_with_its_id(
    client: TestClient, store: Store, example: dict[str, Any]
) -> None:
    pid = client.post("/api/v1/patients", json=example).json()["id"]
    response = client.post(f"/api/v1/patients/{pid}/recommend")
    assert response.status_code == 200
    entry = store.get_audit(int(response.headers["X-MMPath-Audit-Id"]))
    assert entry is not None and entry.saved_patient_id == pid
    assert response.text == recommend(parse_record(example)).model_dump_json()
    listed = client.get("/api/v1/audit").json()
    assert listed["total"] == 1
    assert listed["entries"][0]["saved_patient_id"] == pid
    # the access log shares the chain; administrators list it with action=all
    everything = client.get("/api/v1/audit", params={"action": "all"}).json()
    assert [(e["action"], e["saved_patient_id"]) for e in everything["entries"]][1:] == [
        ("evaluate", pid),
        ("save", pid),
    ]


def test_audit_listing_and_lookup(client: TestClient, example: dict[str, Any]) -> None:
    ids = [
        int(client.post("/api/v1/recommend", json=example).headers["X-MMPath-Audit-Id"])
        for _ in range(3)
    ]
    listed = client.get("/api/v1/audit?limit=2").json()
    assert listed["total"] == 3
    assert [e["id"] for e in listed["entries"]] == sorted(ids, reverse=True)[:2]
    rest = client.get("/api/v1/audit?limit=2&offset=2").json()
    assert [e["id"] for e in rest["entries"]] == [min(ids)]
    assert client.get(f"/api/v1/audit/{max(ids) + 1000}").status_code == 404
    assert client.get("/api/v1/audit/99999999999999999999").status_code == 422
    assert client.get("/api/v1/audit?limit=0").status_code == 422
    assert client.get("/api/v1/audit?limit=abc").json()["problems"][0]["path"] == "query.limit"


def test_failed_audit_write_is_503_and_returns_no_recommendation(
    client: TestClient, store: Store, example: dict[str, Any]
) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE audit"))
    response = client.post("/api/v1/recommend", json=example)
    assert response.status_code == 503
    body = response.json()
    assert "audit trail" in body["detail"]
    assert "results" not in body


def test_openapi_31_publishes_the_record_schema(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    schemas = document["components"]["schemas"]
    assert schemas["PatientRecord"]["title"] == "PatientRecord"
    body = document["paths"]["/api/v1/recommend"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PatientRecord"
    }
    for path in ("/api/v1/guidelines", "/api/v1/validate", "/api/v1/patients/{patient_id}"):
        assert path in document["paths"]


def test_docs_page_needs_no_network(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "https://" not in page.text and "http://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/api/docs/assets/{asset}" in page.text
        assert client.get(f"/api/docs/assets/{asset}").status_code == 200
    # Swagger UI 4 cannot render an OpenAPI 3.1 document; 5 has the OAS 3.1 plugin
    assert "isOAS31" in client.get("/api/docs/assets/swagger-ui-bundle.js").text
