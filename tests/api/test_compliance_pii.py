"""PII end to end: a dbt project with masked and unmasked flows into gold and into an exposure,
through the runbook's endpoints on the live app (SQLite, and PostgreSQL in CI)."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from fastapi.testclient import TestClient
from tests.api.ingest_helpers import artifacts
from tests.conftest import TEST_API_KEY

from dab.api.main import create_app
from dab.services.pii_scan import rescan_project
from dab.settings import Settings
from dab.storage.db import create_engine, make_session_factory

API = "/api/v1"
COL = "urn:dab:dbt:column:jaffle_shop:"
CONTACTS_SQL = (
    'with c as (select * from "jaffle_shop"."staging"."stg_customers")\n'
    "select customer_id, md5(email) as email_hash, phone_number, left(last_name, 1) as initial,\n"
    "count(*) over (partition by email) as email_dupes from c"
)


def _contacts_project() -> dict[str, Any]:
    """jaffle_shop plus a gold model ``customer_contacts`` read by the exposure ``crm``."""
    body = copy.deepcopy(artifacts("v12"))
    nodes = body["manifest"]["nodes"]
    model = copy.deepcopy(nodes["model.jaffle_shop.customers"])
    model.update(
        unique_id="model.jaffle_shop.customer_contacts",
        name="customer_contacts",
        alias="customer_contacts",
        path="marts/customer_contacts.sql",
        original_file_path="models/marts/customer_contacts.sql",
        fqn=["jaffle_shop", "marts", "customer_contacts"],
        relation_name='"jaffle_shop"."marts"."customer_contacts"',
        compiled_code=CONTACTS_SQL,
        raw_code=CONTACTS_SQL,
        columns={},
        depends_on={"macros": [], "nodes": ["model.jaffle_shop.stg_customers"]},
    )
    nodes[model["unique_id"]] = model
    body["manifest"]["exposures"] = {
        "exposure.jaffle_shop.crm": {
            "unique_id": "exposure.jaffle_shop.crm",
            "name": "crm",
            "resource_type": "exposure",
            "package_name": "jaffle_shop",
            "path": "exposures.yml",
            "original_file_path": "models/exposures.yml",
            "fqn": ["jaffle_shop", "crm"],
            "type": "application",
            "owner": {"email": "crm@example.com"},
            "depends_on": {"macros": [], "nodes": ["model.jaffle_shop.customer_contacts"]},
        }
    }
    entry = copy.deepcopy(body["catalog"]["nodes"]["model.jaffle_shop.customers"])
    entry["unique_id"] = model["unique_id"]
    entry["metadata"]["name"] = "customer_contacts"
    types = {"customer_id": "INTEGER", "email_hash": "VARCHAR", "phone_number": "VARCHAR",
             "initial": "VARCHAR", "email_dupes": "BIGINT"}  # fmt: skip
    entry["columns"] = {
        name: {"type": t, "index": i, "name": name, "comment": None}
        for i, (name, t) in enumerate(types.items(), start=1)
    }
    body["catalog"]["nodes"][model["unique_id"]] = entry
    return body


def _ingest(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}/ingest/dbt", params={"wait": "true"}, json=body)
    assert response.status_code in (200, 201), response.text
    job: dict[str, Any] = response.json()
    assert job["status"] == "completed", job
    return job


def _inventory(client: TestClient, **params: Any) -> dict[str, dict[str, Any]]:
    response = client.get(f"{API}/compliance/pii-inventory", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return {item["urn"]: item for item in response.json()["data"]}


def test_inventory_exposure_and_trace(client: TestClient) -> None:
    job = _ingest(client, _contacts_project())
    coverage = job["stats"]["column_lineage"]
    assert coverage["models"] == 6 and coverage["none"] == 0

    inventory = _inventory(client)
    contacts = {u.removeprefix(COL): i for u, i in inventory.items() if "customer_contacts." in u}
    assert contacts["customer_contacts.email_hash"]["masked"] is True
    assert contacts["customer_contacts.email_hash"]["masking_function"] == "md5"
    assert contacts["customer_contacts.email_hash"]["pii_type"] == "email"
    assert contacts["customer_contacts.initial"]["masked"] is True  # left(x, 1): a partial reveal
    assert contacts["customer_contacts.phone_number"]["masked"] is False
    assert contacts["customer_contacts.phone_number"]["method"] == "lineage"
    assert "customer_contacts.email_dupes" not in contacts  # the partition key decides rows only
    item = contacts["customer_contacts.phone_number"]
    assert {"urn", "capsule_urn", "layer", "domain", "pii_type", "risk", "masked", "method"} <= item.keys()

    exposure = client.get(f"{API}/compliance/pii-exposure").json()
    exposed = {i["urn"].removeprefix(COL): i for i in exposure["data"]}
    assert set(exposed) == {
        "customer_contacts.phone_number",
        "customers.email",
        "customers.first_name",
        "customers.last_name",
    }
    phone = exposed["customer_contacts.phone_number"]
    assert phone["reasons"] == ["gold_layer", "exposure"]
    assert phone["exposures"] == ["urn:dab:dbt:exposure:jaffle_shop:crm"]
    assert [(h["urn"].removeprefix(COL), h["kind"]) for h in phone["path"]] == [
        ("jaffle_shop.customers.phone", None),
        ("stg_customers.phone_number", "identity"),
        ("customer_contacts.phone_number", "identity"),
    ]
    assert phone["severity"] == "high" and phone["recommendation"]

    trace = client.get(f"{API}/compliance/pii-trace/{COL}stg_customers.email").json()
    masking = {(e["target"].removeprefix(COL), e["function"]) for e in trace["masking_points"]}
    assert ("customer_contacts.email_hash", "md5") in masking
    assert trace["consumers"] == [
        "urn:dab:dbt:exposure:jaffle_shop:crm",
        "urn:dab:dbt:model:jaffle_shop:customer_contacts",
        "urn:dab:dbt:model:jaffle_shop:customers",
    ]
    assert trace["origins"] == [f"{COL}jaffle_shop.customers.email"]  # the source column
    upstream = {e["source"].removeprefix(COL) for e in trace["edges"] if e["target"] == trace["root"]}
    assert upstream == {"jaffle_shop.customers.email"}


def test_manual_classification_wins_and_survives(client: TestClient) -> None:
    body = _contacts_project()
    _ingest(client, body)
    phone = f"{COL}customer_contacts.phone_number"
    response = client.put(
        f"{API}/columns/{phone}/classification",
        json={"pii_type": "phone", "masked": True, "reason": "masked by a Snowflake policy"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["method"] == "manual"
    exposed = {i["urn"] for i in client.get(f"{API}/compliance/pii-exposure").json()["data"]}
    assert phone not in exposed

    # the column disappears, then comes back: the person's answer is still there
    gone = copy.deepcopy(body)
    gone["manifest"]["nodes"]["model.jaffle_shop.customer_contacts"]["compiled_code"] = (
        'select customer_id from "jaffle_shop"."staging"."stg_customers"'
    )
    del gone["catalog"]["nodes"]["model.jaffle_shop.customer_contacts"]["columns"]["phone_number"]
    _ingest(client, gone)
    assert client.get(f"{API}/columns/{phone}").status_code == 404
    _ingest(client, body)
    assert _inventory(client)[phone]["method"] == "manual"
    assert _inventory(client)[phone]["masked"] is True

    email = f"{COL}customers.email"
    assert client.put(f"{API}/columns/{email}/classification", json={"pii": False}).status_code == 200
    assert email not in _inventory(client)


def _full_rescan(database_url: str) -> int:
    """Findings a whole-project rescan would change (none when a classification's scoped rescan was exact)."""

    async def run() -> int:
        engine = create_engine(database_url)
        async with make_session_factory(engine).begin() as session:
            changed = await rescan_project(session, "jaffle_shop")
        await engine.dispose()
        return changed

    return asyncio.run(run())


def test_classification_rescans_exactly_the_downstream_columns(
    client: TestClient, settings: Settings
) -> None:
    _ingest(client, _contacts_project())
    email, email_hash = f"{COL}stg_customers.email", f"{COL}customer_contacts.email_hash"
    assert _inventory(client)[email_hash]["method"] == "lineage"
    response = client.put(f"{API}/columns/{email}/classification", json={"pii": False})
    assert response.status_code == 200, response.text
    assert response.json()["columns_changed"] >= 2  # the column and the masked hash fed by it
    inventory = _inventory(client)
    assert email not in inventory
    assert inventory[email_hash]["method"] == "name"  # no PII flows in any more: its own name remains
    assert _full_rescan(str(settings.database_url)) == 0

    response = client.put(f"{API}/columns/{email}/classification", json={"pii_type": "email", "reason": "t"})
    assert response.status_code == 200, response.text
    assert _inventory(client)[email_hash]["method"] == "lineage"
    assert _full_rescan(str(settings.database_url)) == 0


def test_bad_input(client: TestClient) -> None:
    _ingest(client, _contacts_project())
    unknown = client.get(f"{API}/compliance/pii-trace/{COL}nowhere.nothing")
    assert unknown.status_code == 404
    bad_type = client.get(f"{API}/compliance/pii-inventory", params={"pii_type": "shoe_size"})
    assert bad_type.status_code == 422
    assert "email" in bad_type.json()["detail"] and "pii_type" in str(bad_type.json())
    put = client.put(f"{API}/columns/{COL}nowhere.nothing/classification", json={"pii": False})
    assert put.status_code == 404
    put = client.put(f"{API}/columns/{COL}customers.email/classification", json={"pii_type": "shoe_size"})
    assert put.status_code == 422


def test_report_and_gauge(client: TestClient) -> None:
    _ingest(client, _contacts_project())
    csv_text = client.get(f"{API}/reports/pii-inventory", params={"format": "csv"}).text
    assert csv_text.splitlines()[0].startswith("urn,capsule_urn,layer,domain")
    html = client.get(f"{API}/reports/pii-inventory", params={"format": "html"}).text
    assert "customer_contacts" in html
    groups = client.get(f"{API}/compliance/pii-inventory", params={"group_by": "pii_type"}).json()["groups"]
    counts = {g["pii_type"]: g["count"] for g in groups}
    metrics = client.get("/metrics").text
    assert f'dab_pii_column_count{{pii_type="email"}} {float(counts["email"])}' in metrics


def test_masking_functions_from_settings(settings: Settings) -> None:
    """DAB_PII_MASKING_FUNCTIONS: a warehouse's own masking UDF makes the column masked PII."""
    body = _contacts_project()
    node = body["manifest"]["nodes"]["model.jaffle_shop.customer_contacts"]
    node["compiled_code"] = CONTACTS_SQL.replace(
        "phone_number,", "vault_protect(phone_number) as phone_number,"
    )
    configured = settings.model_copy(update={"dab_pii_masking_functions": ["vault_protect"]})
    with TestClient(create_app(configured), headers={"X-API-Key": TEST_API_KEY}) as client:
        _ingest(client, body)
        phone = _inventory(client)[f"{COL}customer_contacts.phone_number"]
        assert (phone["masked"], phone["masking_function"]) == (True, "vault_protect")
        exposed = {i["urn"] for i in client.get(f"{API}/compliance/pii-exposure").json()["data"]}
        assert f"{COL}customer_contacts.phone_number" not in exposed
