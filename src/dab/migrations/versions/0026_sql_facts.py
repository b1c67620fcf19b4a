"""sql facts: what the rules need from each compiled SQL statement, parsed once for all processes

Revision ID: 0026
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sql_fact",
        sa.Column("sqlglot_version", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("join_count", sa.Integer(), nullable=False),
        sa.Column("qualified_tables", sa.Text(), nullable=False),
        sa.Column("parsed", sa.Boolean(), nullable=False),
        sa.Column("star_reads", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sqlglot_version", "digest", name=op.f("pk_sql_fact")),
    )


def downgrade() -> None:
    op.drop_table("sql_fact")
