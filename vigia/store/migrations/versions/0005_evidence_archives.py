"""evidence archives: WACZ per municipality per run and a chained manifest (issue 14)

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_archives",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("crawl_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("folder", sa.Text(), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("previous_run_id", sa.Integer(), nullable=True),
        sa.Column("previous_manifest_sha256", sa.String(64), nullable=True),
        sa.Column("archives_count", sa.Integer(), nullable=False),
        sa.Column("records_count", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_evidence_archives_run_id", "evidence_archives", ["run_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_evidence_archives_run_id", table_name="evidence_archives")
    op.drop_table("evidence_archives")
