"""search indexes on URN tails: one trigram index per table, the URN heads in search_head

Revision ID: 0032
Revises: 0026
"""

from collections.abc import Sequence

from alembic import op

from dab.storage import search_index, search_index_0013

revision: str = "0032"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _swap(old: object, new: object) -> None:
    """Drop ``old``'s objects and build ``new``'s (both modules define the same four lists)."""
    engine = "postgresql" if op.get_bind().dialect.name == "postgresql" else "sqlite"
    for statement in [*getattr(old, f"{engine}_downgrade")(), *getattr(new, f"{engine}_upgrade")()]:
        op.execute(statement)


def upgrade() -> None:
    _swap(search_index_0013, search_index)


def downgrade() -> None:
    _swap(search_index, search_index_0013)
