"""search documents: one lowered search_text column and trigram index per searched table (PostgreSQL)

Revision ID: 0028
Revises: 0027
"""

from collections.abc import Sequence

from alembic import op

from dab.storage import search_index

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# SQLite keeps its FTS5 tables of 0013: nothing changes there.
def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in search_index.postgresql_document_upgrade():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in search_index.postgresql_document_downgrade():
            op.execute(statement)
