"""All ORM records; importing this package registers every table on Base.metadata."""

from dab.storage.records._base import Base, new_uuid, utcnow
from dab.storage.records.catalog import (
    CapsuleLineageRecord,
    CapsuleRecord,
    CapsuleRunRecord,
    ColumnLineageRecord,
    ColumnRecord,
    DataTestRecord,
    LineageEventRecord,
    PiiClassificationRecord,
    ProjectRecord,
    SourceAssertionRecord,
    TestResultRecord,
)
from dab.storage.records.conformance import ConformanceRunRecord, RuleRecord, ViolationRecord
from dab.storage.records.governance import (
    CapsuleDataProductRecord,
    CapsuleTagRecord,
    ColumnTagRecord,
    DataProductRecord,
    DomainRecord,
    OwnerRecord,
    TagRecord,
)
from dab.storage.records.ingestion import IngestionArtifactRecord, IngestionJobRecord
from dab.storage.records.operations import CacheGenerationRecord, SqlFactRecord

__all__ = [
    "Base",
    "CacheGenerationRecord",
    "CapsuleDataProductRecord",
    "CapsuleLineageRecord",
    "CapsuleRecord",
    "CapsuleRunRecord",
    "CapsuleTagRecord",
    "ColumnLineageRecord",
    "ColumnRecord",
    "ColumnTagRecord",
    "ConformanceRunRecord",
    "DataProductRecord",
    "DataTestRecord",
    "DomainRecord",
    "IngestionArtifactRecord",
    "IngestionJobRecord",
    "LineageEventRecord",
    "OwnerRecord",
    "PiiClassificationRecord",
    "ProjectRecord",
    "RuleRecord",
    "SourceAssertionRecord",
    "SqlFactRecord",
    "TagRecord",
    "TestResultRecord",
    "ViolationRecord",
    "new_uuid",
    "utcnow",
]
