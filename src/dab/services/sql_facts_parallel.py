"""A cold PR gate's SQL parsed over two processes: half in a forked child, half here.

Without a warm ``--sql-cache`` folder (a fresh CI runner), parsing every model's compiled SQL
with sqlglot is most of the gate (10k models: ~5-10 s on one core). The statements the head's
evaluation will read are known before it starts (``dab.rules.sqlreads``), so when there are
enough of them and a second core, a forked child parses half while this process parses the
other half; the child's facts are handed to ``sqlfacts.remember``. Facts are pure functions of
the text, so the evaluation's answer is the same either way. Only for single-threaded batch
callers (the CLI): forking a threaded server is not safe.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections.abc import Sequence
from multiprocessing.connection import Connection

from dab.domain.graph import Graph
from dab.rules import Rule, sqlfacts
from dab.rules.sqlreads import statements_read

MIN_STATEMENTS = 1000
"""Below this, the fork and the child's own sqlglot import (~0.3 s) cost about what half the
parse saves."""


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _parse_and_send(conn: Connection, texts: list[str], dialect: str | None) -> None:
    # The parent's heap (parsed manifests) is shared copy-on-write: collections scanning it would
    # copy every page they touch. The child's own sqlglot trees are still collected.
    gc.freeze()
    conn.send(sqlfacts.facts_by_digest(texts, dialect))
    conn.close()


def parse_ahead(graph: Graph, rules: Sequence[Rule], *, min_statements: int = MIN_STATEMENTS) -> int:
    """Learn the facts of every statement ``evaluate(graph, rules)`` will read and nobody knows
    yet, over two processes when worth it. Returns how many statements the child parsed (0: it
    did not run). A child that fails leaves its half to be parsed during the evaluation."""
    dialect = sqlfacts.dialect_for(graph.project.adapter_type if graph.project else None)
    texts = sqlfacts.unknown(statements_read(graph, rules), dialect)
    if len(texts) < min_statements or _cores() < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    theirs, mine = texts[: len(texts) // 2], texts[len(texts) // 2 :]
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_parse_and_send, args=(send, theirs, dialect), daemon=True)
    sys.stdout.flush()  # the child must not write what this process has buffered
    sys.stderr.flush()
    child.start()
    send.close()
    try:
        for sql in mine:
            sqlfacts.sql_facts(sql, dialect)
        try:
            sqlfacts.remember(receive.recv())
        except (EOFError, OSError):  # the child died: its half is parsed as the rules ask
            return 0
    finally:
        receive.close()
        child.join()
    return len(theirs)
