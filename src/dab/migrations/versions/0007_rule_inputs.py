"""rule inputs: the dbt config keys of a capsule and the file of a test

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-30 06:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    op.add_column("capsule", sa.Column("dbt_config", json_type, nullable=True))
    op.add_column("data_test", sa.Column("path", sa.String(length=1024), nullable=True))


def downgrade() -> None:
    op.drop_column("data_test", "path")
    op.drop_column("capsule", "dbt_config")
