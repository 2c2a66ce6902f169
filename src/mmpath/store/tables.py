"""The database tables (the Alembic migrations in ``migrations/versions`` create them).

JSON is stored as canonical text (see :mod:`mmpath.store.canonical`) rather than a JSON
column type, so what is stored is byte-identical on SQLite and PostgreSQL and a stored
output can be compared byte for byte with a new one.

The audit trail (revision ``audit_chain``, docs/security.md "Audit trail"):

* ``audit`` is append-only (triggers refuse UPDATE and DELETE on SQLite and PostgreSQL,
  and no code path updates or deletes a row). Each row holds the hash of the row before
  it (``prev_hash``) and its own (``row_hash``), a SHA-256 chain over the canonical row
  (:mod:`mmpath.store.chain`). Rows are recommendations (``action`` ``evaluate``) and
  access events (``view``, ``save``, ``delete``, ``export``, ``sign-in``, ...).
* The record and the output of a recommendation are not in the row but in ``payloads``,
  keyed by their SHA-256 digest (the row holds the digests, so the chain covers them):
  the same record or output is stored once, compressed. Payloads older than the retention
  setting may be pruned; the chain stays verifiable.
* ``audit_head`` (one row) holds the last id and hash: ids are never reused, and a
  deleted last row is detected.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

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
    Column("id", Integer, primary_key=True, autoincrement=False),  # head.last_id + 1
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("action", String(20), nullable=False),  # evaluate | view | save | delete | ...
    Column("actor", String(200), nullable=True),  # user name; None: no sign-in (--no-auth)
    Column("source", String(20), nullable=False),  # api | web | cli | cds-hooks
    Column("saved_patient_id", String(32), nullable=True, index=True),
    Column("input_digest", String(71), nullable=True, index=True),  # the record's digest
    Column("guideline", String(100), nullable=True),  # as requested: a pack id or "all"
    Column("packs_json", Text, nullable=True),  # [{"id": ..., "version": ...}]
    Column("mmpath_version", String(40), nullable=False),
    Column("output_digest", String(71), nullable=True),  # the output's digest
    Column("detail", String(500), nullable=True),  # what an access event was about
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False, unique=True),
)

#: Records and outputs of audit rows by content digest, zlib-compressed UTF-8.
payloads = Table(
    "payloads",
    metadata,
    Column("digest", String(71), primary_key=True),  # sha256:<hex> of the text
    Column("body", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),  # characters of the text
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

#: The last audit row written (one row, id 1): the next id and the chain's head.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_id", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

# -- identity (revision ``identity``; mmpath.auth.accounts) ---------------------------------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("display", String(200), nullable=True),
    Column("role", String(20), nullable=False),  # viewer | clinician | admin
    Column("password_hash", String(300), nullable=True),  # Argon2id; None: OIDC only
    Column("oidc_subject", String(400), nullable=True, unique=True),  # "<issuer> <sub>"
    Column("disabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the cookie's secret
    Column("user_id", Integer, nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("label", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 of the token
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

#: One row, rewritten by each readiness check (/api/v1/health): proves a commit works.
health = Table(
    "health",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
)

#: OpenID Connect sign-ins under way: state -> nonce, PKCE verifier, where to go after.
oidc_states = Table(
    "oidc_states",
    metadata,
    Column("state", String(100), primary_key=True),
    Column("nonce", String(100), nullable=False),
    Column("verifier", String(100), nullable=False),
    Column("next", String(2000), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
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
