"""patient-view and order-select: prefetch, the FHIR-server path, cards, audit (issue 13)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from cds_hooks.conformance import check_discovery, check_request, check_response
from cds_hooks.conftest import (
    BASE,
    Minter,
    bundle_resources,
    hook_request,
    prefetch_of,
    service_url,
)
from cds_hooks.servers import Ehr
from mmpath.cds.cards import REASON_SYSTEM
from mmpath.record.load import load_record
from mmpath.service import recommend
from mmpath.store import Store
from mmpath.store.decisions import find_card

PV = "mmpath-patient-view"
OS = "mmpath-order-select"
FIRST_RELAPSE = "first-relapse-on-lenalidomide.bundle.json"
PATIENT_ID = "example-first-relapse"


def call(client: TestClient, mint: Minter, service: str, body: dict[str, Any]) -> Any:
    check_request(body)
    return client.post(
        f"/cds-services/{service}", json=body, headers=mint.bearer(service_url(service))
    )


def test_discovery(client: TestClient, mint: Minter) -> None:
    response = client.get("/cds-services", headers=mint.bearer(f"{BASE}/cds-services"))
    assert response.status_code == 200
    found = response.json()
    check_discovery(found)
    hooks = {s["id"]: s for s in found["services"]}
    assert {hooks[PV]["hook"], hooks[OS]["hook"]} == {"patient-view", "order-select"}
    assert set(hooks[PV]["prefetch"]) == {
        "patient",
        "conditions",
        "medicationStatements",
        "medicationRequests",
        "medicationAdministrations",
        "observations",
        "procedures",
        "allergies",
    }
    assert hooks[PV]["prefetch"]["patient"] == "Patient/{{context.patientId}}"
    assert client.get("/cds-services").status_code == 401


def test_patient_view_with_full_prefetch_is_audited_and_cards_follow_the_spec(
    client: TestClient, mint: Minter, store: Store
) -> None:
    body = hook_request(
        "patient-view", PATIENT_ID, prefetch=prefetch_of(bundle_resources(FIRST_RELAPSE))
    )
    response = call(client, mint, PV, body)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    check_response(response.json())
    by_guideline = {c["source"]["topic"]["code"]: c for c in cards}
    nl = by_guideline["nl-rrmm"]
    assert nl["summary"].startswith("nl-rrmm: preferred ") and len(nl["summary"]) < 140
    # the best responses come with the prefetch (mmpath's best-response Observations), so
    # refractoriness is known: DVd is plainly preferred, as for the example record
    assert "DVd" in nl["summary"] and "DVd" in nl["detail"]
    assert nl["indicator"] == "warning"  # RAD / PAD are conditional for this patient
    assert "version" in nl["source"]["label"] and nl["source"]["url"] == f"{BASE}/about#sources"
    assert "### Preferred" in nl["detail"] and "### Missing information" in nl["detail"]
    assert "### Data from the EHR" in nl["detail"]
    assert {r["code"] for r in nl["overrideReasons"]} == {
        "toxicity_comorbidity",
        "prior_treatment",
        "patient_preference",
        "clinical_trial",
        "documented_rationale",
        "other",
    }
    assert all(r["system"] == REASON_SYSTEM and r["display"] for r in nl["overrideReasons"])
    audit_id = int(nl["links"][0]["url"].rsplit("/", 1)[1])
    entry = store.get_audit(audit_id)
    assert entry is not None and entry.source == "cds-hooks"
    output = json.loads(entry.output_json)
    assert "DVd" in {
        o["id"]
        for r in output["results"]
        if r["guideline"]["id"] == "nl-rrmm"
        for o in r["options"]
    }
    # the audited answer is the recommendation for the imported record
    example = load_record(BASE_EXAMPLE)
    expected = recommend(example, "nl-rrmm")
    assert {o.id for o in expected.results[0].options} == {
        o["id"]
        for r in output["results"]
        if r["guideline"]["id"] == "nl-rrmm"
        for o in r["options"]
    }
    for card in cards:
        stored = find_card(store, card["uuid"])
        assert stored is not None and stored.audit_id == audit_id


BASE_EXAMPLE = (
    __import__("pathlib").Path(__file__).resolve().parents[2]
    / "src"
    / "mmpath"
    / "examples"
    / "first-relapse-on-lenalidomide.json"
)


def test_missing_prefetch_is_fetched_from_the_fhir_server_with_the_token(
    client: TestClient, mint: Minter, ehr: Ehr, ehr_base: str
) -> None:
    resources = bundle_resources(FIRST_RELAPSE)
    ehr.resources = resources
    full = call(
        client, mint, PV, hook_request("patient-view", PATIENT_ID, prefetch=prefetch_of(resources))
    )
    partial = prefetch_of(resources)
    for key in ("observations", "medicationStatements", "procedures"):
        del partial[key]
    body = hook_request(
        "patient-view",
        PATIENT_ID,
        prefetch=partial,
        fhirServer=f"{ehr_base}/fhir",
        fhirAuthorization={
            "access_token": ehr.token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "mmpath",
            "patient": PATIENT_ID,
        },
    )
    fetched = call(client, mint, PV, body)
    assert fetched.status_code == 200, fetched.text
    check_response(fetched.json())
    assert [c["summary"] for c in fetched.json()["cards"]] == [
        c["summary"] for c in full.json()["cards"]
    ]
    searched = {url.split("/fhir/")[1].split("?")[0] for url in ehr.requests}
    assert searched == {"Observation", "MedicationStatement", "Procedure"}
    assert any("_offset=" in url for url in ehr.requests)  # followed the next links


def test_only_fhir_server_no_prefetch(
    client: TestClient, mint: Minter, ehr: Ehr, ehr_base: str
) -> None:
    ehr.resources = bundle_resources(FIRST_RELAPSE)
    body = hook_request(
        "patient-view",
        PATIENT_ID,
        fhirServer=f"{ehr_base}/fhir",
        fhirAuthorization={
            "access_token": ehr.token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "mmpath",
        },
    )
    response = call(client, mint, PV, body)
    assert response.status_code == 200, response.text
    assert any(u.split("/fhir/")[1].startswith(f"Patient/{PATIENT_ID}") for u in ehr.requests)


def test_incomplete_prefetch_without_fhir_server_is_412(client: TestClient, mint: Minter) -> None:
    partial = prefetch_of(bundle_resources(FIRST_RELAPSE))
    del partial["observations"]
    response = call(client, mint, PV, hook_request("patient-view", PATIENT_ID, prefetch=partial))
    assert response.status_code == 412
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "observations" in outcome["issue"][0]["diagnostics"]
    assert outcome["issue"][0]["expression"] == ["prefetch.observations"]


def test_fhir_server_refusing_the_token_is_412(
    client: TestClient, mint: Minter, ehr: Ehr, ehr_base: str
) -> None:
    ehr.resources = bundle_resources(FIRST_RELAPSE)
    body = hook_request(
        "patient-view",
        PATIENT_ID,
        fhirServer=f"{ehr_base}/fhir",
        fhirAuthorization={
            "access_token": "wrong",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "mmpath",
        },
    )
    response = call(client, mint, PV, body)
    assert response.status_code == 412
    assert "refused the access token" in response.json()["issue"][0]["diagnostics"]


def test_bad_requests(client: TestClient, mint: Minter) -> None:
    good = hook_request(
        "patient-view", PATIENT_ID, prefetch=prefetch_of(bundle_resources(FIRST_RELAPSE))
    )
    wrong_hook = {**good, "hook": "order-sign"}
    response = client.post(
        f"/cds-services/{PV}", json=wrong_hook, headers=mint.bearer(service_url(PV))
    )
    assert response.status_code == 400 and "answers hook patient-view" in response.text
    no_server = {
        **good,
        "fhirAuthorization": {
            "access_token": "x",
            "token_type": "Bearer",
            "expires_in": 1,
            "scope": "s",
            "subject": "s",
        },
    }
    response = client.post(
        f"/cds-services/{PV}", json=no_server, headers=mint.bearer(service_url(PV))
    )
    assert response.status_code == 400 and "cds-r-1" in response.text
    response = client.post(
        "/cds-services/nope", json=good, headers=mint.bearer(service_url("nope"))
    )
    assert response.status_code == 404
    response = client.post(
        f"/cds-services/{PV}", content=b"{not json", headers=mint.bearer(service_url(PV))
    )
    assert response.status_code == 400
    other = {
        **good,
        "prefetch": {
            **good["prefetch"],
            "patient": {"resourceType": "Patient", "id": "someone-else"},
        },
    }
    response = client.post(f"/cds-services/{PV}", json=other, headers=mint.bearer(service_url(PV)))
    assert response.status_code == 400


def _order(drug: str, rid: str, patient: str = PATIENT_ID) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{patient}"},
        "medicationCodeableConcept": {"text": drug},
    }


def _order_select(
    resources: list[dict[str, Any]], drugs: list[str], selected: int = 0
) -> dict[str, Any]:
    orders = [_order(d, f"draft-{i}") for i, d in enumerate(drugs)]
    return hook_request(
        "order-select",
        PATIENT_ID,
        prefetch=prefetch_of(resources),
        context={
            "selections": [f"MedicationRequest/draft-{selected}"],
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": o} for o in orders],
            },
        },
    )


def test_order_select_preferred_regimen_is_info(client: TestClient, mint: Minter) -> None:
    body = _order_select(
        bundle_resources(FIRST_RELAPSE), ["daratumumab", "bortezomib", "dexamethasone"]
    )
    response = call(client, mint, OS, body)
    assert response.status_code == 200, response.text
    check_response(response.json())
    [card] = response.json()["cards"]
    assert card["summary"].startswith("DVd is a preferred option in ")
    assert card["indicator"] == "info"
    assert "nl-rrmm" in card["summary"]


def test_order_select_refractory_drug_is_critical_with_suggestions(
    client: TestClient, mint: Minter
) -> None:
    body = _order_select(
        bundle_resources(FIRST_RELAPSE), ["lenalidomide", "dexamethasone"], selected=0
    )
    response = call(client, mint, OS, body)
    assert response.status_code == 200, response.text
    check_response(response.json())
    [card] = response.json()["cards"]
    assert card["indicator"] == "critical"
    assert "refractory to lenalidomide" in card["summary"]
    assert card["selectionBehavior"] == "at-most-one"
    suggestions = card["suggestions"]
    assert 1 <= len(suggestions) <= 3 and sum(s["isRecommended"] for s in suggestions) == 1
    first = suggestions[0]
    assert first["actions"][0] == {
        "type": "delete",
        "description": "Remove the draft order MedicationRequest/draft-0",
        "resourceId": "MedicationRequest/draft-0",
    }
    created = [a["resource"] for a in first["actions"] if a["type"] == "create"]
    assert all(
        r["status"] == "draft" and r["subject"] == {"reference": f"Patient/{PATIENT_ID}"}
        for r in created
    )


def test_order_select_contraindicated_drug_is_critical(client: TestClient, mint: Minter) -> None:
    resources = [
        *bundle_resources(FIRST_RELAPSE),
        {
            "resourceType": "AllergyIntolerance",
            "id": "dara-allergy",
            "type": "allergy",
            "category": ["medication"],
            "patient": {"reference": f"Patient/{PATIENT_ID}"},
            "code": {"text": "daratumumab"},
        },
    ]
    body = _order_select(resources, ["daratumumab", "bortezomib", "dexamethasone"])
    [card] = call(client, mint, OS, body).json()["cards"]
    assert card["indicator"] == "critical" and "must not get daratumumab" in card["summary"]


def test_order_select_without_a_myeloma_drug_has_no_card(
    client: TestClient, mint: Minter, store: Store
) -> None:
    before = store.count_audit()
    body = _order_select(bundle_resources(FIRST_RELAPSE), ["amoxicillin"])
    response = call(client, mint, OS, body)
    assert response.status_code == 200 and response.json() == {"cards": []}
    assert store.count_audit() == before


def test_not_configured_offers_no_service(store: Store) -> None:
    from mmpath.api.app import create_app
    from mmpath.api.settings import Settings

    app = create_app(Settings(database_url=store.url), store=store)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        assert test_client.get("/cds-services").json() == {"services": []}
        response = test_client.post(f"/cds-services/{PV}", json={})
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


SPEC_DIR = __import__("pathlib").Path(__file__).parent / "spec_examples"


def test_the_spec_patient_view_request(
    client: TestClient, mint: Minter, ehr: Ehr, ehr_base: str, store: Store
) -> None:
    """The spec's example call, sent as published except for the two things that point
    at the spec authors' servers: fhirServer (here the test's FHIR server) and the
    access token it accepts. Its prefetch key (patientToGreet) is not one of ours, so
    mmpath fetches everything from the FHIR server; the spec's patient has no myeloma,
    so one card says there is too little to evaluate (no options, no audit row)."""
    body = json.loads((SPEC_DIR / "patient-view-request.json").read_text("utf-8"))
    ehr.resources = [body["prefetch"]["patientToGreet"]]
    body["fhirServer"] = f"{ehr_base}/fhir"
    body["fhirAuthorization"]["access_token"] = ehr.token
    before = store.count_audit()
    response = client.post(f"/cds-services/{PV}", json=body, headers=mint.bearer(service_url(PV)))
    assert response.status_code == 200, response.text
    check_response(response.json())
    assert store.count_audit() == before
    cards = response.json()["cards"]
    assert [c["indicator"] for c in cards] == ["info"]
    assert any("Patient/1288992" in u for u in ehr.requests)
    assert "too little to evaluate" in cards[0]["detail"]
    assert "preferred" not in json.dumps(cards).lower()


def test_the_spec_order_select_context(client: TestClient, mint: Minter) -> None:
    """The order-select hook's own example (a pureed diet and amoxicillin): no myeloma
    drug is ordered, so mmpath answers with no card (and evaluates nothing)."""
    context = json.loads((SPEC_DIR / "order-select-context.json").read_text("utf-8"))["context"]
    body = hook_request("order-select", context["patientId"], context=context)
    response = call(client, mint, OS, body)
    assert response.status_code == 200 and response.json() == {"cards": []}
