"""Feedback -> the decision on the audit row of the card (issue 13; fields of issue 10)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cds_hooks.conformance import check_feedback
from cds_hooks.conftest import Minter, bundle_resources, hook_request, prefetch_of, service_url
from cds_hooks.test_hooks import FIRST_RELAPSE, OS, PATIENT_ID, PV, _order_select, call
from mmpath.cds.cards import REASON_SYSTEM
from mmpath.store import Store
from mmpath.store.decisions import decisions_for

SPEC = Path(__file__).parent / "spec_examples"


def spec(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SPEC / name).read_text("utf-8"))
    return data


def post_feedback(client: TestClient, mint: Minter, service: str, body: dict[str, Any]) -> Any:
    return client.post(
        f"/cds-services/{service}/feedback",
        json=body,
        headers=mint.bearer(f"{service_url(service)}/feedback"),
    )


def audit_of(card: dict[str, Any]) -> int:
    return int(card["links"][0]["url"].rsplit("/", 1)[1])


def patient_view_card(client: TestClient, mint: Minter) -> dict[str, Any]:
    body = hook_request(
        "patient-view", PATIENT_ID, prefetch=prefetch_of(bundle_resources(FIRST_RELAPSE))
    )
    cards = call(client, mint, PV, body).json()["cards"]
    return next(c for c in cards if c["source"]["topic"]["code"] == "nl-rrmm")


def test_overridden_with_a_reason_is_an_off_pathway_decision(
    client: TestClient, mint: Minter, store: Store
) -> None:
    card = patient_view_card(client, mint)
    body = spec("feedback-overridden-reason.json")  # the spec's example, pointed at our card
    item = body["feedback"][0]
    item["card"] = card["uuid"]
    item["overrideReason"]["reason"] = {
        "system": REASON_SYSTEM,
        "code": "clinical_trial",
        "display": "Clinical trial",
    }
    check_feedback(body)
    response = post_feedback(client, mint, PV, body)
    assert response.status_code == 200, response.text
    [decision] = decisions_for(store, audit_of(card))
    assert decision.as_json() == {
        "option_id": None,
        "regimen": None,
        "pathway": "off",
        "reason": "clinical_trial",
        "reason_text": "A comment entered by the clinician.",
        "by": "Practitioner/dr-1",
        "at": "2020-12-11T00:00:00+00:00",
        "source": "cds-hooks",
        "card": card["uuid"],
    }


def test_spec_examples_with_our_card(client: TestClient, mint: Minter, store: Store) -> None:
    card = patient_view_card(client, mint)
    plain = spec("feedback-overridden.json")
    plain["feedback"][0]["card"] = card["uuid"]
    assert post_feedback(client, mint, PV, plain).status_code == 200
    foreign = spec("feedback-overridden-reason.json")  # a reason code of another system
    foreign["feedback"][0]["card"] = card["uuid"]
    assert post_feedback(client, mint, PV, foreign).status_code == 200
    first, second = decisions_for(store, audit_of(card))
    assert (first.pathway, first.reason, first.reason_text) == ("off", None, None)
    assert second.reason == "other"
    assert (
        second.reason_text
        == "https://example.com/cds-hooks/override-reason-system|d7ecf885; A comment entered by the clinician."
    )


def test_spec_examples_as_published_name_unknown_cards(
    client: TestClient, mint: Minter, store: Store
) -> None:
    for name in (
        "feedback-accepted.json",
        "feedback-overridden.json",
        "feedback-overridden-reason.json",
    ):
        body = spec(name)
        check_feedback(body)
        response = post_feedback(client, mint, PV, body)
        assert response.status_code == 404, name
        assert "no card" in response.json()["issue"][0]["diagnostics"]


def test_accepted_suggestion_is_on_pathway_with_the_option(
    client: TestClient, mint: Minter, store: Store
) -> None:
    body = _order_select(bundle_resources(FIRST_RELAPSE), ["lenalidomide", "dexamethasone"])
    [card] = call(client, mint, OS, body).json()["cards"]
    chosen = card["suggestions"][0]
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": chosen["uuid"]}],
                "outcomeTimestamp": "2026-11-01T09:15:00Z",
            }
        ]
    }
    check_feedback(feedback)
    assert post_feedback(client, mint, OS, feedback).status_code == 200
    [decision] = decisions_for(store, audit_of(card))
    assert decision.pathway == "on" and decision.option_id == chosen["label"].split()[1]


def test_overriding_an_order_card_records_the_ordered_regimen(
    client: TestClient, mint: Minter, store: Store
) -> None:
    on = _order_select(
        bundle_resources(FIRST_RELAPSE), ["daratumumab", "bortezomib", "dexamethasone"]
    )
    [card] = call(client, mint, OS, on).json()["cards"]
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "outcomeTimestamp": "2026-11-01T09:15:00Z",
            }
        ]
    }
    assert post_feedback(client, mint, OS, feedback).status_code == 200
    [decision] = decisions_for(store, audit_of(card))
    assert (decision.regimen, decision.pathway) == ("DVd", "on")
    off = _order_select(bundle_resources(FIRST_RELAPSE), ["lenalidomide", "dexamethasone"])
    [card] = call(client, mint, OS, off).json()["cards"]
    feedback["feedback"][0]["card"] = card["uuid"]
    feedback["feedback"][0]["overrideReason"] = {
        "reason": {"system": REASON_SYSTEM, "code": "patient_preference"}
    }
    assert post_feedback(client, mint, OS, feedback).status_code == 200
    [decision] = decisions_for(store, audit_of(card))
    assert (decision.regimen, decision.pathway, decision.reason) == (
        "Rd",
        "off",
        "patient_preference",
    )


def test_invariants_are_enforced(client: TestClient, mint: Minter, store: Store) -> None:
    card = patient_view_card(client, mint)
    base = {"card": card["uuid"], "outcomeTimestamp": "2026-11-01T09:00:00Z"}
    cases = {
        "cds-fb-1": {**base, "outcome": "ignored"},
        "cds-fb-2": {**base, "outcome": "accepted"},
        "cds-fb-3": {**base, "outcome": "overridden", "overrideReason": {}},
    }
    for invariant, item in cases.items():
        response = post_feedback(client, mint, PV, {"feedback": [item]})
        assert response.status_code == 400, invariant
        if invariant != "cds-fb-1":
            assert invariant in response.text
    bad_time = {**base, "outcome": "overridden", "outcomeTimestamp": "yesterday"}
    assert post_feedback(client, mint, PV, {"feedback": [bad_time]}).status_code == 400
    other_service = {**base, "outcome": "overridden"}
    assert post_feedback(client, mint, OS, {"feedback": [other_service]}).status_code == 404
    assert decisions_for(store, audit_of(card)) == []


def test_feedback_needs_the_ehr_token(client: TestClient, mint: Minter) -> None:
    response = client.post(f"/cds-services/{PV}/feedback", json={"feedback": []})
    assert response.status_code == 401
    response = client.post(
        f"/cds-services/{PV}/feedback", json={"feedback": []}, headers=mint.bearer(service_url(OS))
    )
    assert response.status_code == 401
