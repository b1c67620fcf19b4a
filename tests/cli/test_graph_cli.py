"""`dab graph formats|export|lineage` on the configured database, and the runbook's curl lines
against a live `dab serve`, their files opened by Graphviz, Mermaid and NetworkX."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from tests.api.graph_export_helpers import ORDERS, ingest_enriched, stored_graph
from tests.cli.test_serve_restart import KEY, _server
from tests.graph_consumers import dot_svg, mermaid_parse
from tests.live_server import free_port
from tests.tools import require_executable, require_module
from typer.testing import CliRunner

from dab.cli import app
from dab.settings import get_settings

V12 = Path(__file__).parents[1] / "fixtures" / "dbt" / "v12"
runner = CliRunner()


@pytest.fixture
def jaffle(client: TestClient, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    ingest_enriched(client, settings.database_url)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield client
    get_settings.cache_clear()


def networkx_nodes(path: Path) -> set[str]:
    require_module("networkx", "pip install -e '.[dev]'")
    import networkx as nx

    return set(nx.read_graphml(path).nodes)


class TestCommands:
    def test_formats(self) -> None:
        result = runner.invoke(app, ["graph", "formats", "--format", "json"])
        assert result.exit_code == 0, result.output
        assert [f["name"] for f in orjson.loads(result.stdout)] == [
            "graphml",
            "dot",
            "cypher",
            "mermaid",
            "json-ld",
        ]

    def test_export_to_a_file_equals_the_api(self, jaffle: TestClient, settings: Any, tmp_path: Path) -> None:
        out = tmp_path / "graph.graphml"
        args = [
            "graph",
            "export",
            "--format",
            "graphml",
            "--output",
            str(out),
            "--include-columns",
            "--include-tags",
        ]
        result = runner.invoke(app, [*args, "--include-data-products"])
        assert result.exit_code == 0, result.output
        api = jaffle.get(
            "/api/v1/graph/export",
            params={
                "format": "graphml",
                "include_columns": True,
                "include_tags": True,
                "include_data_products": True,
            },
        )
        assert out.read_bytes() == api.content
        assert networkx_nodes(out) == set(stored_graph(settings.database_url)[0])

    def test_export_to_stdout_with_filters(self, jaffle: TestClient) -> None:
        result = runner.invoke(
            app, ["graph", "export", "-f", "mermaid", "--layer", "gold", "--domain", "order"]
        )
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("%% dab property graph\ngraph LR\n")
        api = jaffle.get(
            "/api/v1/graph/export", params={"format": "mermaid", "layer": "gold", "domain": "order"}
        )
        assert result.stdout == api.text

    def test_lineage(self, jaffle: TestClient, tmp_path: Path) -> None:
        out = tmp_path / "up.dot"
        result = runner.invoke(
            app,
            [
                "graph",
                "lineage",
                ORDERS,
                "--format",
                "dot",
                "--direction",
                "upstream",
                "--depth",
                "2",
                "-o",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        api = jaffle.get(
            f"/api/v1/graph/export/lineage/{ORDERS}",
            params={"format": "dot", "direction": "upstream", "depth": 2},
        )
        assert out.read_text() == api.text

    @pytest.mark.parametrize(
        ("args", "code", "message"),
        [
            (["graph", "export", "--format", "svg"], 2, "unknown export format 'svg'"),
            (["graph", "export", "--format", "dot", "--layer", "platinum"], 2, "--layer"),
            (["graph", "lineage", "urn:dab:dbt:model:jaffle_shop:nope", "--format", "dot"], 4, "not found"),
            (["graph", "lineage", ORDERS, "--format", "dot", "--depth", "99"], 2, "DAB_LINEAGE_MAX_DEPTH"),
        ],
    )
    def test_bad_input_exits_nonzero_and_writes_no_file(
        self, jaffle: TestClient, tmp_path: Path, args: list[str], code: int, message: str
    ) -> None:
        out = tmp_path / "out" / "x.out"
        out.parent.mkdir()
        result = runner.invoke(app, [*args, "--output", str(out)])
        assert result.exit_code == code, result.output
        assert message in result.output
        assert list(out.parent.iterdir()) == []


def test_runbook_curl_lines_against_a_live_server(tmp_path: Path) -> None:
    """The runbook's export section as written (host and key adapted), files opened by their tools."""
    curl = require_executable("curl", "apt-get install curl")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with _server(tmp_path, port):
        body = {
            k: orjson.loads((V12 / f"{k}.json").read_bytes())
            for k in ("manifest", "catalog", "run_results", "sources")
        }
        answer = httpx.post(
            f"{base}/api/v1/ingest/dbt?wait=true", json=body, headers={"X-API-Key": KEY}, timeout=60
        )
        assert answer.status_code == 201, answer.text
        orders = "urn:dab:dbt:model:jaffle_shop:orders"
        lines = {
            "formats.json": "/api/v1/graph/formats",
            "graph.mmd": "/api/v1/graph/export?format=mermaid",
            "graph.graphml": "/api/v1/graph/export?format=graphml",
            "import.cypher": "/api/v1/graph/export?format=cypher",
            "full_graph.dot": "/api/v1/graph/export?format=dot&include_columns=true&include_tags=true&include_data_products=true",
            "orders_lineage.mmd": f"/api/v1/graph/export/lineage/{orders}?format=mermaid&depth=3",
            "upstream.dot": f"/api/v1/graph/export/lineage/{orders}?format=dot&direction=upstream&depth=5",
            "downstream.mmd": f"/api/v1/graph/export/lineage/{orders}?format=mermaid&direction=downstream",
        }
        with httpx.stream("GET", f"{base}{lines['graph.graphml']}", headers={"X-API-Key": KEY}) as streamed:
            assert streamed.headers.get("transfer-encoding") == "chunked"  # streamed, not buffered
            assert "content-length" not in streamed.headers
        remote = tmp_path / "remote"
        remote.mkdir()
        via_api = ["--api-url", base, "--api-key", KEY]
        result = runner.invoke(
            app, ["graph", "export", "-f", "dot", "--include-columns", *via_api, "-o", str(remote / "a.dot")]
        )
        assert result.exit_code == 0, result.output
        result = runner.invoke(
            app,
            [
                "graph",
                "lineage",
                orders,
                "-f",
                "mermaid",
                "--depth",
                "2",
                *via_api,
                "-o",
                str(remote / "b.mmd"),
            ],
        )
        assert result.exit_code == 0, result.output
        result = runner.invoke(
            app, ["graph", "lineage", orders + "x", "-f", "dot", *via_api, "-o", str(remote / "c.dot")]
        )
        assert (result.exit_code, sorted(p.name for p in remote.iterdir())) == (4, ["a.dot", "b.mmd"])
        for name, url in lines.items():
            done = subprocess.run(
                [curl, "-sf", "-H", f"X-API-Key: {KEY}", f"{base}{url}", "-o", str(tmp_path / name)],
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, name
    assert orjson.loads((tmp_path / "formats.json").read_bytes()) == [
        "graphml",
        "dot",
        "cypher",
        "mermaid",
        "json-ld",
    ]
    assert orders in networkx_nodes(tmp_path / "graph.graphml")
    for result in mermaid_parse(*(tmp_path / n for n in lines if n.endswith(".mmd"))):
        assert result["ok"], result
    assert mermaid_parse(remote / "b.mmd")[0]["ok"]
    for name in ("full_graph.dot", "upstream.dot", "remote/a.dot"):
        assert 'class="node"' in dot_svg(tmp_path / name)
    dot = require_executable("dot", "apt-get install graphviz")
    png = subprocess.run(
        [dot, "-Tpng", str(tmp_path / "full_graph.dot"), "-o", str(tmp_path / "graph.png")], check=False
    )
    assert png.returncode == 0
    assert (tmp_path / "graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "MERGE (n:Capsule {urn: row.urn})" in (tmp_path / "import.cypher").read_text()
