"""Facts about compiled SQL the rules need (join count, tables read), parsed once with sqlglot.

Parsing dominates evaluation time (~0.5 ms a statement, 10k models: seconds), so facts are
memoised by SQL text: an unchanged model is never parsed twice in a process. Facts can also be
handed in from outside (``remember``), keyed by ``digest``, so a caller may keep them between
processes. When sqlglot cannot parse a statement, a regex fallback counts joins and finds
dotted ``FROM``/``JOIN`` targets.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from itertools import islice

from dab.domain.graph import Graph

_JOIN_RE = re.compile(r"\bjoin\b", re.IGNORECASE)
_TABLE_RE = re.compile(
    r"\b(?:from|join)\s+((?:[`\"\[]?[\w$]+[`\"\]]?\.){1,2}[`\"\[]?[\w$]+[`\"\]]?)", re.IGNORECASE
)
_QUOTES = str.maketrans("", "", '"`[]')
_COMMON_DIALECTS = frozenset(
    ("bigquery", "clickhouse", "databricks", "duckdb", "postgres", "redshift", "snowflake", "spark", "trino")
)
"""Adapters that are sqlglot dialects under the same name (a test checks each one), answered
without importing sqlglot: a process whose facts are all known (the PR gate with its facts
folder) never imports it (~0.2-0.4 s)."""


@dataclass(frozen=True, slots=True)
class SqlFacts:
    join_count: int
    qualified_tables: tuple[str, ...]
    """Lower-cased dotted names of tables referenced with at least a schema, CTEs excluded."""
    parsed: bool
    star_reads: tuple[str, ...] = ()
    """Relations (not CTEs of the statement) that a ``select *`` or ``t.*`` passes through."""


def from_regex(sql: str) -> SqlFacts:
    """Facts found by regular expressions, when sqlglot cannot parse the statement."""
    tables = {m.group(1).translate(_QUOTES).lower() for m in _TABLE_RE.finditer(sql)}
    return SqlFacts(len(_JOIN_RE.findall(sql)), tuple(sorted(tables)), False)


def dialect_for(adapter_type: str | None) -> str | None:
    """The sqlglot dialect of a dbt adapter (most share the name), or ``None`` for the default."""
    if not adapter_type:
        return None
    name = adapter_type.lower()
    if name in _COMMON_DIALECTS:
        return name
    from sqlglot.dialects.dialect import Dialects  # imported only when needed

    return name if name in {d.value for d in Dialects} else None


_MEMO_LIMIT = 1 << 18
_memo: dict[tuple[str | None, str], SqlFacts] = {}
_given: dict[str, SqlFacts] = {}


def digest(sql: str, dialect: str | None) -> str:
    """The key facts are handed in and out by: SQL text and dialect, hashed."""
    return hashlib.blake2b(f"{dialect or ''}\x00{sql}".encode(), digest_size=16).hexdigest()


@cache
def parser_version() -> str:
    """The sqlglot version facts come from: stored facts are kept per version, so an upgrade
    that parses differently starts afresh instead of using stale facts."""
    return version("sqlglot")


def graph_dialect(graph: Graph) -> str | None:
    """The dialect an evaluation of ``graph`` parses its SQL in (the project's adapter)."""
    return dialect_for(graph.project.adapter_type if graph.project else None)


def graph_statements(graph: Graph) -> dict[str, str]:
    """``digest`` -> SQL of every capsule with compiled SQL, in the graph's dialect: the facts
    an evaluation of the whole graph may ask for."""
    dialect = graph_dialect(graph)
    return {
        digest(c.compiled_sql, dialect): c.compiled_sql for c in graph.capsules.values() if c.compiled_sql
    }


def memoised(sql: str, dialect: str | None) -> SqlFacts | None:
    """The facts of a statement this process parsed or was given, without parsing it."""
    return _memo.get((dialect, sql))


def sql_facts(sql: str, dialect: str | None = None) -> SqlFacts:
    """Join count and qualified tables of one SQL statement.

    Example:
        >>> sql_facts("select * from db.s.a join db.s.b on a.id = b.id").join_count
        1
    """
    key = (dialect, sql)
    found = _memo.get(key)
    if found is None:
        found = _given.get(digest(sql, dialect)) if _given else None
        if found is None:
            from dab.rules._sqlparse import parse  # sqlglot, imported only on a miss

            found = parse(sql, dialect)
        if len(_memo) >= _MEMO_LIMIT:
            _memo.clear()  # a bound, not an LRU: a process sees one or two projects' SQL
        _memo[key] = found
    return found


def unknown(texts: Iterable[str], dialect: str | None) -> list[str]:
    """The texts among ``texts`` whose facts are neither memoised nor handed in (order kept)."""
    return [
        sql
        for sql in texts
        if (dialect, sql) not in _memo and (not _given or digest(sql, dialect) not in _given)
    ]


def facts_by_digest(texts: Iterable[str], dialect: str | None) -> list[tuple[str, SqlFacts]]:
    """Parse (or recall) each text: what another process hands back to ``remember``."""
    return [(digest(sql, dialect), sql_facts(sql, dialect)) for sql in texts]


def parsed_count() -> int:
    """A mark for ``parsed_since``: how many statements this process holds facts of."""
    return len(_memo)


def parsed_since(count: int) -> list[tuple[str, SqlFacts]]:
    """Facts learned after ``parsed_count()`` returned ``count``, by ``digest``: what a child
    process hands back to ``remember`` (after the memo's rare clearing some are missed, and
    parsed again when asked for: this is a cache)."""
    start = count if len(_memo) >= count else 0
    return [(digest(sql, dialect), facts) for (dialect, sql), facts in islice(_memo.items(), start, None)]


def remember(facts: Iterable[tuple[str, SqlFacts]]) -> None:
    """Facts computed elsewhere (another process, same sqlglot), by ``digest``."""
    _given.update(facts)
    if len(_given) > _MEMO_LIMIT:
        _given.clear()


def known() -> list[tuple[str, SqlFacts]]:
    """Every fact this process parsed or was given, by ``digest``."""
    out = dict(_given)
    out.update((digest(sql, dialect), facts) for (dialect, sql), facts in _memo.items())
    return list(out.items())


def forget() -> None:
    """Drop every memoised and given fact (benchmarks measure a cold start with it)."""
    _memo.clear()
    _given.clear()
