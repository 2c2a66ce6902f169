"""Decisions recorded against audit rows; CDS Hooks cards (issue 13, issue 10 fields).

Revision ID: decisions
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "decisions"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("audit_id", sa.Integer, nullable=False),
        sa.Column("option_id", sa.String(100), nullable=True),
        sa.Column("regimen", sa.String(200), nullable=True),
        sa.Column("pathway", sa.String(3), nullable=False),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("reason_text", sa.Text, nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("card_uuid", sa.String(36), nullable=True),
    )
    op.create_index("ix_decisions_audit_id", "decisions", ["audit_id"])
    op.create_table(
        "cds_cards",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("audit_id", sa.Integer, nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("hook_instance", sa.String(100), nullable=False),
        sa.Column("card_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cds_cards")
    op.drop_index("ix_decisions_audit_id", "decisions")
    op.drop_table("decisions")
