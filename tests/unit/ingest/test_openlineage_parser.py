"""The pure OpenLineage core: what events assert, keys, hop kinds, relation identity."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.api.openlineage_helpers import CRM, WAREHOUSE, loader_events, run_event

from dab.domain.lineage import TransformationKind as K
from dab.domain.relations import namespace_scheme, relation_key, schemes_agree
from dab.domain.urns import parse_capsule_urn
from dab.errors import InvalidInput
from dab.ingest.openlineage.parser import dataset_urn, event_key, job_urn, parse_events, transformation_kind


class TestCollect:
    def test_a_run_asserts_job_datasets_edges_fields_and_runs(self) -> None:
        batch = parse_events(loader_events(str(uuid.uuid4())))
        job = job_urn("airbyte", "load_customers")
        crm = dataset_urn(CRM, "crm.public.customers")
        raw = dataset_urn(WAREHOUSE, "jaffle_shop.raw.raw_customers")
        assert set(batch.jobs) == {job}
        assert set(batch.datasets) == {crm, raw}
        assert batch.edges == {(crm, job), (job, raw)}
        assert [r.status for r in batch.runs] == ["running", "success"]
        assert {(e.source_field, e.target_field, e.kind) for e in batch.field_edges.values()} == {
            ("id", "id", K.IDENTITY),
            ("first_name", "first_name", K.IDENTITY),
        }
        assert batch.datasets[raw].relation == "jaffle_shop.raw.raw_customers"
        assert batch.datasets[raw].scheme == "duckdb"

    def test_keys_ignore_how_the_time_is_written(self) -> None:
        run_id = str(uuid.uuid4())
        utc = run_event("START", run_id=run_id, time="2026-11-30T08:00:00Z")
        offset = run_event("START", run_id=run_id, time="2026-11-30T09:00:00+01:00")
        assert event_key(utc) == event_key(offset)
        assert event_key(utc) != event_key(run_event("COMPLETE", run_id=run_id, time="2026-11-30T08:00:00Z"))

    def test_an_invalid_event_names_its_index_and_path(self) -> None:
        bad = run_event("START")
        bad["inputs"] = [{"namespace": "x", "name": 3}]
        with pytest.raises(InvalidInput, match=r"^\$\[1\]\.inputs\[0\]\.name"):
            parse_events([run_event("START"), bad])


@pytest.mark.parametrize(
    ("transformations", "legacy", "kind"),
    [
        ([{"type": "DIRECT", "subtype": "IDENTITY"}], None, K.IDENTITY),
        ([{"type": "DIRECT", "subtype": "AGGREGATION"}], None, K.AGGREGATION),
        ([{"type": "DIRECT", "subtype": "TRANSFORMATION", "masking": True}], None, K.MASKING),
        ([{"type": "INDIRECT", "subtype": "FILTER"}], None, K.FILTER),
        ([], "IDENTITY", K.IDENTITY),
        ([], "MASKED", K.MASKING),
        ([], None, K.TRANSFORMATION),
    ],
)
def test_transformation_kinds(transformations: list[dict[str, object]], legacy: str | None, kind: K) -> None:
    assert transformation_kind(transformations, legacy) == kind


class TestRelations:
    def test_quotes_and_case_do_not_matter(self) -> None:
        assert relation_key('"Shop"."RAW"."Orders"') == relation_key("shop.raw.orders") == "shop.raw.orders"

    def test_engines(self) -> None:
        assert namespace_scheme("postgresql://h:5432") == "postgres"
        assert schemes_agree("postgres", "postgres") and schemes_agree(None, "snowflake")
        assert not schemes_agree("duckdb", "postgres")


names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)


@given(namespace=names, name=names)
def test_job_and_dataset_urns_parse_back(namespace: str, name: str) -> None:
    parsed = parse_capsule_urn(dataset_urn(namespace, name))
    assert (parsed.source, parsed.capsule_type, parsed.namespace, parsed.name) == (
        "openlineage",
        "dataset",
        namespace,
        name,
    )
    assert parse_capsule_urn(job_urn(namespace, name)).name == name
