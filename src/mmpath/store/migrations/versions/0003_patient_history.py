"""Saved-patient history (every saved version of a record), issue 10.

Revision ID: patient_history
Revises: decisions
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "patient_history"
down_revision = "decisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patient_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("patient_id", sa.String(32), nullable=False),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("record_json", sa.Text, nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_patient_versions_patient_id", "patient_versions", ["patient_id"])
    op.create_index("ix_audit_saved_patient_id", "audit", ["saved_patient_id"])
    # the patients saved before this revision: their current record is their first version
    op.execute(
        "INSERT INTO patient_versions (patient_id, label, record_json, saved_at) "
        "SELECT id, label, record_json, updated_at FROM patients"
    )


def downgrade() -> None:
    op.drop_index("ix_audit_saved_patient_id", "audit")
    op.drop_index("ix_patient_versions_patient_id", "patient_versions")
    op.drop_table("patient_versions")
