"""Saved patients and the audit trail, on SQLite (default) or PostgreSQL.

Every write commits before the method returns: a method that returns has stored its
row durably (audit rows written concurrently share a commit, see ``group_commit``) (SQLite in WAL mode with ``synchronous=FULL``; PostgreSQL's commit), and a
write that fails raises :class:`StoreError` instead of being lost silently.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, event, func, insert, select, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from mmpath import __version__
from mmpath.recommendation import RecommendationOut
from mmpath.store import tables
from mmpath.store.canonical import canonical_json, check_storable
from mmpath.store.chain import Verification, row_hash, verify
from mmpath.store.group_commit import GroupCommit
from mmpath.store.url import database_url, redact


class StoreError(RuntimeError):
    """The database could not be reached, read or written; the message says which and why."""


#: Who is acting (the signed-in user's name), set per request by the web/API middleware;
#: every audit row written in that context names them (``actor``). None: no sign-in.
current_actor: ContextVar[str | None] = ContextVar("mmpath_actor", default=None)

#: Access events written to the audit chain beside recommendations (``evaluate``).
ACTIONS = frozenset(
    {
        "evaluate",  # a recommendation was made and shown
        "view",  # a saved patient's record was shown
        "list",  # the saved-patient list was shown
        "save",  # a saved patient was created or updated
        "delete",  # a saved patient was deleted
        "export",  # a record, summary or the audit trail was downloaded
        "sign-in",
        "sign-in-failed",
        "sign-out",
        "user",  # a user account or API token was created, changed or disabled
        "retention",  # audit payloads before a time were pruned (detail: that time)
    }
)


def text_digest(text: str) -> str:
    """``sha256:<hex>`` of UTF-8 ``text`` (the key of a payload)."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class SavedPatient:
    id: str
    label: str | None  # the record's own ``id`` field
    record: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    def as_json(self) -> dict[str, Any]:
        return {**self.summary(), "record": self.record}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    created_at: dt.datetime
    source: str
    saved_patient_id: str | None
    input_digest: str | None
    guideline: str | None
    packs: list[dict[str, str]]
    mmpath_version: str
    #: canonical JSON of the record as submitted; None for an access event, when not
    #: loaded (listings) or when pruned by retention
    record_json: str | None
    output_json: str | None  # the recommendation exactly as it was returned (as record_json)
    action: str = "evaluate"
    actor: str | None = None
    detail: str | None = None
    output_digest: str | None = None
    prev_hash: str = ""
    row_hash: str = ""

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "action": self.action,
            "actor": self.actor,
            "source": self.source,
            "saved_patient_id": self.saved_patient_id,
            "input_digest": self.input_digest,
            "guideline": self.guideline,
            "packs": self.packs,
            "mmpath_version": self.mmpath_version,
            "output_digest": self.output_digest,
            "detail": self.detail,
            "row_hash": self.row_hash,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "prev_hash": self.prev_hash,
            "record": None if self.record_json is None else json.loads(self.record_json),
            "output": None if self.output_json is None else json.loads(self.output_json),
        }


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything is written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _label(record: dict[str, Any]) -> str | None:
    value = record.get("id")
    return str(value)[:200] if value is not None else None


def _version(patient_id: str, row: dict[str, Any]) -> dict[str, Any]:
    """The ``patient_versions`` row of a patient row just written."""
    return {
        "patient_id": patient_id,
        "label": row["label"],
        "record_json": row["record_json"],
        "saved_at": row["updated_at"],
    }


def _audit_row(
    record: dict[str, Any],
    guideline: str,
    output: RecommendationOut,
    output_json: str | None,
    source: str,
    saved_patient_id: str | None,
    actor: str | None = None,
) -> dict[str, Any]:
    """An ``evaluate`` row (without id, time and hashes) and its two payloads.

    ``actor``: default the current context's signed-in user (:data:`current_actor`).
    """
    check_storable(record)
    packs = [{"id": r.guideline.id, "version": r.guideline.version} for r in output.results]
    record_text = canonical_json(record)
    output_text = output_json if output_json is not None else output.model_dump_json()
    input_digest, output_digest = text_digest(record_text), text_digest(output_text)
    return {
        "action": "evaluate",
        "actor": actor if actor is not None else current_actor.get(),
        "source": source,
        "saved_patient_id": saved_patient_id,
        "input_digest": input_digest,
        "guideline": guideline,
        "packs_json": canonical_json(packs),
        "mmpath_version": output.mmpath_version or __version__,
        "output_digest": output_digest,
        "detail": None,
        "_payloads": {input_digest: record_text, output_digest: output_text},
    }


