"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 00:46:23.786933
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import dab.storage.records._base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "capsule",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("urn", sa.String(length=512), nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("capsule_type", sa.String(length=32), nullable=False),
        sa.Column("namespace", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("unique_id", sa.String(length=512), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("database_name", sa.String(length=255), nullable=True),
        sa.Column("schema_name", sa.String(length=255), nullable=True),
        sa.Column("relation_name", sa.String(length=1024), nullable=True),
        sa.Column("materialization", sa.String(length=64), nullable=True),
        sa.Column("path", sa.String(length=1024), nullable=True),
        sa.Column("layer", sa.String(length=16), nullable=False),
        sa.Column("layer_evidence", sa.String(length=255), nullable=True),
        sa.Column("domain_name", sa.String(length=255), nullable=True),
        sa.Column("domain_evidence", sa.String(length=255), nullable=True),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("owner_evidence", sa.String(length=255), nullable=True),
        sa.Column(
            "dbt_tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("access", sa.String(length=32), nullable=True),
        sa.Column("group_name", sa.String(length=255), nullable=True),
        sa.Column("version", sa.String(length=32), nullable=True),
        sa.Column("contract_enforced", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=True),
        sa.Column("compiled_sql", sa.Text(), nullable=True),
        sa.Column("exposure_type", sa.String(length=64), nullable=True),
        sa.Column("maturity", sa.String(length=32), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("source_name", sa.String(length=255), nullable=True),
        sa.Column(
            "freshness",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("last_run_status", sa.String(length=32), nullable=True),
        sa.Column("last_run_execution_time", sa.Float(), nullable=True),
        sa.Column(
            "last_run_completed_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("column_count", sa.Integer(), nullable=False),
        sa.Column("pii_column_count", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("subtree_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capsule")),
        sa.UniqueConstraint("urn", name=op.f("uq_capsule_urn")),
    )
    with op.batch_alter_table("capsule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capsule_capsule_type"), ["capsule_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_capsule_domain_name"), ["domain_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_capsule_layer"), ["layer"], unique=False)
        batch_op.create_index(batch_op.f("ix_capsule_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_capsule_owner"), ["owner"], unique=False)
        batch_op.create_index(batch_op.f("ix_capsule_project"), ["project"], unique=False)
        batch_op.create_index("ix_capsule_project_type", ["project", "capsule_type"], unique=False)

    op.create_table(
        "conformance_run",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "scope",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("started_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("weighted_score", sa.Float(), nullable=False),
        sa.Column("applicable", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column(
            "breakdown",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conformance_run")),
    )
    op.create_table(
        "domain",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("urn", sa.String(length=512), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain")),
        sa.UniqueConstraint("name", name=op.f("uq_domain_name")),
        sa.UniqueConstraint("urn", name=op.f("uq_domain_urn")),
    )
    op.create_table(
        "ingestion_job",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("project", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "stats",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "warnings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "error",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("retry_of", sa.String(length=36), nullable=True),
        sa.Column("worker", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingestion_job")),
    )
    with op.batch_alter_table("ingestion_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingestion_job_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ingestion_job_project"), ["project"], unique=False)
        batch_op.create_index(batch_op.f("ix_ingestion_job_status"), ["status"], unique=False)

    op.create_table(
        "owner",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner")),
        sa.UniqueConstraint("name", name=op.f("uq_owner_name")),
    )
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("adapter_type", sa.String(length=64), nullable=True),
        sa.Column("dbt_version", sa.String(length=32), nullable=True),
        sa.Column("manifest_schema_version", sa.Integer(), nullable=True),
        sa.Column("generated_at", sa.String(length=64), nullable=True),
        sa.Column("last_ingested_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_job_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("name", name=op.f("uq_project_name")),
    )
    op.create_table(
        "rule",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("rule_id", sa.String(length=128), nullable=False),
        sa.Column("rule_set", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule")),
        sa.UniqueConstraint("rule_id", name=op.f("uq_rule_rule_id")),
    )
    op.create_table(
        "tag",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("urn", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag")),
        sa.UniqueConstraint("category", "name", name=op.f("uq_tag_category_name")),
        sa.UniqueConstraint("urn", name=op.f("uq_tag_urn")),
    )
    op.create_table(
        "capsule_column",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("urn", sa.String(length=512), nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("capsule_urn", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("data_type", sa.String(length=255), nullable=True),
        sa.Column("ordinal", sa.Integer(), nullable=True),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "dbt_tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "constraints",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "stats",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("pii_type", sa.String(length=64), nullable=True),
        sa.Column("pii_origin", sa.String(length=32), nullable=True),
        sa.Column("semantic_type", sa.String(length=64), nullable=True),
        sa.Column("is_masked", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["capsule_urn"],
            ["capsule.urn"],
            name=op.f("fk_capsule_column_capsule_urn_capsule"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capsule_column")),
        sa.UniqueConstraint("urn", name=op.f("uq_capsule_column_urn")),
    )
    with op.batch_alter_table("capsule_column", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capsule_column_capsule_urn"), ["capsule_urn"], unique=False)
        batch_op.create_index(batch_op.f("ix_capsule_column_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_capsule_column_pii_type"), ["pii_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_capsule_column_project"), ["project"], unique=False)

    op.create_table(
        "capsule_lineage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("source_urn", sa.String(length=512), nullable=False),
        sa.Column("target_urn", sa.String(length=512), nullable=False),
        sa.Column("edge_type", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_urn"],
            ["capsule.urn"],
            name=op.f("fk_capsule_lineage_source_urn_capsule"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_urn"],
            ["capsule.urn"],
            name=op.f("fk_capsule_lineage_target_urn_capsule"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capsule_lineage")),
        sa.UniqueConstraint(
            "source_urn",
            "target_urn",
            "edge_type",
            name=op.f("uq_capsule_lineage_source_urn_target_urn_edge_type"),
        ),
    )
    with op.batch_alter_table("capsule_lineage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capsule_lineage_project"), ["project"], unique=False)
        batch_op.create_index(batch_op.f("ix_capsule_lineage_target_urn"), ["target_urn"], unique=False)

    op.create_table(
        "capsule_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("capsule_urn", sa.String(length=512), nullable=False),
        sa.Column("invocation_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("execution_time", sa.Float(), nullable=True),
        sa.Column("completed_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["capsule_urn"],
            ["capsule.urn"],
            name=op.f("fk_capsule_run_capsule_urn_capsule"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capsule_run")),
        sa.UniqueConstraint(
            "capsule_urn", "invocation_id", name=op.f("uq_capsule_run_capsule_urn_invocation_id")
        ),
    )
    with op.batch_alter_table("capsule_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capsule_run_capsule_urn"), ["capsule_urn"], unique=False)

    op.create_table(
        "capsule_tag",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("capsule_urn", sa.String(length=512), nullable=False),
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("added_by", sa.String(length=255), nullable=True),
        sa.Column("added_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["capsule_urn"],
            ["capsule.urn"],
            name=op.f("fk_capsule_tag_capsule_urn_capsule"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name=op.f("fk_capsule_tag_tag_id_tag"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capsule_tag")),
        sa.UniqueConstraint("capsule_urn", "tag_id", name=op.f("uq_capsule_tag_capsule_urn_tag_id")),
    )
    with op.batch_alter_table("capsule_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capsule_tag_capsule_urn"), ["capsule_urn"], unique=False)
        batch_op.create_index(batch_op.f("ix_capsule_tag_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "data_product",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("urn", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("domain_id", sa.String(length=36), nullable=True),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("slo_freshness_hours", sa.Float(), nullable=True),
        sa.Column("slo_availability_percent", sa.Float(), nullable=True),
        sa.Column("slo_quality_threshold", sa.Float(), nullable=True),
        sa.Column("created_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domain.id"], name=op.f("fk_data_product_domain_id_domain"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_product")),
        sa.UniqueConstraint("name", name=op.f("uq_data_product_name")),
        sa.UniqueConstraint("urn", name=op.f("uq_data_product_urn")),
    )
    op.create_table(
        "data_test",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("urn", sa.String(length=512), nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("capsule_urn", sa.String(length=512), nullable=False),
        sa.Column("column_name", sa.String(length=512), nullable=True),
        sa.Column("column_urn", sa.String(length=512), nullable=True),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("test_name", sa.String(length=255), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("unique_id", sa.String(length=1024), nullable=True),
        sa.Column(
            "depends_on",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("executed_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["capsule_urn"],
            ["capsule.urn"],
            name=op.f("fk_data_test_capsule_urn_capsule"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_test")),
        sa.UniqueConstraint("urn", name=op.f("uq_data_test_urn")),
    )
    with op.batch_alter_table("data_test", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_test_capsule_urn"), ["capsule_urn"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_test_project"), ["project"], unique=False)

    op.create_table(
        "ingestion_artifact",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("content_gzip", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["ingestion_job.id"],
            name=op.f("fk_ingestion_artifact_job_id_ingestion_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingestion_artifact")),
        sa.UniqueConstraint("job_id", "kind", name=op.f("uq_ingestion_artifact_job_id_kind")),
    )
    with op.batch_alter_table("ingestion_artifact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingestion_artifact_job_id"), ["job_id"], unique=False)

    op.create_table(
        "violation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.String(length=128), nullable=False),
        sa.Column("rule_set", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("subject_urn", sa.String(length=512), nullable=False),
        sa.Column("capsule_urn", sa.String(length=512), nullable=True),
        sa.Column("layer", sa.String(length=16), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("remediation", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_changed_by", sa.String(length=255), nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("status_changed_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_run_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["conformance_run.id"],
            name=op.f("fk_violation_last_run_id_conformance_run"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violation")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_violation_fingerprint")),
    )
    with op.batch_alter_table("violation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_violation_capsule_urn"), ["capsule_urn"], unique=False)
        batch_op.create_index(batch_op.f("ix_violation_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_violation_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_violation_severity"), ["severity"], unique=False)
        batch_op.create_index(batch_op.f("ix_violation_status"), ["status"], unique=False)

    op.create_table(
        "capsule_data_product",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("capsule_urn", sa.String(length=512), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("added_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["capsule_urn"],
            ["capsule.urn"],
            name=op.f("fk_capsule_data_product_capsule_urn_capsule"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["data_product.id"],
            name=op.f("fk_capsule_data_product_product_id_data_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capsule_data_product")),
        sa.UniqueConstraint(
            "product_id", "capsule_urn", name=op.f("uq_capsule_data_product_product_id_capsule_urn")
        ),
    )
    with op.batch_alter_table("capsule_data_product", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_capsule_data_product_capsule_urn"), ["capsule_urn"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_capsule_data_product_product_id"), ["product_id"], unique=False)

    op.create_table(
        "column_lineage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("source_urn", sa.String(length=512), nullable=False),
        sa.Column("target_urn", sa.String(length=512), nullable=False),
        sa.Column("transformation", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_urn"],
            ["capsule_column.urn"],
            name=op.f("fk_column_lineage_source_urn_capsule_column"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_urn"],
            ["capsule_column.urn"],
            name=op.f("fk_column_lineage_target_urn_capsule_column"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_column_lineage")),
        sa.UniqueConstraint("source_urn", "target_urn", name=op.f("uq_column_lineage_source_urn_target_urn")),
    )
    with op.batch_alter_table("column_lineage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_column_lineage_project"), ["project"], unique=False)
        batch_op.create_index(batch_op.f("ix_column_lineage_target_urn"), ["target_urn"], unique=False)

    op.create_table(
        "column_tag",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("column_urn", sa.String(length=512), nullable=False),
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("added_by", sa.String(length=255), nullable=True),
        sa.Column("added_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["column_urn"],
            ["capsule_column.urn"],
            name=op.f("fk_column_tag_column_urn_capsule_column"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name=op.f("fk_column_tag_tag_id_tag"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_column_tag")),
        sa.UniqueConstraint("column_urn", "tag_id", name=op.f("uq_column_tag_column_urn_tag_id")),
    )
    with op.batch_alter_table("column_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_column_tag_column_urn"), ["column_urn"], unique=False)
        batch_op.create_index(batch_op.f("ix_column_tag_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "test_result",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("test_urn", sa.String(length=512), nullable=False),
        sa.Column("invocation_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=True),
        sa.Column("executed_at", dab.storage.records._base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["test_urn"],
            ["data_test.urn"],
            name=op.f("fk_test_result_test_urn_data_test"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_result")),
        sa.UniqueConstraint("test_urn", "invocation_id", name=op.f("uq_test_result_test_urn_invocation_id")),
    )
    with op.batch_alter_table("test_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_test_result_test_urn"), ["test_urn"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("test_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_test_result_test_urn"))

    op.drop_table("test_result")
    with op.batch_alter_table("column_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_column_tag_tag_id"))
        batch_op.drop_index(batch_op.f("ix_column_tag_column_urn"))

    op.drop_table("column_tag")
    with op.batch_alter_table("column_lineage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_column_lineage_target_urn"))
        batch_op.drop_index(batch_op.f("ix_column_lineage_project"))

    op.drop_table("column_lineage")
    with op.batch_alter_table("capsule_data_product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capsule_data_product_product_id"))
        batch_op.drop_index(batch_op.f("ix_capsule_data_product_capsule_urn"))

    op.drop_table("capsule_data_product")
    with op.batch_alter_table("violation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_violation_status"))
        batch_op.drop_index(batch_op.f("ix_violation_severity"))
        batch_op.drop_index(batch_op.f("ix_violation_rule_id"))
        batch_op.drop_index(batch_op.f("ix_violation_category"))
        batch_op.drop_index(batch_op.f("ix_violation_capsule_urn"))

    op.drop_table("violation")
    with op.batch_alter_table("ingestion_artifact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingestion_artifact_job_id"))

    op.drop_table("ingestion_artifact")
    with op.batch_alter_table("data_test", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_test_project"))
        batch_op.drop_index(batch_op.f("ix_data_test_capsule_urn"))

    op.drop_table("data_test")
    op.drop_table("data_product")
    with op.batch_alter_table("capsule_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capsule_tag_tag_id"))
        batch_op.drop_index(batch_op.f("ix_capsule_tag_capsule_urn"))

    op.drop_table("capsule_tag")
    with op.batch_alter_table("capsule_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capsule_run_capsule_urn"))

    op.drop_table("capsule_run")
    with op.batch_alter_table("capsule_lineage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capsule_lineage_target_urn"))
        batch_op.drop_index(batch_op.f("ix_capsule_lineage_project"))

    op.drop_table("capsule_lineage")
    with op.batch_alter_table("capsule_column", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capsule_column_project"))
        batch_op.drop_index(batch_op.f("ix_capsule_column_pii_type"))
        batch_op.drop_index(batch_op.f("ix_capsule_column_name"))
        batch_op.drop_index(batch_op.f("ix_capsule_column_capsule_urn"))

    op.drop_table("capsule_column")
    op.drop_table("tag")
    op.drop_table("rule")
    op.drop_table("project")
    op.drop_table("owner")
    with op.batch_alter_table("ingestion_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingestion_job_status"))
        batch_op.drop_index(batch_op.f("ix_ingestion_job_project"))
        batch_op.drop_index(batch_op.f("ix_ingestion_job_created_at"))

    op.drop_table("ingestion_job")
    op.drop_table("domain")
    op.drop_table("conformance_run")
    with op.batch_alter_table("capsule", schema=None) as batch_op:
        batch_op.drop_index("ix_capsule_project_type")
        batch_op.drop_index(batch_op.f("ix_capsule_project"))
        batch_op.drop_index(batch_op.f("ix_capsule_owner"))
        batch_op.drop_index(batch_op.f("ix_capsule_name"))
        batch_op.drop_index(batch_op.f("ix_capsule_layer"))
        batch_op.drop_index(batch_op.f("ix_capsule_domain_name"))
        batch_op.drop_index(batch_op.f("ix_capsule_capsule_type"))

    op.drop_table("capsule")
