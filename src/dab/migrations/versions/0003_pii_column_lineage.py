"""PII findings (method, confidence, evidence, masking function), manual classifications,
the masking function of column lineage edges, per-model column-lineage digest and coverage.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-30 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dab.storage.records._base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pii_classification",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("column_urn", sa.String(length=512), nullable=False),
        sa.Column("is_pii", sa.Boolean(), nullable=False),
        sa.Column("pii_type", sa.String(length=64), nullable=True),
        sa.Column("is_masked", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pii_classification")),
        sa.UniqueConstraint("column_urn", name=op.f("uq_pii_classification_column_urn")),
    )
    with op.batch_alter_table("capsule_column", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pii_confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("pii_evidence", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("masking_function", sa.String(length=64), nullable=True))
    with op.batch_alter_table("column_lineage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("function", sa.String(length=64), nullable=True))
    with op.batch_alter_table("capsule", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lineage_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "column_lineage",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("capsule", schema=None) as batch_op:
        batch_op.drop_column("column_lineage")
        batch_op.drop_column("lineage_hash")
    with op.batch_alter_table("column_lineage", schema=None) as batch_op:
        batch_op.drop_column("function")
    with op.batch_alter_table("capsule_column", schema=None) as batch_op:
        batch_op.drop_column("masking_function")
        batch_op.drop_column("pii_evidence")
        batch_op.drop_column("pii_confidence")
    op.drop_table("pii_classification")
