"""capsule.last_run of jobs and the datasets they write: the latest finished run wins, whatever
order the events arrive in, within one batch (one set-based statement) and across batches."""

from __future__ import annotations

import random
import uuid

from fastapi.testclient import TestClient
from tests.api.openlineage_helpers import CRM, dataset, run_event
from tests.api.test_openlineage import capsule, post

JOBS = 12
OUTPUT = "urn:dab:openlineage:dataset:postgres%3A%2F%2Fcrm%2Eexample%2Ecom%3A5432:crm.public.out_{}"


def _job_urn(job: int) -> str:
    return f"urn:dab:openlineage:job:airbyte:job_{job}"


def _finished(job: int, hour: int, state: str = "COMPLETE") -> dict[str, object]:
    return run_event(
        state,
        job=f"job_{job}",
        run_id=str(uuid.uuid4()),
        outputs=[dataset(CRM, f"crm.public.out_{job}")],
        time=f"2026-11-30T{hour:02d}:00:00+00:00",
    )


def test_the_latest_finished_run_wins_in_any_order(client: TestClient) -> None:
    # Per job: runs finished at 01:00 .. 05:00, the 05:00 one failed; shuffled in one batch.
    events = [_finished(j, h, "FAIL" if h == 5 else "COMPLETE") for j in range(JOBS) for h in range(1, 6)]
    random.Random(7).shuffle(events)
    assert post(client, events)["applied"] == 5 * JOBS
    # A later batch with older runs, and a START of a newer one, changes no last run.
    older = [_finished(j, 0) for j in range(JOBS)]
    started = [run_event("START", job=f"job_{j}", time="2026-11-30T23:00:00+00:00") for j in range(JOBS)]
    post(client, older + started)
    for job in range(JOBS):
        for urn in (_job_urn(job), OUTPUT.format(job)):
            last = capsule(client, urn)["last_run"]
            assert last["status"] == "error", urn
            assert last["completed_at"].startswith("2026-11-30T05:00:00"), urn
    # A newer finished run of half the jobs moves only theirs.
    post(client, [_finished(j, 6) for j in range(0, JOBS, 2)])
    for job in range(JOBS):
        expected = "2026-11-30T06:00:00" if job % 2 == 0 else "2026-11-30T05:00:00"
        assert capsule(client, _job_urn(job))["last_run"]["completed_at"].startswith(expected)
