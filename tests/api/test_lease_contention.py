"""Job leases under SQLite write contention, for real: an ingestion's write transaction holds
SQLite's one write lock far longer than a lease renewal may wait for it, so the renewals (and
the recovery pass) are refused with "database is locked" while it runs. That once left a
server hanging (a renewal's failure poisoned a pooled connection); here the job must still
complete, nothing may be recovered as interrupted, and the next jobs must run normally."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api.ingest_helpers import artifacts
from tests.conftest import TEST_API_KEY

from dab.api.main import create_app
from dab.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from generate_dbt_project import generate_manifest

INGEST = "/api/v1/ingest/dbt"


@pytest.mark.parametrize("worker", ["process", "thread"])
def test_renewals_refused_during_a_long_write_break_nothing(
    settings: Settings, database_url: str, capsys: pytest.CaptureFixture[str], worker: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's single write lock is what the renewals contend for")
    # A statement waits at most 0.3 s for the lock; the lease is renewed every 0.2 s and
    # expires after 0.8 s; the write of 1,500 models holds the lock for seconds.
    tight = settings.model_copy(
        update={
            "dab_db_statement_timeout_seconds": 0.3,
            "dab_job_lease_seconds": 0.8,
            "dab_ingest_worker": worker,  # the write in a child process, or in this one
        }
    )
    outcome: dict[str, Any] = {}
    # In a thread with a deadline: a server that hangs (the defect once seen) fails the test
    # instead of stalling the suite.
    runner = threading.Thread(target=_scenario, args=(tight, outcome), daemon=True)
    runner.start()
    runner.join(timeout=300)
    assert not runner.is_alive(), "the server hung (requests or shutdown) after lease renewals were refused"
    if "error" in outcome:
        raise outcome["error"]
    assert '"job_lease_not_renewed"' in capsys.readouterr().out  # the contention happened
    assert outcome["statuses"] == ["completed"] * 3


def _scenario(settings: Settings, outcome: dict[str, Any]) -> None:
    try:
        outcome["statuses"] = _three_jobs(settings)
    except BaseException as exc:  # re-raised by the test
        outcome["error"] = exc


def _three_jobs(settings: Settings) -> list[str]:
    manifest, catalog, _ = generate_manifest(1500, 20, seed=5)
    with TestClient(create_app(settings), headers={"X-API-Key": TEST_API_KEY}) as client:
        first = client.post(INGEST, params={"wait": "true"}, json={"manifest": manifest, "catalog": catalog})
        assert first.status_code == 201, first.text
        assert first.json()["status"] == "completed"
        # The same server, the same pooled connections: the next jobs run as usual.
        manifest["metadata"]["invocation_id"] = "regenerated"
        again = client.post(INGEST, params={"wait": "true"}, json={"manifest": manifest, "catalog": catalog})
        assert again.status_code == 201 and again.json()["status"] == "completed", again.text
        other = client.post(INGEST, params={"wait": "true"}, json=artifacts())
        assert other.status_code == 201 and other.json()["status"] == "completed", other.text
        return [job["status"] for job in client.get("/api/v1/ingest/jobs").json()["data"]]
