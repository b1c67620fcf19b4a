"""substring search indexes: pg_trgm GIN on PostgreSQL, FTS5 trigram tables on SQLite

Revision ID: 0013
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

from dab.storage import search_index

revision: str = "0013"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run(search_index.postgresql_upgrade())
    else:
        _run(search_index.sqlite_upgrade())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run(search_index.postgresql_downgrade())
    else:
        _run(search_index.sqlite_downgrade())
