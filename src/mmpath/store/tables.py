"""The database tables (the Alembic migrations in ``migrations/versions`` create them).

JSON is stored as canonical text (see :mod:`mmpath.store.canonical`) rather than a JSON
column type, so what is stored is byte-identical on SQLite and PostgreSQL and a stored
output can be compared byte for byte with a new one.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text

metadata = MetaData()

patients = Table(
    "patients",
    metadata,
    Column("id", String(32), primary_key=True),  # uuid4 hex, assigned by mmpath
    Column("label", String(200), nullable=True),  # the record's own ``id``, if any
    Column("record_json", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("source", String(20), nullable=False),  # api | web
    Column("saved_patient_id", String(32), nullable=True, index=True),
    Column("input_digest", String(71), nullable=False, index=True),
    Column("record_json", Text, nullable=False),
    Column("guideline", String(100), nullable=False),  # as requested: a pack id or "all"
    Column("packs_json", Text, nullable=False),  # [{"id": ..., "version": ...}]
    Column("mmpath_version", String(40), nullable=False),
    Column("output_json", Text, nullable=False),
)

#: Every saved version of a patient's record, oldest first (revision ``patient_history``).
patient_versions = Table(
    "patient_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", String(32), nullable=False, index=True),
    Column("label", String(200), nullable=True),
    Column("record_json", Text, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
)
