"""Reading the store as a clinician does: patients with their last answer and decision,
a patient's history, and the audit trail filtered (issue 10).

Functions take the :class:`~mmpath.store.Store` and read with its engine; a failure
raises :class:`~mmpath.store.StoreError`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from mmpath.store import tables
from mmpath.store.decisions import Decision, decisions, decisions_for_many
from mmpath.store.store import AuditEntry, SavedPatient, Store, StoreError, _decompress


def _fail(what: str, error: SQLAlchemyError) -> StoreError:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return StoreError(f"database error while {what}: {text[0] if text else type(error).__name__}")


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class PatientVersion:
    number: int  # 1 = first saved
    label: str | None
    record: dict[str, Any]
    saved_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PatientRow:
    """A saved patient in the list: its last audited answer and last decision."""

    patient: SavedPatient
    last_audit_id: int | None
    last_audit_at: dt.datetime | None
    applicable: tuple[str, ...]  # guidelines that applied in the last answer
    last_decision: Decision | None


def versions(store: Store, patient_id: str) -> list[PatientVersion]:
    """Every saved version of the patient's record, oldest first."""
    t = tables.patient_versions
    query = select(t).where(t.c.patient_id == patient_id).order_by(t.c.id)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
    except SQLAlchemyError as error:
        raise _fail("reading the patient's history", error) from None
    return [
        PatientVersion(i, r["label"], json.loads(r["record_json"]), _utc(r["saved_at"]))
        for i, r in enumerate(rows, 1)
    ]


def applicable_guidelines(output_json: str | None) -> tuple[str, ...]:
    """The guideline ids an audited answer found applicable (none when its output was
    pruned by retention, or the row is an access event)."""
    if output_json is None:
        return ()
    output = json.loads(output_json)
    return tuple(r["guideline"]["id"] for r in output.get("results", []) if r.get("applicable"))


def patients(store: Store, query: str | None = None, *, limit: int = 200) -> list[PatientRow]:
    """Saved patients, most recently changed first; ``query`` matches the identifier
    (the record's ``id``, case-insensitive, anywhere) or the saved id (its start)."""
    p = tables.patients
    statement = select(p).order_by(p.c.updated_at.desc(), p.c.id).limit(limit)
    if query and query.strip():
        text = query.strip().casefold()
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(func.lower(p.c.label).like(like, escape="\\"), p.c.id.startswith(text))
        )
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(statement).mappings().all()
            ids = [r["id"] for r in rows]
            a = tables.audit
            last = (
                select(a.c.saved_patient_id, func.max(a.c.id).label("last"))
                .where(a.c.saved_patient_id.in_(ids), a.c.action == "evaluate")
                .group_by(a.c.saved_patient_id)
                .subquery()
            )
            audits = {
                r["saved_patient_id"]: r
                for r in conn.execute(
                    select(a.c.id, a.c.saved_patient_id, a.c.created_at, a.c.output_digest).join(
                        last, and_(a.c.id == last.c.last)
                    )
                ).mappings()
            }
            # the outputs are payloads by digest (store/tables.py), pruned ones absent
            digests = sorted({r["output_digest"] for r in audits.values() if r["output_digest"]})
            outputs = {
                k: _decompress(b)
                for k, b in conn.execute(
                    select(tables.payloads.c.digest, tables.payloads.c.body).where(
                        tables.payloads.c.digest.in_(digests)
                    )
                ).all()
            }
            decided = {
                r["saved_patient_id"]: int(r["last"])
                for r in conn.execute(
                    select(a.c.saved_patient_id, func.max(decisions.c.id).label("last"))
                    .join(decisions, decisions.c.audit_id == a.c.id)
                    .where(a.c.saved_patient_id.in_(ids))
                    .group_by(a.c.saved_patient_id)
                ).mappings()
            }
    except SQLAlchemyError as error:
        raise _fail("listing patients", error) from None
    latest = {d.id: d for d in _decisions_by_id(store, decided.values())}
    result = []
    for row in rows:
        audit = audits.get(row["id"])
        result.append(
            PatientRow(
                Store._patient(row),
                int(audit["id"]) if audit else None,
                _utc(audit["created_at"]) if audit else None,
                applicable_guidelines(outputs[audit["output_digest"]])
                if audit and audit["output_digest"] in outputs
                else (),
                latest.get(decided[row["id"]]) if row["id"] in decided else None,
            )
        )
    return result


def _decisions_by_id(store: Store, ids: Iterable[int]) -> list[Decision]:
    wanted = set(ids)
    if not wanted:
        return []
    query = select(decisions.c.audit_id).where(decisions.c.id.in_(wanted))
    try:
        with store.engine.connect() as conn:
            audit_ids = {int(r) for r in conn.execute(query).scalars()}
    except SQLAlchemyError as error:
        raise _fail("reading decisions", error) from None
    found = decisions_for_many(store, audit_ids)
    return [d for ds in found.values() for d in ds if d.id in wanted]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Filters of the audit browser; ``None`` = any."""

    patient_id: str | None = None
    since: dt.date | None = None  # on or after (UTC date)
    until: dt.date | None = None  # on or before (UTC date)
    guideline: str | None = None  # evaluated for this guideline
    pathway: str | None = None  # on | off | undecided
    #: audit action (``evaluate`` for recommendations only; the access log shares the table)
    action: str | None = None

    def where(self, statement: Select[Any]) -> Select[Any]:
        a = tables.audit
        if self.action:
            statement = statement.where(a.c.action == self.action)
        if self.patient_id:
            statement = statement.where(a.c.saved_patient_id == self.patient_id)
        if self.since:
            statement = statement.where(a.c.created_at >= _midnight(self.since))
        if self.until:
            statement = statement.where(
                a.c.created_at < _midnight(self.until + dt.timedelta(days=1))
            )
        if self.guideline:
            # packs_json is canonical JSON: [{"id":"nl-rrmm","version":"..."}]
            needle = '"id":' + json.dumps(self.guideline, ensure_ascii=False) + ","
            statement = statement.where(a.c.packs_json.contains(needle, autoescape=True))
        if self.pathway in ("on", "off"):
            statement = statement.where(
                exists().where(
                    and_(decisions.c.audit_id == a.c.id, decisions.c.pathway == self.pathway)
                )
            )
        elif self.pathway == "undecided":
            statement = statement.where(~exists().where(decisions.c.audit_id == a.c.id))
        return statement


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def audit_entries(
    store: Store, filters: AuditFilter, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[AuditEntry]]:
    """(how many match, the page of matching entries newest first)."""
    a = tables.audit
    count = filters.where(select(func.count()).select_from(a))
    page = filters.where(select(a)).order_by(a.c.id.desc()).limit(limit).offset(offset)
    try:
        with store.engine.connect() as conn:
            total = int(conn.execute(count).scalar_one())
            rows = conn.execute(page).mappings().all()
    except SQLAlchemyError as error:
        raise _fail("listing the audit trail", error) from None
    return total, [Store._audit(r, {}) for r in rows]
