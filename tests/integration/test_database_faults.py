"""PostgreSQL stopped and frozen (SIGSTOP) under a running app: 503 problem+json within the
configured timeouts, and recovery without restarting the app.

Runs against a PRIVATE PostgreSQL (own data directory and port), never the shared server.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import orjson
import pytest
from fastapi.testclient import TestClient
from tests.api.ingest_helpers import artifacts
from tests.conftest import TEST_API_KEY
from tests.tools import in_ci

from dab.api.main import create_app
from dab.settings import Settings
from dab.storage import migrate

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from generate_dbt_project import generate_manifest
from tests.live_server import free_port

CONNECT, STATEMENT, POOL = 1.0, 2.0, 2.0
# The slowest a request may take to give up: pre-ping of a pooled connection (statement
# timeout), then a new connection (connect timeout), with slack for a loaded machine.
WORST = STATEMENT + CONNECT + POOL + 6


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        message = "PostgreSQL server binaries are missing (scripts/ci/install-postgresql-server.sh)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return Path(found[-1]).parent


class PrivatePostgres:
    def __init__(self, bin_dir: Path, root: Path, port: int) -> None:
        self.bin_dir, self.data, self.port = bin_dir, root / "data", port
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:  # the server refuses to run as root
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "dab", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.data / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def pids(self) -> list[int]:
        """The postmaster and every backend it forked."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout
        return [postmaster, *map(int, children.split())]

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://dab@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    bin_dir = _pg_bin()
    root = Path(tempfile.mkdtemp(prefix="dab-pg-"))
    server = PrivatePostgres(bin_dir, root, free_port())
    if os.geteuid() == 0:
        shutil.chown(root, server.user)
    server.init()
    server.start()
    try:
        yield server
    finally:
        for pid in server.pids() if (server.data / "postmaster.pid").exists() else []:
            # a backend (or the postmaster itself) may exit between the listing and the signal
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        subprocess.run(
            [str(bin_dir / "pg_ctl"), "-D", str(server.data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
            user=server.user if os.geteuid() == 0 else None,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def app_on_private_pg(private_pg: PrivatePostgres, settings: Settings) -> Iterator[TestClient]:
    migrate.upgrade(private_pg.url)
    fragile = settings.model_copy(
        update={
            "database_url": private_pg.url,
            "cache_enabled": False,
            "dab_db_connect_timeout_seconds": CONNECT,
            "dab_db_statement_timeout_seconds": STATEMENT,
            "dab_db_pool_timeout_seconds": POOL,
        }
    )
    with TestClient(create_app(fragile), headers={"X-API-Key": TEST_API_KEY}) as client:
        assert client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=artifacts()).status_code == 201
        yield client


def _timed(client: TestClient, path: str) -> tuple[int, str, float]:
    started = time.monotonic()
    response = client.get(path)
    return response.status_code, response.headers["content-type"], time.monotonic() - started


def _assert_unavailable(client: TestClient) -> None:
    for path in ("/api/v1/capsules", "/api/v1/health/ready", "/api/v1/ingest/jobs"):
        status, content_type, took = _timed(client, path)
        assert status == 503, path
        assert content_type == "application/problem+json", path
        assert took < WORST, f"{path} took {took:.1f}s"


def _assert_recovers(client: TestClient) -> None:
    deadline = time.monotonic() + 30
    while client.get("/api/v1/capsules").status_code != 200:
        assert time.monotonic() < deadline, "the app did not recover once the database was back"
        time.sleep(0.2)
    assert client.get("/api/v1/health/ready").status_code == 200


def test_database_stopped_answers_503_then_recovers(
    app_on_private_pg: TestClient, private_pg: PrivatePostgres
) -> None:
    private_pg.stop()
    _assert_unavailable(app_on_private_pg)
    private_pg.start()
    _assert_recovers(app_on_private_pg)


def test_readiness_turns_503_within_about_a_second_of_the_database_stopping(
    app_on_private_pg: TestClient, private_pg: PrivatePostgres
) -> None:
    # Health probes are shared and a good answer is reused for up to a second: a cached OK must
    # not hide the stopped database for longer than that (plus the probe's own connect timeout).
    assert app_on_private_pg.get("/api/v1/health/ready").status_code == 200
    private_pg.stop()
    stopped = time.monotonic()
    while True:
        sent = time.monotonic()  # timed from the request, not its answer: the machine may be loaded
        if (status := app_on_private_pg.get("/api/v1/health/ready").status_code) != 200:
            break
        assert sent - stopped < 1.5, "a cached OK hid the stopped database"
        time.sleep(0.05)
    assert status == 503
    assert time.monotonic() - stopped < 1.0 + CONNECT + 4  # slack for a loaded machine
    private_pg.start()
    _assert_recovers(app_on_private_pg)


def test_database_frozen_answers_503_within_the_timeouts_then_recovers(
    app_on_private_pg: TestClient, private_pg: PrivatePostgres
) -> None:
    frozen = private_pg.pids()
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        _assert_unavailable(app_on_private_pg)
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    _assert_recovers(app_on_private_pg)


class _AdvisoryLockProbe:
    """Watches pg_locks over one connection opened before the write starts: on a loaded
    machine a fresh connection per poll can take longer than the write itself."""

    def __init__(self, url: str) -> None:
        self._loop = asyncio.new_event_loop()
        dsn = url.replace("postgresql+asyncpg", "postgresql")
        self._conn = self._loop.run_until_complete(asyncpg.connect(dsn, timeout=60))

    def held(self) -> bool:
        query = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        return int(self._loop.run_until_complete(self._conn.fetchval(query, timeout=60))) > 0

    def close(self) -> None:
        self._conn.terminate()  # the server is about to die: no polite goodbye needed
        self._loop.close()


def test_database_dying_mid_write_leaves_a_job_its_lease_recovers(
    private_pg: PrivatePostgres, settings: Settings
) -> None:
    migrate.upgrade(private_pg.url)
    lease = 1.0
    fragile = settings.model_copy(
        update={
            "database_url": private_pg.url,
            "cache_enabled": False,
            "dab_db_connect_timeout_seconds": CONNECT,
            "dab_db_statement_timeout_seconds": STATEMENT,
            "dab_db_pool_timeout_seconds": POOL,
            "dab_job_lease_seconds": lease,
        }
    )
    manifest, catalog, _ = generate_manifest(2500, 20, seed=3)
    answer: dict[str, object] = {}
    with TestClient(create_app(fragile), headers={"X-API-Key": TEST_API_KEY}) as client:

        def ingest() -> None:
            body = {"manifest": manifest, "catalog": catalog}
            try:
                response = client.post("/api/v1/ingest/dbt", params={"wait": "true"}, json=body)
                answer.update(status=response.status_code, body=response.json())
            except BaseException as exc:  # reported by the test, not as an unhandled thread error
                answer.update(error=repr(exc))

        probe = _AdvisoryLockProbe(private_pg.url)
        writer = threading.Thread(target=ingest)
        writer.start()
        try:
            deadline = time.monotonic() + 120
            try:
                while not probe.held():  # the write transaction is open
                    assert writer.is_alive() and time.monotonic() < deadline, answer
                    time.sleep(0.05)
            finally:
                probe.close()
            private_pg.stop()  # the database dies in the middle of the write ...
        finally:
            # Never leave the request running past the client: a failed assertion above would
            # close the client's portal under it ("This portal is not running" in the thread).
            writer.join(timeout=120)
        assert not writer.is_alive(), "the ingestion request never returned"
        # ... and recording the failure fails too: a 503 problem, never a 500.
        assert answer.get("status") == 503, answer
        private_pg.start()
        _assert_recovers(client)
        deadline = time.monotonic() + 30
        while True:  # nobody could mark the job failed; its expired lease does
            jobs = client.get("/api/v1/ingest/jobs").json()["data"]
            if jobs[0]["status"] == "failed":
                break
            assert time.monotonic() < deadline, jobs[0]
            time.sleep(0.2)
        assert jobs[0]["error"]["message"].startswith("interrupted")
        assert client.get("/api/v1/capsules").json()["total"] == 0  # nothing half-written


def _cli_ingest(private_pg: PrivatePostgres, tmp_path: Path, models: int) -> subprocess.Popen[bytes]:
    """`dab ingest` as an operator runs it, against the private server, with short timeouts."""
    manifest, catalog, _ = generate_manifest(models, 20, seed=5)
    (tmp_path / "manifest.json").write_bytes(orjson.dumps(manifest))
    (tmp_path / "catalog.json").write_bytes(orjson.dumps(catalog))
    env = {
        **os.environ,
        "DATABASE_URL": private_pg.url,
        "DAB_HOME": str(tmp_path / "home"),
        "DAB_DB_CONNECT_TIMEOUT_SECONDS": str(CONNECT),
        "DAB_DB_STATEMENT_TIMEOUT_SECONDS": str(STATEMENT),
        "DAB_DB_POOL_TIMEOUT_SECONDS": str(POOL),
    }
    command = [sys.executable, "-m", "dab", "ingest", "--source", "dbt"]
    command += ["--manifest", str(tmp_path / "manifest.json"), "--catalog", str(tmp_path / "catalog.json")]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_cli_write_with_the_database_down_says_so_in_one_line(
    private_pg: PrivatePostgres, tmp_path: Path
) -> None:
    migrate.upgrade(private_pg.url)
    private_pg.stop()
    process = _cli_ingest(private_pg, tmp_path, models=20)
    stdout, stderr = process.communicate(timeout=120)
    message = stderr.decode().strip()
    assert process.returncode != 0
    assert "Traceback" not in message and "Traceback" not in stdout.decode()
    assert len(message.splitlines()) == 1, message
    assert "database" in message.lower(), message


def test_cli_job_killed_while_the_database_is_down_is_recovered_later(
    private_pg: PrivatePostgres, settings: Settings, tmp_path: Path
) -> None:
    migrate.upgrade(private_pg.url)
    probe = _AdvisoryLockProbe(private_pg.url)
    process = _cli_ingest(private_pg, tmp_path, models=2500)
    try:
        deadline = time.monotonic() + 120
        try:
            while not probe.held():  # inside the write transaction
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.05)
        finally:
            probe.close()
        private_pg.stop()
        process.send_signal(signal.SIGKILL)  # nothing could record the end of its job
    finally:
        process.wait(timeout=30)
    private_pg.start()
    lease = 1.0
    time.sleep(lease + 0.5)
    recovering = settings.model_copy(
        update={"database_url": private_pg.url, "cache_enabled": False, "dab_job_lease_seconds": lease}
    )
    with TestClient(create_app(recovering), headers={"X-API-Key": TEST_API_KEY}) as client:
        jobs = client.get("/api/v1/ingest/jobs").json()["data"]
        assert [job["status"] for job in jobs] == ["failed"]
        assert jobs[0]["error"]["message"].startswith("interrupted")
        assert client.get("/api/v1/capsules").json()["total"] == 0  # the open transaction rolled back
