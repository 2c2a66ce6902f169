"""Decisions recorded against audit rows, and the CDS Hooks cards that audit rows answer.

A decision says what was decided for the recommendation of one audit row
(recommendation-v1 "Additions in 1.1": ``{option_id | regimen, pathway: on | off,
reason, reason_text, by, at}``; ``reason`` from :data:`REASONS`). A card row maps a CDS
Hooks card ``uuid`` to the audit row of the recommendation it showed, and its
suggestions' ``uuid`` to the options they proposed, so feedback lands on that row.

Both tables are created by the Alembic revision ``decisions`` (``0002_decisions.py``);
they sit on the same metadata as the store's other tables. ``audit_id`` holds the id of
an audit row; no foreign key is declared (the audit trail is append-only and owned by
the store; the writers here only take ids the store returned). Functions take the
:class:`~mmpath.store.Store` and use its engine; every write commits before returning
and a failure raises :class:`~mmpath.store.StoreError`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from mmpath.store.store import Store, StoreError
from mmpath.store.tables import metadata

#: Off-pathway reasons (issue 10; recommendation-v1 "Additions in 1.1").
REASONS: dict[str, str] = {
    "toxicity_comorbidity": "Toxicity or comorbidity",
    "prior_treatment": "Prior treatment",
    "patient_preference": "Patient preference",
    "clinical_trial": "Clinical trial",
    "documented_rationale": "Documented rationale",
    "other": "Other",
}
Pathway = Literal["on", "off"]

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("audit_id", Integer, nullable=False, index=True),  # audit.id it answers
    Column("option_id", String(100), nullable=True),
    Column("regimen", String(200), nullable=True),
    Column("pathway", String(3), nullable=False),  # on | off
    Column("reason", String(40), nullable=True),
    Column("reason_text", Text, nullable=True),
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("source", String(20), nullable=False),  # api | web | cds-hooks
    Column("card_uuid", String(36), nullable=True),
)

cds_cards = Table(
    "cds_cards",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column("audit_id", Integer, nullable=False),  # audit.id of the answer
    Column("service", String(100), nullable=False),
    Column("hook_instance", String(100), nullable=False),
    Column("card_json", Text, nullable=False),  # suggestions, order verdict, user
    Column("created_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True, slots=True)
class Decision:
    id: int
    audit_id: int
    option_id: str | None
    regimen: str | None
    pathway: Pathway
    reason: str | None
    reason_text: str | None
    by: str | None
    at: dt.datetime
    source: str
    card_uuid: str | None

    def as_json(self) -> dict[str, Any]:
        """The ``decision`` object of recommendation-v1 1.1 (plus where it came from)."""
        return {
            "option_id": self.option_id,
            "regimen": self.regimen,
            "pathway": self.pathway,
            "reason": self.reason,
            "reason_text": self.reason_text,
            "by": self.by,
            "at": self.at.isoformat(),
            "source": self.source,
            "card": self.card_uuid,
        }


@dataclass(frozen=True, slots=True)
class Card:
    uuid: str
    audit_id: int
    service: str
    suggestions: dict[str, str]  # suggestion uuid -> option id it proposes
    ordered: str | None = None  # order-select: the regimen being ordered
    ordered_on_pathway: bool | None = None  # ... and whether it is a recommended option
    user: str | None = None  # the hook's context.userId

    def as_json(self) -> dict[str, Any]:
        return {
            "suggestions": self.suggestions,
            "ordered": self.ordered,
            "ordered_on_pathway": self.ordered_on_pathway,
            "user": self.user,
        }


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _fail(store: Store, what: str, error: SQLAlchemyError) -> StoreError:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return StoreError(f"database error while {what}: {text[0] if text else type(error).__name__}")


def record_cards(store: Store, rows: list[Card], hook_instance: str) -> None:
    """Store the cards of one CDS Hooks response (one transaction)."""
    if not rows:
        return
    now = dt.datetime.now(dt.UTC)
    values = [
        {
            "uuid": card.uuid,
            "audit_id": card.audit_id,
            "service": card.service,
            "hook_instance": hook_instance[:100],
            "card_json": json.dumps(card.as_json(), sort_keys=True),
            "created_at": now,
        }
        for card in rows
    ]
    try:
        with store.engine.begin() as conn:
            conn.execute(insert(cds_cards), values)
    except SQLAlchemyError as error:
        raise _fail(store, "storing CDS Hooks cards", error) from None


def find_card(store: Store, uuid: str) -> Card | None:
    query = select(cds_cards).where(cds_cards.c.uuid == uuid)
    try:
        with store.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
    except SQLAlchemyError as error:
        raise _fail(store, "reading a CDS Hooks card", error) from None
    if row is None:
        return None
    data = json.loads(row["card_json"])
    return Card(
        row["uuid"],
        int(row["audit_id"]),
        row["service"],
        data["suggestions"],
        data.get("ordered"),
        data.get("ordered_on_pathway"),
        data.get("user"),
    )


def record_decision(
    store: Store,
    audit_id: int,
    *,
    pathway: Pathway,
    option_id: str | None = None,
    regimen: str | None = None,
    reason: str | None = None,
    reason_text: str | None = None,
    by: str | None = None,
    at: dt.datetime,
    source: str,
    card_uuid: str | None = None,
) -> int:
    """Store one decision; return its id. ``reason`` must be one of :data:`REASONS`."""
    if reason is not None and reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}; expected one of {', '.join(REASONS)}")
    if pathway not in ("on", "off"):
        raise ValueError(f"pathway must be 'on' or 'off', got {pathway!r}")
    row = {
        "audit_id": audit_id,
        "option_id": option_id,
        "regimen": regimen,
        "pathway": pathway,
        "reason": reason,
        "reason_text": reason_text,
        "decided_by": by,
        "decided_at": at,
        "recorded_at": dt.datetime.now(dt.UTC),
        "source": source,
        "card_uuid": card_uuid,
    }
    try:
        with store.engine.begin() as conn:
            inserted = conn.execute(insert(decisions).returning(decisions.c.id), row).scalar_one()
    except SQLAlchemyError as error:
        raise _fail(store, "recording the decision", error) from None
    return int(inserted)


def decisions_for(store: Store, audit_id: int) -> list[Decision]:
    """The decisions recorded for one audit row, oldest first."""
    return decisions_for_many(store, [audit_id]).get(audit_id, [])


def decisions_for_many(store: Store, audit_ids: Iterable[int]) -> dict[int, list[Decision]]:
    """audit id -> the decisions recorded for it, oldest first (ids without any: absent)."""
    wanted = sorted(set(audit_ids))
    if not wanted:
        return {}
    query = select(decisions).where(decisions.c.audit_id.in_(wanted)).order_by(decisions.c.id)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
    except SQLAlchemyError as error:
        raise _fail(store, "reading decisions", error) from None
    found: dict[int, list[Decision]] = {}
    for r in rows:
        found.setdefault(int(r["audit_id"]), []).append(
            Decision(
                id=int(r["id"]),
                audit_id=int(r["audit_id"]),
                option_id=r["option_id"],
                regimen=r["regimen"],
                pathway=r["pathway"],
                reason=r["reason"],
                reason_text=r["reason_text"],
                by=r["decided_by"],
                at=_utc(r["decided_at"]),
                source=r["source"],
                card_uuid=r["card_uuid"],
            )
        )
    return found


def save_decision(store: Store, audit_id: int, decision: Any, source: str) -> int:
    """Store a checked :class:`mmpath.api.decision.DecisionIn` for ``audit_id``."""
    return record_decision(
        store,
        audit_id,
        pathway=decision.pathway,
        option_id=decision.option_id,
        regimen=decision.regimen,
        reason=decision.reason,
        reason_text=decision.reason_text,
        by=decision.by,
        at=decision.at,
        source=source,
    )