def _event_row(
    action: str, source: str, patient_id: str | None, detail: str | None, actor: str | None
) -> dict[str, Any]:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return {
        "action": action,
        "actor": actor if actor is not None else current_actor.get(),
        "source": source[:20],
        "saved_patient_id": patient_id,
        "input_digest": None,
        "guideline": None,
        "packs_json": None,
        "mmpath_version": __version__,
        "output_digest": None,
        "detail": None if detail is None else detail[:500],
        "_payloads": {},
    }


def _compress(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), 6)


def _decompress(body: bytes) -> str:
    return zlib.decompress(body).decode("utf-8")


def _cause(error: Exception) -> str:
    """The driver's first line (no SQL, no parameters: those may hold patient data)."""
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before it is acknowledged (survives power loss, not only
    # a killed process); the benchmark in bench/http measures what that costs.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and "uri" not in parsed.query:
            _owner_only(Path(parsed.database))
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _owner_only(path: Path) -> None:
    """Create the SQLite file (and a missing folder) readable by its owner only: it holds
    patient records. SQLite gives its -wal and -shm files the database file's mode."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


#: Below this much free space on the SQLite file's disk, /health says not ready.
MIN_FREE_BYTES = 50_000_000


class Store:
    """The persistence API used by the HTTP API, the web pages and ``mmpath audit``.

    ``Store(url)`` opens the database (``None``: ``$MMPATH_DATABASE_URL`` or the default
    SQLite file) and, unless ``migrate=False``, applies the migrations first.
    """

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self.url = database_url(url)
        self._audit_writer = GroupCommit(self._insert_audit_rows)
        try:
            self.engine = make_engine(self.url)
            if migrate:
                from mmpath.store.migrate import upgrade

                upgrade(self.engine)
        except (SQLAlchemyError, OSError) as error:
            raise StoreError(
                f"cannot open the database {redact(self.url)}: {_cause(error)}"
            ) from None

    def close(self) -> None:
        """Finish pending audit writes, checkpoint SQLite's write-ahead log, disconnect."""
        self._audit_writer.close()
        if self.engine.dialect.name == "sqlite":
            try:
                with self.engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            except SQLAlchemyError:
                pass  # a database that cannot be checkpointed keeps its WAL; nothing is lost
        self.engine.dispose()

    def sqlite_path(self) -> Path | None:
        parsed = make_url(self.url)
        if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
            return None
        database = str(parsed.database)
        return Path(database.removeprefix("file:") if "uri" in parsed.query else database)

    def ready(self) -> None:
        """Raise :class:`StoreError` unless the database can take a write now: a commit to
        the ``health`` table (a full or read-only disk fails it), and for SQLite at least
        :data:`MIN_FREE_BYTES` free on its disk."""
        path = self.sqlite_path()
        if path is not None:
            free = shutil.disk_usage(path.parent).free
            if free < MIN_FREE_BYTES:
                raise StoreError(f"the database's disk has {free // 1_000_000} MB free")
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    update(tables.health).where(tables.health.c.id == 1).values(checked_at=_now())
                )
        except SQLAlchemyError as error:
            raise self._fail("writing (health check)", error) from None

    def _fail(self, what: str, error: Exception) -> StoreError:
        return StoreError(f"database error while {what} ({redact(self.url)}): {_cause(error)}")

    def ping(self) -> None:
        """Raise :class:`StoreError` unless the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as error:
            raise self._fail("checking the connection", error) from None

    # -- saved patients -------------------------------------------------------------

    def create_patient(self, record: dict[str, Any]) -> str:
        """Store a (validated) record; return its new id.

        Raises ``RecordError`` for text no database can hold (see ``unstorable_text``).
        """
        check_storable(record)
        patient_id = uuid.uuid4().hex
        now = _now()
        row = {
            "id": patient_id,
            "label": _label(record),
            "record_json": canonical_json(record),
            "created_at": now,
            "updated_at": now,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(tables.patients).values(**row))
                conn.execute(insert(tables.patient_versions).values(**_version(patient_id, row)))
        except SQLAlchemyError as error:
            raise self._fail("saving the patient", error) from None
        return patient_id

    def list_patients(self) -> list[SavedPatient]:
        """Every saved patient, most recently updated first."""
        query = select(tables.patients).order_by(
            tables.patients.c.updated_at.desc(), tables.patients.c.id
        )
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
        except SQLAlchemyError as error:
            raise self._fail("listing patients", error) from None
        return [self._patient(r) for r in rows]

    def get_patient(self, patient_id: str) -> SavedPatient | None:
        query = select(tables.patients).where(tables.patients.c.id == patient_id)
        try:
            with self.engine.connect() as conn:
                row = conn.execute(query).mappings().first()
        except SQLAlchemyError as error:
            raise self._fail("reading the patient", error) from None
        return None if row is None else self._patient(row)

    def update_patient(self, patient_id: str, record: dict[str, Any]) -> bool:
        """Replace the record, keeping the earlier one in the history (``patient_versions``);
        False when there is no such patient (``RecordError`` as create)."""
        check_storable(record)
        values = {
            "label": _label(record),
            "record_json": canonical_json(record),
            "updated_at": _now(),
        }
        query = update(tables.patients).where(tables.patients.c.id == patient_id).values(**values)
        try:
            with self.engine.begin() as conn:
                if conn.execute(query).rowcount != 1:
                    return False
                conn.execute(insert(tables.patient_versions).values(**_version(patient_id, values)))
                return True
        except SQLAlchemyError as error:
            raise self._fail("updating the patient", error) from None

    def delete_patient(self, patient_id: str) -> bool:
        """Delete the saved patient and its history (its audit rows stay); False when
        there is none."""
        query = delete(tables.patients).where(tables.patients.c.id == patient_id)
        versions = delete(tables.patient_versions).where(
            tables.patient_versions.c.patient_id == patient_id
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(versions)
                return conn.execute(query).rowcount == 1
        except SQLAlchemyError as error:
            raise self._fail("deleting the patient", error) from None

    @staticmethod
    def _patient(row: Any) -> SavedPatient:
        return SavedPatient(
            id=row["id"],
            label=row["label"],
            record=json.loads(row["record_json"]),
            created_at=_utc(row["created_at"]),
            updated_at=_utc(row["updated_at"]),
        )

    # -- audit trail ----------------------------------------------------------------

    def audit_row(
        self,
        record: dict[str, Any],
        guideline: str,
        output: RecommendationOut,
        *,
        output_json: str | None = None,
        source: str = "api",
        saved_patient_id: str | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """Build a recommendation's audit row, ready for :meth:`commit_audit_row` (CPU only).

        Runs in the caller's thread (the API: the request's worker thread, not the event
        loop): the storable check, the canonical record and both digests. The single
        writer then checks which payloads the database lacks and compresses only those
        (compressing here instead, before knowing, measured slower: bench/http/README.md).
        ``actor``: default :data:`current_actor` of the calling context. Raises
        ``RecordError`` for text no database can hold.
        """
        return _audit_row(record, guideline, output, output_json, source, saved_patient_id, actor)

    def commit_audit_row(self, row: dict[str, Any]) -> int:
        """Queue ``row`` (from :meth:`audit_row`) for the single audit writer and return
        its id once the transaction holding it has committed (``StoreError`` if not)."""
        try:
            return self._audit_writer.submit(row)
        except SQLAlchemyError as error:
            raise self._fail("writing the audit trail", error) from None

    async def commit_audit_row_async(self, row: dict[str, Any]) -> int:
        """:meth:`commit_audit_row` for an event loop: awaits the commit without
        occupying a worker thread (the writer thread wakes the loop directly)."""
        try:
            return await asyncio.wrap_future(self._audit_writer.submit_future(row))
        except SQLAlchemyError as error:
            raise self._fail("writing the audit trail", error) from None

    def record_recommendation(
        self,
        record: dict[str, Any],
        guideline: str,
        output: RecommendationOut,
        *,
        output_json: str | None = None,
        source: str = "api",
        saved_patient_id: str | None = None,
    ) -> int:
        """Store one recommendation in the audit trail; return the audit id.

        ``record`` is the record as submitted (a decoded JSON object); ``output_json``
        the exact text returned to the user (default: ``output.model_dump_json()``).
        Raises ``RecordError`` for text no database can hold, ``StoreError`` when the
        write fails.
        """
        row = self.audit_row(
            record,
            guideline,
            output,
            output_json=output_json,
            source=source,
            saved_patient_id=saved_patient_id,
        )
        return self.commit_audit_row(row)

    def record_event(
        self,
        action: str,
        *,
        source: str = "web",
        patient_id: str | None = None,
        detail: str | None = None,
        actor: str | None = None,
    ) -> int:
        """Write an access event (``view``, ``save``, ``delete``, ``export``, ``sign-in``, ...)
        into the audit chain; return its id once committed. ``actor``: default the
        request's signed-in user (:data:`current_actor`)."""
        row = _event_row(action, source, patient_id, detail, actor)
        try:
            return self._audit_writer.submit(row)
        except SQLAlchemyError as error:
            raise self._fail("writing the audit trail", error) from None

    async def record_event_async(
        self,
        action: str,
        *,
        source: str = "web",
        patient_id: str | None = None,
        detail: str | None = None,
        actor: str | None = None,
    ) -> int:
        """:meth:`record_event` for an event loop."""
        row = _event_row(action, source, patient_id, detail, actor)
        try:
            return await asyncio.wrap_future(self._audit_writer.submit_future(row))
        except SQLAlchemyError as error:
            raise self._fail("writing the audit trail", error) from None

    def _insert_audit_rows(self, rows: list[dict[str, Any]]) -> list[int]:
        """One transaction for ``rows`` (the group commit's batch); their ids in order.

        The transaction first touches the chain head (``audit_head``), which takes the
        write lock (SQLite) or the head row's lock (PostgreSQL) before the head is read:
        writers in other processes queue there, so ids follow the head and the chain
        never forks.
        """
        now = _now()  # the commit's time: ids and times grow together
        head = tables.audit_head
        with self.engine.begin() as conn:
            conn.execute(update(head).where(head.c.id == 1).values(last_id=head.c.last_id))
            found = conn.execute(
                select(head.c.last_id, head.c.last_hash).where(head.c.id == 1)
            ).first()
            if found is None:
                raise StoreError("the audit chain head (audit_head) is missing")
            last_id, prev = int(found[0]), str(found[1])
            texts: dict[str, str] = {}
            for row in rows:
                texts.update(row["_payloads"])
            if texts:
                have = set(
                    conn.execute(
                        select(tables.payloads.c.digest).where(
                            tables.payloads.c.digest.in_(list(texts))
                        )
                    ).scalars()
                )
                new = [
                    {"digest": k, "body": _compress(t), "size": len(t), "created_at": now}
                    for k, t in texts.items()
                    if k not in have
                ]
                if new:
                    conn.execute(insert(tables.payloads), new)
            values = []
            for row in rows:
                last_id += 1
                value = {k: v for k, v in row.items() if k != "_payloads"}
                value.update(id=last_id, created_at=now, prev_hash=prev)
                value["row_hash"] = prev = row_hash(prev, value)
                values.append(value)
            conn.execute(insert(tables.audit), values)
            conn.execute(update(head).where(head.c.id == 1).values(last_id=last_id, last_hash=prev))
        return [v["id"] for v in values]

    def count_audit(self, action: str | None = None) -> int:
        """Audit rows (of ``action`` only, e.g. ``evaluate`` for recommendations)."""
        query = select(func.count()).select_from(tables.audit)
        if action is not None:
            query = query.where(tables.audit.c.action == action)
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(query).scalar_one())
        except SQLAlchemyError as error:
            raise self._fail("counting audit entries", error) from None

    def list_audit(
        self, *, limit: int | None = 100, offset: int = 0, payloads: bool = True
    ) -> list[AuditEntry]:
        """Audit entries, newest first (``payloads=False``: without record and output)."""
        query = select(tables.audit).order_by(tables.audit.c.id.desc()).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
                texts = self._payloads(conn, rows) if payloads else {}
        except SQLAlchemyError as error:
            raise self._fail("listing the audit trail", error) from None
        return [self._audit(r, texts) for r in rows]

    def _rows(self, *, batch: int = 500) -> Iterator[list[Any]]:
        last = 0
        while True:
            query = (
                select(tables.audit)
                .where(tables.audit.c.id > last)
                .order_by(tables.audit.c.id)
                .limit(batch)
            )
            try:
                with self.engine.connect() as conn:
                    rows = conn.execute(query).mappings().all()
            except SQLAlchemyError as error:
                raise self._fail("reading the audit trail", error) from None
            if not rows:
                return
            yield list(rows)
            last = rows[-1]["id"]

    def iter_audit(self, *, batch: int = 500) -> Iterator[AuditEntry]:
        """Every audit entry, oldest first, read in batches (for export)."""
        for rows in self._rows(batch=batch):
            try:
                with self.engine.connect() as conn:
                    texts = self._payloads(conn, rows)
            except SQLAlchemyError as error:
                raise self._fail("reading the audit trail", error) from None
            for row in rows:
                yield self._audit(row, texts)

    def get_audit(self, audit_id: int) -> AuditEntry | None:
        query = select(tables.audit).where(tables.audit.c.id == audit_id)
        try:
            with self.engine.connect() as conn:
                row = conn.execute(query).mappings().first()
                texts = self._payloads(conn, [row]) if row is not None else {}
        except SQLAlchemyError as error:
            raise self._fail("reading the audit entry", error) from None
        return None if row is None else self._audit(row, texts)

    @staticmethod
    def _payloads(conn: Any, rows: Any) -> dict[str, str]:
        keys = {r[c] for r in rows for c in ("input_digest", "output_digest") if r[c]}
        if not keys:
            return {}
        query = select(tables.payloads.c.digest, tables.payloads.c.body).where(
            tables.payloads.c.digest.in_(sorted(keys))
        )
        return {k: _decompress(b) for k, b in conn.execute(query).all()}

    @staticmethod
    def _audit(row: Any, texts: dict[str, str]) -> AuditEntry:
        return AuditEntry(
            id=int(row["id"]),
            created_at=_utc(row["created_at"]),
            source=row["source"],
            saved_patient_id=row["saved_patient_id"],
            input_digest=row["input_digest"],
            guideline=row["guideline"],
            packs=json.loads(row["packs_json"]) if row["packs_json"] else [],
            mmpath_version=row["mmpath_version"],
            record_json=texts.get(row["input_digest"] or ""),
            output_json=texts.get(row["output_digest"] or ""),
            action=row["action"],
            actor=row["actor"],
            detail=row["detail"],
            output_digest=row["output_digest"],
            prev_hash=row["prev_hash"],
            row_hash=row["row_hash"],
        )

    # -- verification and retention --------------------------------------------------

    def audit_head(self) -> tuple[int, str] | None:
        head = tables.audit_head
        try:
            with self.engine.connect() as conn:
                found = conn.execute(
                    select(head.c.last_id, head.c.last_hash).where(head.c.id == 1)
                ).first()
        except SQLAlchemyError as error:
            raise self._fail("reading the audit chain head", error) from None
        return None if found is None else (int(found[0]), str(found[1]))

    def verify_audit(self) -> Verification:
        """Recompute the whole chain and every stored payload's digest (see ``chain``)."""
        head = self.audit_head()
        digests: dict[str, str | None] = {}
        # the latest retention horizon (itself a row of the chain, verified below)
        query = select(tables.audit.c.detail).where(tables.audit.c.action == "retention")
        try:
            with self.engine.connect() as conn:
                horizons = [
                    _utc(dt.datetime.fromisoformat(d)) for d in conn.execute(query).scalars() if d
                ]
        except (SQLAlchemyError, ValueError) as error:
            raise self._fail("reading retention events", error) from None

        def rows() -> Iterator[dict[str, Any]]:
            for batch in self._rows():
                keys = {r[c] for r in batch for c in ("input_digest", "output_digest") if r[c]}
                query = select(tables.payloads.c.digest, tables.payloads.c.body).where(
                    tables.payloads.c.digest.in_(sorted(keys - set(digests)))
                )
                try:
                    with self.engine.connect() as conn:
                        for key, body in conn.execute(query).all():
                            try:
                                digests[key] = text_digest(_decompress(body))
                            except (zlib.error, UnicodeDecodeError):
                                digests[key] = "unreadable"
                except SQLAlchemyError as error:
                    raise self._fail("reading audit payloads", error) from None
                for row in batch:
                    yield dict(row)

        lookup: Callable[[str], str | None] = digests.get
        return verify(rows(), lookup, head, pruned_before=max(horizons, default=None))

    def prune_payloads(self, before: dt.datetime, *, source: str = "cli") -> int:
        """Retention: delete the records and outputs of audit rows written before
        ``before`` (payloads still used by a later row stay); the rows and the chain stay.
        The pruning is itself written to the chain (action ``retention``, ``source``: who
        pruned, ``cli`` or ``serve``). Returns the number of payloads deleted."""
        before = _utc(before)
        audit, payloads = tables.audit, tables.payloads
        used = (
            select(audit.c.input_digest)
            .where(audit.c.created_at >= before, audit.c.input_digest.is_not(None))
            .union(
                select(audit.c.output_digest).where(
                    audit.c.created_at >= before, audit.c.output_digest.is_not(None)
                )
            )
        )
        query = delete(payloads).where(
            payloads.c.created_at < before, payloads.c.digest.not_in(used)
        )
        try:
            with self.engine.begin() as conn:
                deleted = int(conn.execute(query).rowcount or 0)
        except SQLAlchemyError as error:
            raise self._fail("pruning audit payloads", error) from None
        self.record_event(
            "retention", source=source, detail=before.isoformat(timespec="microseconds")
        )
        return deleted
