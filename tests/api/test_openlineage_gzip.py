"""POST /api/v1/lineage with ``Content-Encoding: gzip``: inflated under the upload limit
(DAB_MAX_UPLOAD_MB, the limit of every upload), refused past it; nothing stored when refused."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient
from tests.api.openlineage_helpers import loader_events
from tests.conftest import TEST_API_KEY

from dab.api.main import create_app
from dab.settings import Settings

LINEAGE = "/api/v1/lineage"
RUN = "5f0d0f6e-4a55-4b35-9f2e-3b7f3f4c2a11"


@pytest.fixture
def small_client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"dab_max_upload_mb": 1}))
    with TestClient(app, headers={"X-API-Key": TEST_API_KEY}) as test_client:
        yield test_client


def _post(client: TestClient, body: bytes, encoding: str = "gzip") -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", "Content-Encoding": encoding}
    response = client.post(LINEAGE, content=body, headers=headers)
    return response.status_code, response.json()


def _jobs(client: TestClient) -> int:
    return int(client.get("/api/v1/capsules", params={"capsule_type": "job"}).json()["total"])


def test_gzip_body_is_inflated_and_applied(small_client: TestClient) -> None:
    status, body = _post(small_client, gzip.compress(orjson.dumps(loader_events(RUN))))
    assert status == 200, body
    assert body["applied"] == 2
    assert _jobs(small_client) == 1


def test_gzip_body_inflating_past_the_limit_is_refused(small_client: TestClient) -> None:
    events = loader_events(RUN)
    events[0]["job"]["facets"] = {"padding": {"_producer": "x", "_schemaURL": "x", "text": " " * 2_000_000}}
    packed = gzip.compress(orjson.dumps(events))
    assert len(packed) < 1024 * 1024  # small on the wire, over the limit once inflated
    status, body = _post(small_client, packed)
    assert status == 413, body
    assert "inflates to more than the limit" in body["detail"]
    assert _jobs(small_client) == 0


@pytest.mark.parametrize(
    ("data", "encoding", "expected"),
    [
        (b"not gzip at all", "gzip", "corrupt gzip data"),
        (gzip.compress(b"[{}]", mtime=0)[:-6], "gzip", "corrupt gzip data"),
        (b"[]", "br", "Content-Encoding 'br' is not accepted"),
    ],
    # Named ids: gzip bytes carry a timestamp, and xdist workers must collect the same names.
    ids=["not-gzip", "truncated-gzip", "brotli"],
)
def test_bad_encodings_are_refused_naming_the_problem(
    small_client: TestClient, data: bytes, encoding: str, expected: str
) -> None:
    status, body = _post(small_client, data, encoding)
    assert status == 422, body
    assert expected in body["detail"]
    assert _jobs(small_client) == 0
