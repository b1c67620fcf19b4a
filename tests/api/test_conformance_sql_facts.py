"""SQL facts in the database: a fresh server after an ingestion evaluates without parsing SQL.

Each test starts the evaluating side as a fresh process would (no memoised facts, no kept graph
or result); the ingestion itself runs in the server's ingestion child, as in production.
"""

from __future__ import annotations

import asyncio
import copy
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from dab.rules import _sqlparse, sqlfacts
from dab.services import conformance_evaluate, graph_memo, sql_facts_stored
from dab.services.sql_facts_stored import save_facts
from dab.storage.db import create_engine, make_session_factory
from dab.storage.repositories import sql_facts as sql_facts_repository
from dab.storage.repositories.sql_facts import stored_facts

sys.path.insert(0, str(Path(__file__).parent))  # the helper module, under --import-mode=importlib
from conformance_helpers import ORDERS, artifacts, evaluate, ingest, parsed_graph

LEGACY = "jaffle_shop.legacy.orders_archive"


def _run(url: str, sql: str) -> list[Any]:
    async def go() -> list[Any]:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(sql))
                return list(result.all()) if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _stored_digests(url: str) -> set[str]:
    return {row[0] for row in _run(url, "SELECT digest FROM sql_fact")}


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """SQL statements the rules parse from here on; the parser still runs."""
    seen: list[str] = []
    real = _sqlparse.parse

    def counted(sql: str, dialect: str | None) -> sqlfacts.SqlFacts:
        seen.append(sql)
        return real(sql, dialect)

    monkeypatch.setattr(_sqlparse, "parse", counted)
    return seen


