"""Schemathesis over the whole OpenAPI, against the app with the demo project loaded.

Fixed seed and a small budget per operation (the suite must stay fast): no 5xx, and every
response matches its declared status, content type and schema.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from tests.conftest import TEST_API_KEY, _truncate_all
from tests.tools import require_module

from dab.api.main import create_app
from dab.settings import Settings

require_module("schemathesis", "pip install -e '.[dev]'")
import schemathesis  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "dbt" / "v12"
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def demo_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    asyncio.run(_truncate_all(database_url))
    app = create_app(
        Settings(
            environment="test",
            database_url=database_url,
            api_keys=TEST_API_KEY,
            dab_home=tmp_path_factory.mktemp("home"),
            rate_limit_enabled=False,
        )
    )
    with TestClient(app, headers={"X-API-Key": TEST_API_KEY}) as client:
        body = {k: orjson.loads((DEMO / f"{k}.json").read_bytes()) for k in ("manifest", "catalog")}
        assert client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=body).status_code == 201
        yield app
    asyncio.run(_truncate_all(database_url))


def test_no_server_error_and_every_response_as_declared(demo_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", demo_app)
    failures: list[str] = []
    operations = 0
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            derandomize=True,  # a fixed seed: the same requests on every run
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: schemathesis.Case) -> None:
            nonlocal calls
            calls += 1
            case.call_and_validate(headers={"X-API-Key": TEST_API_KEY}, checks=CHECKS)

        try:
            exercise()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}"[:3000])
    assert operations > 20 and calls > 5 * operations
    assert not failures, "\n\n".join(failures)
