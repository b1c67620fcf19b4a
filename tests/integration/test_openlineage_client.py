"""The real openlineage-python client posts START/COMPLETE/FAIL over its HTTP transport to a
live `dab serve`, authenticated with an API key the way the client sends it (Bearer)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from tests.live_server import running_server
from tests.tools import require_module

KEY = "openlineage-client-test-key"
NS = "postgres://crm.example.com:5432"


def _client(base: str, **extra: Any) -> Any:
    require_module("openlineage.client", "pip install openlineage-python (the dev extra)")
    from openlineage.client import OpenLineageClient
    from openlineage.client.transport.http import HttpConfig, HttpTransport

    config = HttpConfig.from_dict(
        {"url": base, "endpoint": "api/v1/lineage", "auth": {"type": "api_key", "apiKey": KEY}, **extra}
    )
    return OpenLineageClient(transport=HttpTransport(config))


def _events(run_id: str, final: str) -> list[Any]:
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import column_lineage_dataset, schema_dataset

    fields = [schema_dataset.SchemaDatasetFacetFields(name=n, type="text") for n in ("id", "email")]
    source = InputDataset(
        NS, "crm.public.customers", facets={"schema": schema_dataset.SchemaDatasetFacet(fields)}
    )
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            "email_hash": column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(
                        NS,
                        "crm.public.customers",
                        "email",
                        transformations=[
                            column_lineage_dataset.Transformation(
                                type="DIRECT", subtype="TRANSFORMATION", masking=True
                            )
                        ],
                    )
                ]
            )
        }
    )
    target = OutputDataset(NS, "crm.export.customers", facets={"columnLineage": lineage})
    job = Job(namespace="airflow", name="crm_export.copy")
    return [
        RunEvent(
            eventType=state,
            eventTime=time,
            run=Run(runId=run_id),
            job=job,
            inputs=[source],
            outputs=[target],
        )
        for state, time in (
            (RunState.START, "2026-11-30T07:00:00+00:00"),
            (getattr(RunState, final), "2026-11-30T07:10:00+00:00"),
        )
    ]


@pytest.fixture
def server(tmp_path: Path, clean_database: str) -> Any:
    env = {"API_KEYS": KEY, "RATE_LIMIT_ENABLED": "false", "DATABASE_URL": clean_database}
    with running_server(tmp_path, env) as live:
        yield live


def test_client_runs_become_jobs_datasets_lineage_and_history(server: Any) -> None:
    client = _client(server.base)
    ok, failed = str(uuid.uuid4()), str(uuid.uuid4())
    for event in [*_events(ok, "COMPLETE"), *_events(failed, "FAIL")]:
        client.emit(event)
    client.emit(_events(ok, "COMPLETE")[1])  # a retried delivery: changes nothing

    api = f"{server.base}/api/v1"
    headers = {"Authorization": f"Bearer {KEY}"}
    job = "urn:dab:openlineage:job:airflow:crm_export.copy"
    detail = httpx.get(f"{api}/capsules/{quote(job, safe='')}", headers=headers).json()
    assert (detail["capsule_type"], detail["asserted_by"]) == ("job", ["openlineage"])
    assert detail["last_run"]["status"] == "error"  # FAIL came last (same time: the later write)
    graph = httpx.get(
        f"{api}/capsules/{quote(job, safe='')}/lineage",
        params={"direction": "both", "depth": 1},
        headers=headers,
    ).json()
    prefix = "urn:dab:openlineage:dataset:postgres%3A%2F%2Fcrm%2Eexample%2Ecom%3A5432:"
    assert {(e["source"], e["target"]) for e in graph["edges"]} == {
        (prefix + "crm.public.customers", job),
        (job, prefix + "crm.export.customers"),
    }
    target = prefix.replace(":dataset:", ":column:") + "crm.export.customers.email_hash"
    column = httpx.get(
        f"{api}/columns/{quote(target, safe='')}/lineage", params={"direction": "upstream"}, headers=headers
    ).json()
    assert [(e["source"].rsplit(".", 1)[-1], e["kind"]) for e in column["edges"]] == [("email", "masking")]
    runs = httpx.get(f"{api}/capsules", params={"capsule_type": "job"}, headers=headers).json()
    assert runs["total"] == 1


def test_client_with_gzip_compression(server: Any) -> None:
    """``compression: gzip`` in the transport config sends ``Content-Encoding: gzip`` bodies."""
    client = _client(server.base, compression="gzip")
    run = str(uuid.uuid4())
    for event in _events(run, "COMPLETE"):
        client.emit(event)
    job = "urn:dab:openlineage:job:airflow:crm_export.copy"
    detail = httpx.get(
        f"{server.base}/api/v1/capsules/{quote(job, safe='')}", headers={"Authorization": f"Bearer {KEY}"}
    ).json()
    assert detail["last_run"]["status"] == "success"
