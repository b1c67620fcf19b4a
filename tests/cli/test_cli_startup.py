"""`dab --help` and `dab --version` must not import what only commands need (issue 13).

Not timed: the start-up time is measured in benchmarks and docs/PERFORMANCE.md; here the cause of
a slow start (a heavy module imported at `import dab.cli`) is what fails.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from dab.cli import app
from dab.cli._lazy import COMMANDS

# Each of these costs tens to hundreds of milliseconds to import (celpy builds the CEL
# environment at import). rich is not listed: typer itself formats --help with it.
HEAVY = (
    "celpy",
    "sqlglot",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "structlog",
    "pydantic",
    "dab.services",
    "dab.storage",
    "dab.rules",
    "dab.ingest",
    "dab.api",
)

PROBE = """
import json, sys
from dab.cli import app
try:
    app(sys.argv[1:], prog_name="dab")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(*argv: str) -> tuple[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout, set(json.loads(done.stderr.strip().splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("argv", [(), ("--help",), ("--version",)], ids=["import", "help", "version"])
def test_start_up_imports_no_heavy_module(argv: tuple[str, ...]) -> None:
    if argv:
        out, modules = _modules_after(*argv)
        assert out.strip(), "the command printed nothing"
    else:
        done = subprocess.run(
            [sys.executable, "-c", "import json, sys, dab.cli; print(json.dumps(sorted(sys.modules)))"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        modules = set(json.loads(done.stdout))
    assert _heavy(modules) == []


def test_help_lists_every_command_with_its_own_help() -> None:
    out, _ = _modules_after("--help")
    for command in COMMANDS:
        assert command.name in out
    # The stand-in help lines are the commands' own: the table cannot drift from the modules.
    for command in COMMANDS:
        loaded = command.load()
        assert (loaded.help or "").strip().splitlines()[0] == command.help, command.name


def test_running_a_command_imports_its_module() -> None:
    result = CliRunner().invoke(app, ["capsules", "--help"])
    assert result.exit_code == 0, result.output
    assert "lineage" in result.output
    out, modules = _modules_after("db", "--help")
    assert "upgrade" in out
    assert "dab.storage.migrate" in modules
    assert "celpy" not in modules


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output
    near = CliRunner().invoke(app, ["capsule"])
    assert near.exit_code == 2
    assert "Did you mean 'capsules'" in near.output
