"""Saved patients and the audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("record_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("saved_patient_id", sa.String(32), nullable=True),
        sa.Column("input_digest", sa.String(71), nullable=False),
        sa.Column("record_json", sa.Text, nullable=False),
        sa.Column("guideline", sa.String(100), nullable=False),
        sa.Column("packs_json", sa.Text, nullable=False),
        sa.Column("mmpath_version", sa.String(40), nullable=False),
        sa.Column("output_json", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_created_at", "audit", ["created_at"])
    op.create_index("ix_audit_input_digest", "audit", ["input_digest"])


def downgrade() -> None:
    op.drop_index("ix_audit_input_digest", "audit")
    op.drop_index("ix_audit_created_at", "audit")
    op.drop_table("audit")
    op.drop_table("patients")
