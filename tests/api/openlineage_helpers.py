"""Builders for OpenLineage events as producers send them (spec 2-0-2)."""

from __future__ import annotations

import uuid
from typing import Any

PRODUCER = "https://github.com/dab-tests/loader"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
FACET = {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/x.json"}
WAREHOUSE = "duckdb://jaffle_shop"
"""The namespace of the jaffle_shop fixture's warehouse (its adapter is duckdb)."""
CRM = "postgres://crm.example.com:5432"


def dataset(namespace: str, name: str, fields: dict[str, str] | None = None, **facets: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"namespace": namespace, "name": name, "facets": dict(facets)}
    if fields is not None:
        out["facets"]["schema"] = {
            **FACET,
            "fields": [{"name": n, "type": t} for n, t in fields.items()],
        }
    return out


def column_lineage(**fields: list[tuple[str, str, str]]) -> dict[str, Any]:
    """columnLineage facet: output field -> [(namespace, dataset, field)]."""
    return {
        **FACET,
        "fields": {
            out: {
                "inputFields": [
                    {
                        "namespace": ns,
                        "name": name,
                        "field": field,
                        "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
                    }
                    for ns, name, field in inputs
                ]
            }
            for out, inputs in fields.items()
        },
    }


def run_event(
    event_type: str,
    *,
    job: str = "load_customers",
    namespace: str = "airbyte",
    run_id: str | None = None,
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    time: str = "2026-11-30T08:00:00+00:00",
) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "eventTime": time,
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": run_id or str(uuid.uuid4()), "facets": {}},
        "job": {"namespace": namespace, "name": job, "facets": {}},
        "inputs": inputs or [],
        "outputs": outputs or [],
    }


def loader_events(run_id: str) -> list[dict[str, Any]]:
    """A loader copying the CRM's customers into the warehouse table dbt reads as a source."""
    crm = dataset(CRM, "crm.public.customers", {"id": "integer", "first_name": "text", "email": "text"})
    raw = dataset(
        WAREHOUSE,
        "jaffle_shop.raw.raw_customers",
        {"id": "INTEGER", "first_name": "VARCHAR"},
        columnLineage=column_lineage(
            id=[(CRM, "crm.public.customers", "id")], first_name=[(CRM, "crm.public.customers", "first_name")]
        ),
    )
    return [
        run_event("START", run_id=run_id, inputs=[crm], outputs=[raw], time="2026-11-30T08:00:00+00:00"),
        run_event("COMPLETE", run_id=run_id, inputs=[crm], outputs=[raw], time="2026-11-30T08:05:00+00:00"),
    ]
