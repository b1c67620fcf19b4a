"""A malformed-artifact corpus: seeded mutations of the real fixtures (truncations, wrong types,
deleted keys, deep nesting, gzip bombs, non-UTF-8), each uploaded as a file.

Every case is refused with a 4xx problem naming what is wrong (its job failed, the stored graph
unchanged) or accepted as a completed job; never a 5xx, never a job left running.
"""

from __future__ import annotations

import copy
import gzip
import random
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from tests.api.ingest_helpers import FIXTURES, snapshot
from tests.conftest import TEST_API_KEY

from dab.api.main import create_app
from dab.settings import Settings

SEED = 20261130
KINDS = ("manifest", "catalog", "run_results", "sources")
WRONG_VALUES: tuple[Any, ...] = (None, 0, -1, 1.5, "", "text", [], {}, True, ["x"], {"k": []})
Case = tuple[str, dict[str, bytes]]


def _originals() -> dict[str, bytes]:
    return {kind: (FIXTURES / "v12" / f"{kind}.json").read_bytes() for kind in KINDS}


def _paths(value: Any, prefix: tuple[Any, ...] = (), depth: int = 4) -> Iterator[tuple[Any, ...]]:
    """Every key path down to ``depth`` levels (dict keys and list indexes)."""
    if depth == 0:
        return
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        path = (*prefix, key)
        yield path
        yield from _paths(child, path, depth - 1)


def _set(document: Any, path: tuple[Any, ...], replace: Callable[[Any, Any], None]) -> Any:
    changed = copy.deepcopy(document)
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    replace(parent, path[-1])
    return changed


def _deep(depth: int) -> bytes:
    """JSON nested ``depth`` levels (built as text: encoders refuse such depths)."""
    return b'{"d":[' * depth + b"1" + b"]}" * depth


def _structural_cases(rng: random.Random, originals: dict[str, bytes]) -> Iterator[Case]:
    for kind in KINDS:
        document = orjson.loads(originals[kind])
        paths = list(_paths(document))
        for path in rng.sample(paths, min(len(paths), 14 if kind == "manifest" else 5)):
            wrong = rng.choice(WRONG_VALUES)

            def put(parent: Any, key: Any, wrong: Any = wrong) -> None:
                parent[key] = wrong

            yield f"{kind}: {path} = {wrong!r}", {**originals, kind: orjson.dumps(_set(document, path, put))}
        for path in rng.sample(paths, min(len(paths), 8 if kind == "manifest" else 3)):

            def drop(parent: Any, key: Any) -> None:
                del parent[key]

            yield f"{kind}: del {path}", {**originals, kind: orjson.dumps(_set(document, path, drop))}


def _byte_cases(rng: random.Random, originals: dict[str, bytes]) -> Iterator[Case]:
    manifest = originals["manifest"]
    for fraction in (0.0, 0.01, 0.3, 0.75, 0.999):
        yield f"manifest truncated at {fraction}", {"manifest": manifest[: int(len(manifest) * fraction)]}
    packed = gzip.compress(manifest)
    yield "gzip truncated", {"manifest": packed[: len(packed) // 2]}
    yield "gzip corrupt", {"manifest": packed[:12] + bytes(rng.randrange(256) for _ in range(400))}
    yield "gzip of garbage", {"manifest": gzip.compress(b"\x00\x01 not json")}
    yield "gzip bomb", {"manifest": gzip.compress(b"[" + b"0," * (3 * 1024 * 1024) + b"0]")}
    yield "gzip bomb in catalog", {**originals, "catalog": gzip.compress(b" " * (5 * 1024 * 1024))}
    yield "UTF-16", {"manifest": manifest.decode().encode("utf-16")}
    yield "latin-1 bytes", {"manifest": manifest.replace(b'"orders"', b'"\xf6rders\xff"', 1)}
    yield "invalid UTF-8 in catalog", {**originals, "catalog": originals["catalog"][:200] + b"\xc3\x28"}
    yield "a JSON array", {"manifest": b"[1, 2, 3]"}
    yield "JSON null", {"manifest": b"null"}
    yield "empty file", {"manifest": b""}
    yield "NUL escapes", {"manifest": manifest.replace(b'"orders"', b'"ord\\u0000ers"')}
    yield "raw NUL byte", {"manifest": manifest.replace(b'"orders"', b'"ord\x00ers"', 1)}
    document = orjson.loads(manifest)
    next(iter(document["nodes"].values()))["meta"] = "DEEP-VALUE"
    template = orjson.dumps(document)
    for depth in (100, 300, 600):
        yield f"meta nested {2 * depth} deep", {"manifest": template.replace(b'"DEEP-VALUE"', _deep(depth))}
    yield "nested deeper than the decoder", {"manifest": b'{"a":' * 3000 + b"1" + b"}" * 3000}
    yield "catalog given as the manifest", {"manifest": originals["catalog"]}


def corpus() -> list[Case]:
    rng = random.Random(SEED)
    originals = _originals()
    return [*_byte_cases(rng, originals), *_structural_cases(rng, originals)]


@pytest.fixture
def server(settings: Settings) -> Iterator[TestClient]:
    # A 2 MB upload (and inflated-size) limit, so the bombs cross it.
    app = create_app(settings.model_copy(update={"dab_max_upload_mb": 2}))
    with TestClient(app, headers={"X-API-Key": TEST_API_KEY}) as client:
        yield client


def _upload(client: TestClient, files: dict[str, bytes]) -> Any:
    parts = {kind: (f"{kind}.json", data) for kind, data in files.items()}
    return client.post("/api/v1/ingest/dbt", params={"wait": "true"}, files=parts)


def test_every_malformed_artifact_is_a_4xx_or_a_completed_job(server: TestClient, database_url: str) -> None:
    assert _upload(server, _originals()).status_code == 201
    cases = corpus()
    assert len(cases) > 60
    before = snapshot(database_url)
    problems: list[str] = []
    refused = 0
    for name, files in cases:
        response = _upload(server, files)
        if response.status_code == 201 and response.json()["status"] == "completed":
            before = snapshot(database_url)  # a harmless mutation: the new state is the baseline
            continue
        body = response.json()
        if not 400 <= response.status_code < 500 or not body.get("detail"):
            problems.append(f"{name}: {response.status_code} {str(body)[:300]}")
            continue
        refused += 1
        job = server.get(f"/api/v1/ingest/jobs/{body['job_id']}").json()
        if job["status"] != "failed":
            problems.append(f"{name}: refused but its job is {job['status']}")
        if snapshot(database_url) != before:
            problems.append(f"{name}: refused but the stored graph changed")
    running = server.get("/api/v1/ingest/jobs", params={"status": "running", "limit": 1}).json()["total"]
    pending = server.get("/api/v1/ingest/jobs", params={"status": "pending", "limit": 1}).json()["total"]
    assert not problems, "\n".join(problems)
    assert running == 0 and pending == 0
    assert refused >= 20  # the corpus really is malformed (many mutations are harmless)
