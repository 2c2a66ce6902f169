"""Feedback on a card -> the decision recorded on the audit row of that card.

| feedback | decision |
| --- | --- |
| ``accepted`` a suggestion (order-select) | on pathway, ``option_id`` = the suggested option |
| ``overridden`` an order-select card | the ordered regimen; on pathway when it is a recommended option of an applicable guideline, else off |
| ``overridden`` a patient-view card | off pathway |

``reason``: the ``overrideReason.reason`` when it is one of mmpath's codes
(``urn:mmpath:off-pathway-reason``); a code of another system is kept as ``other`` with
the code in ``reason_text``; ``userComment`` goes to ``reason_text``. ``by`` is the
hook's ``context.userId``; ``at`` the feedback's ``outcomeTimestamp``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from mmpath.cds.cards import REASON_SYSTEM
from mmpath.cds.errors import CdsError
from mmpath.cds.request import Feedback
from mmpath.store.decisions import REASONS, Card


@dataclass(frozen=True)
class DecisionRow:
    audit_id: int
    card_uuid: str
    pathway: str
    option_id: str | None
    regimen: str | None
    reason: str | None
    reason_text: str | None
    by: str | None
    at: dt.datetime

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "pathway": self.pathway,
            "option_id": self.option_id,
            "regimen": self.regimen,
            "reason": self.reason,
            "reason_text": self.reason_text,
            "by": self.by,
            "at": self.at,
            "source": "cds-hooks",
            "card_uuid": self.card_uuid,
        }


def timestamp(value: str, where: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CdsError(
            400, f"{where}: expected an RFC 3339 date-time in UTC", code="invalid"
        ) from None
    if parsed.tzinfo is None:
        raise CdsError(400, f"{where}: the date-time needs a time zone (Z)", code="invalid")
    return parsed.astimezone(dt.UTC)


def decision_of(item: Feedback, card: Card, where: str) -> DecisionRow:
    at = timestamp(item.outcomeTimestamp, f"{where}.outcomeTimestamp")
    if item.outcome == "accepted":
        chosen = [card.suggestions.get(s.id) for s in item.acceptedSuggestions or []]
        if not chosen or None in chosen:
            raise CdsError(
                400,
                f"{where}.acceptedSuggestions: not a suggestion of card {card.uuid}",
                code="not-found",
            )
        return DecisionRow(
            card.audit_id, card.uuid, "on", chosen[0], None, None, None, card.user, at
        )
    reason, text = None, []
    given = item.overrideReason
    if given is not None and given.reason is not None:
        if given.reason.system == REASON_SYSTEM and given.reason.code in REASONS:
            reason = given.reason.code
        else:
            reason = "other"
            text.append(
                f"{given.reason.system or 'no system'}|{given.reason.code}"
                + (f" ({given.reason.display})" if given.reason.display else "")
            )
    if given is not None and given.userComment:
        text.append(given.userComment)
    pathway = "off"
    regimen = None
    if card.ordered is not None:
        regimen = card.ordered
        pathway = "on" if card.ordered_on_pathway else "off"
    return DecisionRow(
        card.audit_id,
        card.uuid,
        pathway,
        None,
        regimen,
        reason,
        "; ".join(text) or None,
        card.user,
        at,
    )
