"""evaluations: the key of the snapshot they judged (rules' fingerprint, as_of and the snapshot's
content, checks/runner.py), so an unchanged portal's findings are copied instead of judged again (issue 17)

Revision ID: 0040
Revises: 0030
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("snapshot_key", sa.String(64), nullable=True))
        batch.create_index("ix_evaluations_snapshot_key", ["snapshot_key"])


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_index("ix_evaluations_snapshot_key")
        batch.drop_column("snapshot_key")