def _fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget what this process knows, as a newly started server would."""
    sqlfacts.forget()
    monkeypatch.setattr(graph_memo, "_kept", None)
    monkeypatch.setattr(conformance_evaluate, "_last", None)
    monkeypatch.setattr(sql_facts_stored, "_last", None)


def _findings(body: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(v["rule_id"], v["subject_urn"], v["message"]) for v in body["violations"]["data"]}


def _with_legacy_join(docs: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(docs)
    node = next(n for n in changed["manifest"]["nodes"].values() if n.get("name") == "orders")
    node["compiled_code"] = (
        node["compiled_code"].rstrip() + ' join "jaffle_shop"."legacy"."orders_archive" using (order_id)'
    )
    return changed


class TestFactsFromTheDatabase:
    def test_a_fresh_server_after_an_ingestion_parses_no_sql(
        self, client: TestClient, clean_database: str, parses: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ingest(client)
        assert len(_stored_digests(clean_database)) >= 5  # the five models' SQL, from the ingestion
        _fresh_process(monkeypatch)
        from_table = evaluate(client, scope="full", persist_violations=True, violations_limit=1000)
        assert parses == []

        _run(clean_database, "DELETE FROM sql_fact")  # what the evaluation gives when it parses
        _fresh_process(monkeypatch)
        parsed = evaluate(client, scope="full", persist_violations=True, violations_limit=1000)
        assert len(parses) >= 5
        assert _findings(parsed) == _findings(from_table)
        assert {k: parsed[k] for k in ("score", "rules", "by_layer")} == {
            k: from_table[k] for k in ("score", "rules", "by_layer")
        }

    def test_changed_sql_gets_fresh_facts_and_the_old_ones_are_pruned(
        self, client: TestClient, clean_database: str, parses: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ingest(client)
        before = _stored_digests(clean_database)
        ingest(client, _with_legacy_join(artifacts()))
        after_ingest = _stored_digests(clean_database)
        assert len(after_ingest - before) == 1  # the changed model's new SQL, from its lineage parse

        _fresh_process(monkeypatch)
        body = evaluate(client, scope="full", persist_violations=True, violations_limit=1000)
        assert parses == []
        legacy = [v for v in body["violations"]["data"] if v["rule_id"] == "hard-coded-reference"]
        assert [(v["subject_urn"], LEGACY in v["message"]) for v in legacy] == [(ORDERS, True)]
        # Pruned on save: the old SQL of orders is no capsule's any more.
        old = sqlfacts.digest(parsed_graph().capsules[ORDERS].compiled_sql or "", "duckdb")
        assert old in before
        assert _stored_digests(clean_database) == after_ingest - {old}

    def test_without_stored_facts_the_first_evaluation_stores_them(
        self, client: TestClient, clean_database: str, parses: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Column lineage off (or facts lost): the first evaluation parses and stores, the
        next fresh server parses nothing; a non-persisted evaluation stores them as well."""
        ingest(client)
        _run(clean_database, "DELETE FROM sql_fact")
        _fresh_process(monkeypatch)
        evaluate(client, scope="layer", layer="gold", persist_violations=False)
        first = len(parses)
        assert first >= 1
        _fresh_process(monkeypatch)
        evaluate(client, scope="full", persist_violations=True)
        assert len(parses) > first  # the models the scoped run did not reach
        _fresh_process(monkeypatch)
        parses.clear()
        evaluate(client, scope="full", persist_violations=True)
        assert parses == []

    def test_a_failed_save_does_not_fail_the_evaluation(
        self, client: TestClient, clean_database: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ingest(client)
        _run(clean_database, "DELETE FROM sql_fact")
        refuse = _refusing_trigger(clean_database)
        try:
            _fresh_process(monkeypatch)
            body = evaluate(client, scope="full", persist_violations=True)
        finally:
            for statement in refuse["drop"]:
                _run(clean_database, statement)
        assert body["persisted"] is True and body["run_id"]
        assert _stored_digests(clean_database) == set()
        stored = client.get("/api/v1/conformance/violations?limit=1").json()
        assert stored["total"] == body["violations"]["total"] > 0  # the run itself committed


def _refusing_trigger(url: str) -> dict[str, list[str]]:
    """A trigger that makes every insert into ``sql_fact`` fail: a real database error."""
    if url.startswith("postgresql"):
        create = [
            "CREATE FUNCTION sql_fact_refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$"
            " LANGUAGE plpgsql",
            "CREATE TRIGGER sql_fact_refuse BEFORE INSERT ON sql_fact FOR EACH ROW EXECUTE FUNCTION sql_fact_refuse()",
        ]
        drop = ["DROP TRIGGER sql_fact_refuse ON sql_fact", "DROP FUNCTION sql_fact_refuse()"]
    else:
        create = [
            "CREATE TRIGGER sql_fact_refuse BEFORE INSERT ON sql_fact BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ]
        drop = ["DROP TRIGGER sql_fact_refuse"]
    for statement in create:
        _run(url, statement)
    return {"drop": drop}


def test_two_savers_of_the_same_facts_at_once(clean_database: str) -> None:
    """Two transactions store the same digests concurrently: both succeed, one row each."""
    facts = [
        (sqlfacts.digest(f"select {i}", None), sqlfacts.SqlFacts(i, ("a.b.c",), True)) for i in range(300)
    ]

    async def go() -> list[bool]:
        engine = create_engine(clean_database)
        factory = make_session_factory(engine)

        async def one() -> bool:
            async with factory.begin() as session:
                saved = await save_facts(session, facts)
                await asyncio.sleep(0.05)  # hold the transaction while the other one saves
                return saved

        try:
            results = list(await asyncio.gather(one(), one()))
            async with factory() as session:
                stored = await stored_facts(session, sqlfacts.parser_version())
        finally:
            await engine.dispose()
        assert sorted(stored) == sorted(facts)
        return results

    assert asyncio.run(go()) == [True, True]


def test_facts_over_several_batches_keep_what_was_stored(
    clean_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows go in batch after batch of one prepared statement; a digest already stored keeps
    its row (the first writer's), and every new one is stored once."""
    monkeypatch.setattr(sql_facts_repository, "INSERT_BATCH", 7)
    facts = [
        (sqlfacts.digest(f"select {i}", None), sqlfacts.SqlFacts(i, (f"a.b.t{i}",), True, ("a.b.c",)))
        for i in range(30)
    ]
    earlier = [(facts[3][0], sqlfacts.SqlFacts(99, ("x.y.z",), False))]

    async def go() -> list[tuple[str, sqlfacts.SqlFacts]]:
        engine = create_engine(clean_database)
        factory = make_session_factory(engine)
        try:
            async with factory.begin() as session:
                assert await save_facts(session, earlier)
            async with factory.begin() as session:
                assert await save_facts(session, facts)
            async with factory() as session:
                return await stored_facts(session, sqlfacts.parser_version())
        finally:
            await engine.dispose()

    expected = dict(facts) | dict(earlier)
    stored = asyncio.run(go())
    assert len(stored) == len(expected) == 30
    assert dict(stored) == expected
