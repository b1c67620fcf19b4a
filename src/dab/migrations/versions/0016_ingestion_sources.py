"""ingestion sources: provenance of nodes and edges, relation keys, OpenLineage event keys

Revision ID: 0016
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dab.storage.records._base

revision: str = "0016"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("capsule") as batch:
        batch.add_column(sa.Column("relation_key", sa.String(length=1024), nullable=True))
        batch.create_index("ix_capsule_relation_key", ["relation_key"])
    # Same normalisation as dab.domain.relations.relation_key: quotes stripped, lower-cased.
    op.execute(
        "UPDATE capsule SET relation_key = lower(replace(replace(relation_name, '\"', ''), '`', '')) "
        "WHERE relation_name IS NOT NULL AND relation_name <> ''"
    )
    for table in ("capsule_lineage", "column_lineage"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("source", sa.String(length=32), nullable=False, server_default="dbt"))
    op.create_table(
        "source_assertion",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject_urn", sa.String(length=512), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("asserted_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_assertion")),
        sa.UniqueConstraint("subject_urn", "source", name=op.f("uq_source_assertion_subject_urn_source")),
    )
    op.create_index(op.f("ix_source_assertion_subject_urn"), "source_assertion", ["subject_urn"])
    op.create_table(
        "lineage_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_key", sa.String(length=600), nullable=False),
        sa.Column("received_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_event")),
        sa.UniqueConstraint("event_key", name=op.f("uq_lineage_event_event_key")),
    )


def downgrade() -> None:
    op.drop_table("lineage_event")
    op.drop_index(op.f("ix_source_assertion_subject_urn"), table_name="source_assertion")
    op.drop_table("source_assertion")
    for table in ("column_lineage", "capsule_lineage"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("source")
    with op.batch_alter_table("capsule") as batch:
        batch.drop_index("ix_capsule_relation_key")
        batch.drop_column("relation_key")
