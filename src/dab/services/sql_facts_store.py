"""SQL facts kept in a file between processes, so a new process does not parse every model again.

Used by the PR gate (``--sql-cache``), which has no database; servers and ``dab conformance
evaluate`` keep facts in the database instead (``sql_facts_stored``).

Parsing every model's SQL is most of a cold evaluation (10k models: seconds of sqlglot). The
file maps a digest of SQL text and dialect to its facts and is named after the sqlglot version
that computed them, so an upgrade starts afresh. It is a cache: unreadable, corrupt or missing
entries are parsed again, and a write that fails is skipped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from dab.rules import sqlfacts
from dab.rules.sqlfacts import SqlFacts

FILE_NAME = f"sql-facts-{sqlfacts.parser_version()}.json"
_loaded: dict[Path, int] = {}


def _entry(item: Any) -> tuple[str, SqlFacts] | None:
    try:
        key, joins, tables, parsed, stars = item
        if not isinstance(key, str) or not isinstance(tables, list) or not isinstance(stars, list):
            return None
        return key, SqlFacts(int(joins), tuple(map(str, tables)), bool(parsed), tuple(map(str, stars)))
    except (TypeError, ValueError):
        return None


def load_facts(directory: Path) -> int:
    """Hand the file's facts to the rules (once per directory and process); how many were read."""
    if directory in _loaded:
        return _loaded[directory]
    try:
        raw = orjson.loads((directory / FILE_NAME).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        raw = []
    entries = [e for e in map(_entry, raw if isinstance(raw, list) else []) if e is not None]
    sqlfacts.remember(entries)
    _loaded[directory] = len(entries)
    return len(entries)


def save_facts(directory: Path) -> None:
    """Write every fact the process knows when it knows more than the file held."""
    facts = sqlfacts.known()
    if len(facts) <= _loaded.get(directory, 0):
        return
    rows = [[key, f.join_count, f.qualified_tables, f.parsed, f.star_reads] for key, f in facts]
    try:
        directory.mkdir(parents=True, exist_ok=True)
        partial = directory / f"{FILE_NAME}.{os.getpid()}.partial"
        partial.write_bytes(orjson.dumps(rows))
        partial.replace(directory / FILE_NAME)  # atomic: readers see the old file or the new one
    except OSError:
        return
    _loaded[directory] = len(rows)
