"""Deployment and alerting files, checked by the tools that consume them (offline)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from tests.tools import require_executable

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
VENV_HINT = "make install (dev extra); promtool: bash scripts/ci/install-ops-tools.sh"
RUNBOOK_ALERTS = {"DABHighLatency", "DABDatabaseSlow", "DABIngestionFailures", "DABLowCacheHitRate"}


def _tool(name: str) -> str:
    # The PyPI validators live next to this interpreter (the project's virtualenv).
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else require_executable(name, VENV_HINT)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_alert_rules_are_valid_and_fire_when_they_should() -> None:
    promtool = require_executable("promtool", VENV_HINT)
    _run(promtool, "check", "rules", str(PROMETHEUS / "alerts.yml"))
    _run(promtool, "test", "rules", str(PROMETHEUS / "alerts_test.yml"))
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"][0]["rules"]
    assert {rule["alert"] for rule in rules} == RUNBOOK_ALERTS


def test_dashboard_queries_only_metrics_dab_exports() -> None:
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "dab-dashboard.json").read_text())
    exprs = " ".join(t["expr"] for panel in dashboard["panels"] for t in panel["targets"])
    for name in (
        "dab_http_requests_total",
        "dab_ingestion_total",
        "dab_conformance_score",
        "dab_capsule_count",
    ):
        assert name in exprs


def test_dockerfile_passes_hadolint() -> None:
    _run(_tool("hadolint"), "--failure-threshold", "error", "Dockerfile")
    text = (ROOT / "Dockerfile").read_text()
    assert "USER 10001" in text and "/api/v1/health/live" in text and "dab.api.main:app" in text


def test_compose_file_is_valid_with_the_runbook_ports() -> None:
    _run(_tool("docker-compose"), "-f", "docker/docker-compose.yml", "config", "-q")
    services = yaml.safe_load((ROOT / "docker" / "docker-compose.yml").read_text())["services"]
    assert services["postgres"]["ports"] == ["5433:5432"]
    assert services["dab-api"]["ports"] == ["8000:8000"]
    assert services["prometheus"]["ports"] == ["9090:9090"]
    assert "16686:16686" in services["jaeger"]["ports"]


def test_kubernetes_manifests_validate_strictly() -> None:
    manifests = sorted(os.fspath(p) for p in (ROOT / "deploy" / "k8s").glob("*.yaml"))
    _run(_tool("kubernetes-validate"), "--strict", *manifests)
    deployment = yaml.safe_load((ROOT / "deploy" / "k8s" / "deployment.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/api/v1/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/v1/health/ready"
