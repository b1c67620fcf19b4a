"""governance annotations: URN-keyed tag links and memberships, product status/version, tag sensitivity

Tag links and product memberships lose their cascading foreign key to the capsule/column, so a
model that a re-ingestion drops keeps its API-made annotations and gets them back when it returns.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-30 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referred table.column): the foreign keys that made annotations cascade away.
SUBJECT_KEYS = (
    ("capsule_tag", "capsule_urn", "capsule"),
    ("column_tag", "column_urn", "capsule_column"),
    ("capsule_data_product", "capsule_urn", "capsule"),
)


def upgrade() -> None:
    for table, column, referred in SUBJECT_KEYS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_{column}_{referred}", type_="foreignkey")
    with op.batch_alter_table("capsule_data_product", schema=None) as batch_op:
        batch_op.add_column(sa.Column("added_by", sa.String(length=255), nullable=True))
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sensitivity_level", sa.String(length=16), nullable=True))
    with op.batch_alter_table("data_product", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="draft"))
        batch_op.add_column(
            sa.Column("version", sa.String(length=32), nullable=False, server_default="1.0.0")
        )


def downgrade() -> None:
    with op.batch_alter_table("data_product", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("status")
    with op.batch_alter_table("tag", schema=None) as batch_op:
        batch_op.drop_column("sensitivity_level")
    with op.batch_alter_table("capsule_data_product", schema=None) as batch_op:
        batch_op.drop_column("added_by")
    for table, column, referred in SUBJECT_KEYS:
        # Dormant annotations (subject not ingested right now) cannot satisfy the old key.
        op.execute(f"DELETE FROM {table} WHERE {column} NOT IN (SELECT urn FROM {referred})")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                f"fk_{table}_{column}_{referred}", referred, [column], ["urn"], ondelete="CASCADE"
            )
