"""capsule.column_count of the event source's datasets: set on insert, kept true afterwards."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.api.openlineage_helpers import CRM, dataset, run_event
from tests.api.test_openlineage import capsule, post

TABLE = "crm.public.orders"
URN = "urn:dab:openlineage:dataset:postgres%3A%2F%2Fcrm%2Eexample%2Ecom%3A5432:crm.public.orders"


def count(client: TestClient) -> int:
    value: int = capsule(client, URN)["column_count"]
    return value


class TestColumnCount:
    def test_a_new_dataset_starts_with_the_union_of_its_fields_in_the_batch(self, client: TestClient) -> None:
        post(
            client,
            [
                run_event(
                    "START", job="a", outputs=[dataset(CRM, TABLE, {"id": "integer", "total": "numeric"})]
                ),
                # The same field in another case is the same column; "status" is new.
                run_event(
                    "START", job="b", outputs=[dataset(CRM, TABLE, {"ID": "integer", "status": "text"})]
                ),
            ],
        )
        assert count(client) == 3

    def test_a_dataset_first_seen_without_a_schema_gets_its_columns_counted(self, client: TestClient) -> None:
        post(client, [run_event("START", job="reader", inputs=[dataset(CRM, TABLE)])])
        assert count(client) == 0
        post(client, [run_event("START", job="writer", outputs=[dataset(CRM, TABLE, {"id": "integer"})])])
        assert count(client) == 1
        fields = {"id": "bigint", "total": "numeric", "status": "text"}
        post(client, [run_event("START", job="writer", outputs=[dataset(CRM, TABLE, fields)])])
        assert count(client) == 3
        # Known fields alone (a type change) leave the count as it is.
        post(client, [run_event("START", job="writer", outputs=[dataset(CRM, TABLE, {"total": "double"})])])
        assert count(client) == 3

    def test_without_and_with_a_schema_in_one_batch(self, client: TestClient) -> None:
        post(
            client,
            [
                run_event("START", job="reader", inputs=[dataset(CRM, TABLE)]),
                run_event(
                    "START", job="writer", outputs=[dataset(CRM, TABLE, {"id": "integer", "x": "text"})]
                ),
            ],
        )
        assert count(client) == 2
