"""notifications: the outbox (idempotency key, retries) and the opt-out list

Revision ID: 0020
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("ine_code", sa.String(4), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("key", name="uq_notify_outbox_key"),
    )
    op.create_index("ix_notify_outbox_status", "notify_outbox", ["status", "next_attempt_at"])
    op.create_index("ix_notify_outbox_recipient", "notify_outbox", ["recipient", "kind", "night"])
    op.create_table(
        "notify_optouts",
        sa.Column("address", sa.String(320), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("notify_optouts")
    op.drop_index("ix_notify_outbox_recipient", table_name="notify_outbox")
    op.drop_index("ix_notify_outbox_status", table_name="notify_outbox")
    op.drop_table("notify_outbox")
