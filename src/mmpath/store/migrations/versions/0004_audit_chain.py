"""Audit trail that proves itself: hash chain, access events, payloads by digest, append-only.

The ``audit`` table is rebuilt: each existing row (oldest first) keeps its id and gains
``action`` ``evaluate``, ``prev_hash`` and ``row_hash`` (mmpath.store.chain); its record
and output move to ``payloads`` (by SHA-256 digest, compressed, stored once). ``audit_head``
holds the last id and hash. Triggers then refuse UPDATE and DELETE on ``audit`` (and
TRUNCATE on PostgreSQL).

Revision ID: audit_chain
Revises: patient_history
Create Date: 2026-11-30
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib

import sqlalchemy as sa
from alembic import op

from mmpath.store.chain import GENESIS, row_hash

revision = "audit_chain"
down_revision = "patient_history"
branch_labels = None
depends_on = None

APPEND_ONLY = "the audit trail is append-only"

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
    f"CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
]
POSTGRES_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION mmpath_audit_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    f"RAISE EXCEPTION '{APPEND_ONLY} (% refused)', TG_OP; "
    "END $$",
    "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
    "FOR EACH ROW EXECUTE FUNCTION mmpath_audit_append_only()",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION mmpath_audit_append_only()",
]


def _columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("saved_patient_id", sa.String(32), nullable=True),
        sa.Column("input_digest", sa.String(71), nullable=True),
        sa.Column("guideline", sa.String(100), nullable=True),
        sa.Column("packs_json", sa.Text, nullable=True),
        sa.Column("mmpath_version", sa.String(40), nullable=False),
        sa.Column("output_digest", sa.String(71), nullable=True),
        sa.Column("detail", sa.String(500), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False, unique=True),
    ]


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade() -> None:
    bind = op.get_bind()
    payloads = op.create_table(
        "payloads",
        sa.Column("digest", sa.String(71), primary_key=True),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_payloads_created_at", "payloads", ["created_at"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_id", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    new = op.create_table("audit_new", *_columns())
    old = sa.Table(
        "audit",
        sa.MetaData(),
        sa.Column("id", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("source", sa.String),
        sa.Column("saved_patient_id", sa.String),
        sa.Column("input_digest", sa.String),
        sa.Column("record_json", sa.Text),
        sa.Column("guideline", sa.String),
        sa.Column("packs_json", sa.Text),
        sa.Column("mmpath_version", sa.String),
        sa.Column("output_json", sa.Text),
    )
    prev, last_id, seen = GENESIS, 0, set()
    rows = bind.execute(sa.select(old).order_by(old.c.id)).mappings().all()
    for r in rows:
        created = r["created_at"]
        created = created if created.tzinfo else created.replace(tzinfo=dt.UTC)
        output_digest = _digest(r["output_json"])
        for key, text in ((r["input_digest"], r["record_json"]), (output_digest, r["output_json"])):
            if key not in seen:
                seen.add(key)
                body = zlib.compress(text.encode("utf-8"), 6)
                bind.execute(
                    sa.insert(payloads).values(
                        digest=key, body=body, size=len(text), created_at=created
                    )
                )
        row = {
            "id": int(r["id"]),
            "created_at": created,
            "action": "evaluate",
            "actor": None,
            "source": r["source"],
            "saved_patient_id": r["saved_patient_id"],
            "input_digest": r["input_digest"],
            "guideline": r["guideline"],
            "packs_json": r["packs_json"],
            "mmpath_version": r["mmpath_version"],
            "output_digest": output_digest,
            "detail": None,
        }
        row["prev_hash"] = prev
        row["row_hash"] = prev = row_hash(prev, row)
        last_id = row["id"]
        bind.execute(sa.insert(new).values(**row))
    bind.execute(sa.insert(head).values(id=1, last_id=last_id, last_hash=prev))
    op.drop_table("audit")
    op.rename_table("audit_new", "audit")
    op.create_index("ix_audit_created_at", "audit", ["created_at"])
    op.create_index("ix_audit_input_digest", "audit", ["input_digest"])
    op.create_index("ix_audit_saved_patient_id", "audit", ["saved_patient_id"])
    for statement in POSTGRES_TRIGGERS if bind.dialect.name == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the audit chain cannot be downgraded (restore a backup instead)")
