"""ingestion job lease: heartbeat_at, renewed while a job runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dab.storage.records._base

revision: str = "0002"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ingestion_job", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("heartbeat_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("ingestion_job", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
