"""Commands imported only when they run: `dab --help` and `dab --version` stay cheap.

Each command module pulls in what it needs (SQLAlchemy, the services, the CEL environment,
sqlglot, uvicorn); importing all of them up front cost over a second of CPU before any command
ran. The top-level group lists commands from the table below and imports one module when that
command is resolved.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from difflib import get_close_matches

import typer
import typer.main
from typer._click import Command, Context
from typer._click.exceptions import UsageError
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """``module:attribute`` holds a ``typer.Typer`` (a group) or a function (one command)."""

    name: str
    target: str
    help: str

    def load(self) -> Command:
        module_name, _, attribute = self.target.partition(":")
        obj = getattr(importlib.import_module(module_name), attribute)
        if isinstance(obj, typer.Typer):
            command: Command = typer.main.get_group(obj)
        else:
            single = typer.Typer()
            single.command(self.name)(obj)
            command = typer.main.get_command(single)
        command.name = self.name
        return command


def _cli(module: str, attribute: str = "app") -> str:
    return f"dab.cli.{module}:{attribute}"


# The order is the order of `dab --help`. The help lines are checked against the modules' own
# in tests/cli/test_cli_startup.py.
COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand("serve", _cli("serve", "serve"), "Serve the REST API (the app is dab.api.main:app)."),
    LazyCommand(
        "search",
        _cli("search", "search"),
        "Search the catalog; exact names first, then prefixes, then substrings.",
    ),
    LazyCommand(
        "backup",
        _cli("operations", "backup"),
        "Copy the embedded SQLite database to PATH while the server keeps running.",
    ),
    LazyCommand(
        "restore",
        _cli("operations", "restore"),
        "Replace the embedded database with backup PATH; running servers serve it at once.",
    ),
    LazyCommand("db", _cli("db"), "Database schema migrations (Alembic)."),
    LazyCommand(
        "ingest", _cli("ingest"), "Ingest metadata (dbt artifacts, OpenLineage events) into the graph."
    ),
    LazyCommand(
        "sources",
        _cli("sources", "sources"),
        "List the registered ingestion sources and how their writes behave.",
    ),
    LazyCommand(
        "conformance", _cli("conformance"), "Conformance: evaluate rules, read the score and the violations."
    ),
    LazyCommand(
        "capsules",
        _cli("capsules"),
        "Browse capsules (dbt models, sources, seeds, snapshots, exposures; jobs and datasets).",
    ),
    LazyCommand("columns", _cli("columns"), "Browse columns."),
    LazyCommand("pii", _cli("pii"), "Where PII is, where it flows, where it is exposed."),
    LazyCommand("products", _cli("products"), "Data products: capsules grouped with SLO targets."),
    LazyCommand("tags", _cli("tags"), "Tags on capsules and columns (TAGGED_WITH)."),
    LazyCommand(
        "graph", _cli("graph"), "Export the property graph (GraphML, DOT, Cypher, Mermaid, JSON-LD)."
    ),
    LazyCommand("cache", _cli("operations", "cache_app"), "The read cache: clear it or show its state."),
)
_BY_NAME = {command.name: command for command in COMMANDS}


class LazyGroup(TyperGroup):
    """Lists the table's commands by name and help; imports a command's module when it runs."""

    def list_commands(self, ctx: Context) -> list[str]:  # noqa: ARG002 - click signature
        return [command.name for command in COMMANDS]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:  # noqa: ARG002
        """The loaded command, or a stand-in carrying the help line (for `dab --help`)."""
        loaded = self.commands.get(cmd_name)
        if loaded is not None or cmd_name not in _BY_NAME:
            return loaded
        summary = _BY_NAME[cmd_name].help
        return TyperCommand(cmd_name, help=summary, short_help=summary)

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        """Running a command (or its own --help) imports its module first."""
        if args and args[0] in _BY_NAME and args[0] not in self.commands:
            self.add_command(_BY_NAME[args[0]].load(), args[0])
        try:
            return super().resolve_command(ctx, args)
        except UsageError as error:  # typer suggests from loaded commands only: use the table
            close = get_close_matches(args[0], list(_BY_NAME)) if args else []
            if close and "Did you mean" not in error.message:
                error.message = f"{error.message.rstrip('.')}. Did you mean {', '.join(map(repr, close))}?"
            raise
