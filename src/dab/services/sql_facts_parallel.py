"""A PR gate's SQL parsing spread over two processes.

Without a warm ``--sql-cache`` folder (a fresh CI runner), parsing every model's compiled SQL
with sqlglot is most of the gate (10k models: ~5-10 s on one core). The statements the head's
evaluation will read are known before it starts (``dab.rules.sqlreads``), so when there are
enough of them and a second core, a forked child parses half while this process parses the
other half. Facts are pure functions of the text: the evaluation's answer is the same either
way. For single-threaded batch callers only (``dab.services.forked``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from dab.domain.graph import Graph
from dab.rules import Rule, sqlfacts
from dab.rules.sqlreads import statements_read
from dab.services.forked import in_child, spare_core

T = TypeVar("T")

MIN_STATEMENTS = 1000
"""Below this, the fork and the child's own sqlglot import (~0.3 s) cost about what half the
parse saves."""


def parse_ahead(graph: Graph, rules: Sequence[Rule], *, min_statements: int = MIN_STATEMENTS) -> int:
    """Learn the facts of every statement ``evaluate(graph, rules)`` will read and nobody knows
    yet, over two processes when worth it. Returns how many statements were given to the child
    (0: no child ran)."""
    dialect = sqlfacts.dialect_for(graph.project.adapter_type if graph.project else None)
    texts = sqlfacts.unknown(statements_read(graph, rules), dialect)
    if len(texts) < min_statements or not spare_core():  # the caller asks worth_forking()
        return 0
    theirs, mine = texts[: len(texts) // 2], texts[len(texts) // 2 :]
    pending = in_child(lambda: sqlfacts.facts_by_digest(theirs, dialect))
    for sql in mine:
        sqlfacts.sql_facts(sql, dialect)
    sqlfacts.remember(pending())
    return len(theirs)


def learning_in_child(work: Callable[[], T]) -> Callable[[], T]:
    """``forked.in_child`` for work that reads SQL facts: what the child parsed comes back with
    its result, so this process's facts folder keeps it (``sql_facts_store.save_facts``)."""

    def learning() -> tuple[T, list[tuple[str, sqlfacts.SqlFacts]]]:
        mark = sqlfacts.parsed_count()
        value = work()
        return value, sqlfacts.parsed_since(mark)

    pending = in_child(learning)

    def result() -> T:
        value, learned = pending()
        sqlfacts.remember(learned)
        return value

    return result
