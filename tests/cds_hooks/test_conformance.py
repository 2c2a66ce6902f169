"""The conformance checks hold for the spec's own examples (so they are the spec's
shapes), and fail for responses that break each invariant."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cds_hooks.conformance import check_discovery, check_feedback, check_request, check_response

SPEC = Path(__file__).parent / "spec_examples"


def spec(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SPEC / name).read_text("utf-8"))
    return data


def test_spec_examples_pass() -> None:
    check_discovery(spec("discovery-response.json"))
    check_request(spec("patient-view-request.json"))
    for name in ("card-response.json", "card-response-2.json", "system-actions-response.json"):
        check_response(spec(name))
    # The spec's autolaunch example leaves out the required card.indicator (an erratum of
    # the example, not of the checks): exactly that is reported.
    with pytest.raises(
        AssertionError, match=r"\['cards', 0\]: 'indicator' is a required property$"
    ):
        check_response(spec("card-response-autolaunch.json"))
    for name in (
        "feedback-accepted.json",
        "feedback-overridden.json",
        "feedback-overridden-reason.json",
    ):
        check_feedback(spec(name))


CARD = {"summary": "s", "indicator": "info", "source": {"label": "l"}}
SUGGESTION = {
    "label": "x",
    "actions": [{"type": "create", "description": "d", "resource": {"resourceType": "Task"}}],
}


@pytest.mark.parametrize(
    ("card", "invariant"),
    [
        (
            {
                **CARD,
                "selectionBehavior": "at-most-one",
                "suggestions": [
                    {**SUGGESTION, "isRecommended": True},
                    {**SUGGESTION, "isRecommended": True},
                ],
            },
            "cds-resp-1",
        ),
        (
            {
                **CARD,
                "selectionBehavior": "any",
                "suggestions": [
                    {
                        "label": "x",
                        "actions": [
                            {
                                "type": "delete",
                                "description": "d",
                                "resource": {"resourceType": "Task"},
                            }
                        ],
                    }
                ],
            },
            "cds-resp-2",
        ),
        (
            {
                **CARD,
                "links": [
                    {"label": "l", "url": "https://x.test", "type": "absolute", "appContext": "c"}
                ],
            },
            "cds-resp-3",
        ),
        ({**CARD, "overrideReasons": [{"system": "s", "code": "c"}]}, "cds-resp-4"),
        (
            {
                **CARD,
                "selectionBehavior": "any",
                "suggestions": [{"label": "x", "actions": [{"type": "create"}]}],
            },
            "cds-resp-5",
        ),
        ({**CARD, "suggestions": [SUGGESTION]}, "cds-resp-6"),
        (
            {
                **CARD,
                "selectionBehavior": "any",
                "suggestions": [{**SUGGESTION, "actionSelectionBehavior": "some"}],
            },
            "cds-resp-7",
        ),
        ({**CARD, "summary": "x" * 140}, "is too long"),
        ({**CARD, "indicator": "urgent"}, "is not one of"),
    ],
)
def test_each_invariant_is_checked(card: dict[str, Any], invariant: str) -> None:
    with pytest.raises(AssertionError, match=invariant):
        check_response({"cards": [card]})


def test_request_invariant_cds_r_1() -> None:
    request = spec("patient-view-request.json")
    del request["fhirServer"]
    with pytest.raises(AssertionError, match="cds-r-1"):
        check_request(request)
