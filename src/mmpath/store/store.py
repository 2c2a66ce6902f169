"""Saved patients and the audit trail, on SQLite (default) or PostgreSQL.

Every write commits before the method returns: a method that returns has stored its
row durably (audit rows written concurrently share a commit, see ``group_commit``) (SQLite in WAL mode with ``synchronous=FULL``; PostgreSQL's commit), and a
write that fails raises :class:`StoreError` instead of being lost silently.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, event, func, insert, select, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from mmpath import __version__
from mmpath.recommendation import RecommendationOut
from mmpath.store import tables
from mmpath.store.canonical import canonical_json, check_storable, digest
from mmpath.store.group_commit import GroupCommit
from mmpath.store.url import database_url, redact


class StoreError(RuntimeError):
    """The database could not be reached, read or written; the message says which and why."""


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
    input_digest: str
    guideline: str
    packs: list[dict[str, str]]
    mmpath_version: str
    record_json: str  # canonical JSON of the record as submitted
    output_json: str  # the recommendation exactly as it was returned

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "source": self.source,
            "saved_patient_id": self.saved_patient_id,
            "input_digest": self.input_digest,
            "guideline": self.guideline,
            "packs": self.packs,
            "mmpath_version": self.mmpath_version,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "record": json.loads(self.record_json),
            "output": json.loads(self.output_json),
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
) -> dict[str, Any]:
    check_storable(record)
    packs = [{"id": r.guideline.id, "version": r.guideline.version} for r in output.results]
    return {
        "source": source,
        "saved_patient_id": saved_patient_id,
        "input_digest": digest(record),
        "record_json": canonical_json(record),
        "guideline": guideline,
        "packs_json": canonical_json(packs),
        "mmpath_version": output.mmpath_version or __version__,
        "output_json": output_json if output_json is not None else output.model_dump_json(),
    }


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
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


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
        self._audit_writer.close()
        self.engine.dispose()

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
        row = _audit_row(record, guideline, output, output_json, source, saved_patient_id)
        try:
            return self._audit_writer.submit(row)
        except SQLAlchemyError as error:
            raise self._fail("writing the audit trail", error) from None

    async def record_recommendation_async(
        self,
        record: dict[str, Any],
        guideline: str,
        output: RecommendationOut,
        *,
        output_json: str | None = None,
        source: str = "api",
        saved_patient_id: str | None = None,
    ) -> int:
        """:meth:`record_recommendation` for an event loop: awaits the commit without
        occupying a worker thread (the writer thread wakes the loop directly)."""
        row = _audit_row(record, guideline, output, output_json, source, saved_patient_id)
        try:
            return await asyncio.wrap_future(self._audit_writer.submit_future(row))
        except SQLAlchemyError as error:
            raise self._fail("writing the audit trail", error) from None

    def _insert_audit_rows(self, rows: list[dict[str, Any]]) -> list[int]:
        """One transaction for ``rows`` (the group commit's batch); their ids in order."""
        now = _now()  # the commit's time: ids and times grow together
        statement = insert(tables.audit).returning(tables.audit.c.id, sort_by_parameter_order=True)
        with self.engine.begin() as conn:
            ids = [
                int(i)
                for i in conn.execute(statement, [{**r, "created_at": now} for r in rows]).scalars()
            ]
        if len(ids) != len(rows):
            raise StoreError("database did not return the new audit ids")
        return ids

    def count_audit(self) -> int:
        try:
            with self.engine.connect() as conn:
                return int(
                    conn.execute(select(func.count()).select_from(tables.audit)).scalar_one()
                )
        except SQLAlchemyError as error:
            raise self._fail("counting audit entries", error) from None

    def list_audit(self, *, limit: int | None = 100, offset: int = 0) -> list[AuditEntry]:
        """Audit entries, newest first."""
        query = select(tables.audit).order_by(tables.audit.c.id.desc()).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
        except SQLAlchemyError as error:
            raise self._fail("listing the audit trail", error) from None
        return [self._audit(r) for r in rows]

    def iter_audit(self, *, batch: int = 500) -> Iterator[AuditEntry]:
        """Every audit entry, oldest first, read in batches (for export)."""
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
            for row in rows:
                yield self._audit(row)
            last = rows[-1]["id"]

    def get_audit(self, audit_id: int) -> AuditEntry | None:
        query = select(tables.audit).where(tables.audit.c.id == audit_id)
        try:
            with self.engine.connect() as conn:
                row = conn.execute(query).mappings().first()
        except SQLAlchemyError as error:
            raise self._fail("reading the audit entry", error) from None
        return None if row is None else self._audit(row)

    @staticmethod
    def _audit(row: Any) -> AuditEntry:
        return AuditEntry(
            id=int(row["id"]),
            created_at=_utc(row["created_at"]),
            source=row["source"],
            saved_patient_id=row["saved_patient_id"],
            input_digest=row["input_digest"],
            guideline=row["guideline"],
            packs=json.loads(row["packs_json"]),
            mmpath_version=row["mmpath_version"],
            record_json=row["record_json"],
            output_json=row["output_json"],
        )
