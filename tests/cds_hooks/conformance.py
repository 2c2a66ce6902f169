"""The CDS Hooks 2.0 response and request shapes as JSON Schemas, and the spec's
invariants as checks (HL7/cds-hooks ``input/fsh/logicals/*.fsh`` and
``input/fsh/invariants/*.fsh``; cardinalities and required fields ported one to one).

``check_response``, ``check_discovery``, ``check_feedback`` raise AssertionError naming
the schema path or the invariant (``cds-resp-1`` ...) that fails. The spec's own
examples pass them (test_conformance.py), so the checks are as strict as the spec.
"""

from __future__ import annotations

from typing import Any

import jsonschema

CODING = {
    "type": "object",
    "properties": {
        "system": {"type": "string"},
        "code": {"type": "string"},
        "display": {"type": "string"},
    },
}
ACTION = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"enum": ["create", "update", "delete"]},
        "description": {"type": "string"},
        "resource": {"type": "object", "required": ["resourceType"]},
        "resourceId": {"type": "string"},
    },
}
SUGGESTION = {
    "type": "object",
    "required": ["label"],
    "properties": {
        "label": {"type": "string"},
        "uuid": {"type": "string", "format": "uuid"},
        "isRecommended": {"type": "boolean"},
        "actions": {"type": "array", "items": ACTION},
        "actionSelectionBehavior": {"type": "string"},
    },
}
LINK = {
    "type": "object",
    "required": ["label", "url", "type"],
    "properties": {
        "label": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "type": {"enum": ["absolute", "smart"]},
        "appContext": {"type": "string"},
        "autolaunchable": {"type": "boolean"},
    },
}
CARD = {
    "type": "object",
    "required": ["summary", "indicator", "source"],
    "properties": {
        "uuid": {"type": "string", "format": "uuid"},
        "summary": {"type": "string", "maxLength": 139},
        "detail": {"type": "string"},
        "indicator": {"enum": ["info", "warning", "critical"]},
        "source": {
            "type": "object",
            "required": ["label"],
            "properties": {
                "label": {"type": "string"},
                "url": {"type": "string", "format": "uri"},
                "icon": {"type": "string", "format": "uri"},
                "topic": CODING,
            },
        },
        "suggestions": {"type": "array", "items": SUGGESTION},
        "selectionBehavior": {"enum": ["at-most-one", "any"]},
        "overrideReasons": {"type": "array", "items": CODING},
        "links": {"type": "array", "items": LINK},
    },
}
RESPONSE = {
    "type": "object",
    "required": ["cards"],
    "properties": {
        "cards": {"type": "array", "items": CARD},
        "systemActions": {"type": "array", "items": ACTION},
    },
}
DISCOVERY = {
    "type": "object",
    "required": ["services"],
    "properties": {
        "services": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["hook", "description", "id"],
                "properties": {
                    "hook": {"type": "string"},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "id": {"type": "string"},
                    "prefetch": {"type": "object", "additionalProperties": {"type": "string"}},
                    "usageRequirements": {"type": "string"},
                },
            },
        }
    },
}
FEEDBACK = {
    "type": "object",
    "required": ["feedback"],
    "properties": {
        "feedback": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["card", "outcome", "outcomeTimestamp"],
                "properties": {
                    "card": {"type": "string"},
                    "outcome": {"type": "string"},
                    "acceptedSuggestions": {
                        "type": "array",
                        "items": {"type": "object", "required": ["id"]},
                    },
                    "overrideReason": {
                        "type": "object",
                        "properties": {"reason": CODING, "userComment": {"type": "string"}},
                    },
                    "outcomeTimestamp": {"type": "string"},
                },
            },
        }
    },
}
REQUEST = {
    "type": "object",
    "required": ["hook", "hookInstance", "context"],
    "properties": {
        "hook": {"type": "string"},
        "hookInstance": {"type": "string"},
        "fhirServer": {"type": "string", "format": "uri"},
        "fhirAuthorization": {
            "type": "object",
            "required": ["access_token", "token_type", "expires_in", "scope", "subject"],
            "properties": {"token_type": {"const": "Bearer"}},
        },
        "context": {"type": "object"},
        "prefetch": {"type": "object"},
    },
}


def _valid(schema: dict[str, Any], value: Any) -> None:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def check_response(response: dict[str, Any]) -> None:
    _valid(RESPONSE, response)
    for i, card in enumerate(response["cards"]):
        suggestions = card.get("suggestions") or []
        if card.get("selectionBehavior") == "at-most-one":  # cds-resp-1
            assert sum(bool(s.get("isRecommended")) for s in suggestions) <= 1, (
                f"cards[{i}]: cds-resp-1"
            )
        for s in suggestions:
            for action in s.get("actions") or []:
                if action["type"] == "delete":  # cds-resp-2 (warning level in the spec)
                    assert "resourceId" in action and "resource" not in action, (
                        f"cards[{i}]: cds-resp-2"
                    )
                assert action.get("description"), f"cards[{i}]: cds-resp-5"
            assert s.get("actionSelectionBehavior") in (None, "all", "any", "at-most-one"), (
                "cds-resp-7"
            )
        for link in card.get("links") or []:
            assert link["type"] == "smart" or "appContext" not in link, f"cards[{i}]: cds-resp-3"
        for reason in card.get("overrideReasons") or []:
            assert reason.get("display"), f"cards[{i}]: cds-resp-4"
        if suggestions:
            assert "selectionBehavior" in card, f"cards[{i}]: cds-resp-6"


def check_discovery(response: dict[str, Any]) -> None:
    _valid(DISCOVERY, response)


def check_request(request: dict[str, Any]) -> None:
    _valid(REQUEST, request)
    if "fhirAuthorization" in request:  # cds-r-1
        assert "fhirServer" in request, "cds-r-1"


def check_feedback(body: dict[str, Any]) -> None:
    _valid(FEEDBACK, body)
    for item in body["feedback"]:
        assert item["outcome"] in ("accepted", "overridden"), "cds-fb-1"
        if item["outcome"] == "accepted":
            assert item.get("acceptedSuggestions"), "cds-fb-2"
        reason = item.get("overrideReason")
        if reason is not None:
            assert "reason" in reason or "userComment" in reason, "cds-fb-3"
