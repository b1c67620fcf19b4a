"""Rule boundaries: each test sits on the threshold, so an off-by-one in the check fails it."""

from __future__ import annotations

import itertools

import pytest
from builders import make_capsule, make_graph, make_source, make_test, pk_tests

from dab.domain.capsule import Capsule, CapsuleType
from dab.domain.graph import Graph
from dab.domain.quality import TestKind
from dab.rules import apply_config, builtin_rules, evaluate
from dab.rules.model import Rule

RULES = {r.rule_id: r for r in builtin_rules()}


def _rule(rule_id: str, **params: object) -> Rule:
    rule = RULES[rule_id]
    if params:
        (rule,) = apply_config([rule], {"rules": {rule_id: {"params": params}}})
    return rule


def _failed(graph: Graph, rule: Rule) -> list[str]:
    return [v.subject_urn.rsplit(":", 1)[1] for v in evaluate(graph, [rule]).violations]


def _fan(parent: Capsule, children: int) -> Graph:
    kids = [make_capsule(name=f"m{i}") for i in range(children)]
    return make_graph([parent, *kids], [(parent, k) for k in kids])


class TestFanOut:
    @pytest.mark.parametrize(("children", "fires"), [(3, False), (4, True)])
    def test_model_fan_out_allows_exactly_max(self, children: int, fires: bool) -> None:
        assert bool(_failed(_fan(make_capsule(name="hub"), children), _rule("model-fan-out"))) is fires

    @pytest.mark.parametrize(("children", "fires"), [(1, False), (2, True)])
    def test_source_fan_out_allows_exactly_max(self, children: int, fires: bool) -> None:
        assert bool(_failed(_fan(make_source(name="raw.a"), children), _rule("source-fan-out"))) is fires

    def test_fan_out_counts_models_not_exposures(self) -> None:
        hub = make_capsule(name="hub")
        kids = [make_capsule(name=f"m{i}") for i in range(3)]
        dash = make_capsule(name="dash", capsule_type=CapsuleType.EXPOSURE)
        graph = make_graph([hub, *kids, dash], [(hub, k) for k in [*kids, dash]])
        assert _failed(graph, _rule("model-fan-out")) == []

    @pytest.mark.parametrize(("parents", "fires"), [(5, False), (6, True)])
    def test_max_upstream(self, parents: int, fires: bool) -> None:
        ups = [make_capsule(name=f"u{i}") for i in range(parents)]
        sink = make_capsule(name="sink")
        graph = make_graph([*ups, sink], [(u, sink) for u in ups])
        assert ("sink" in _failed(graph, _rule("model-max-upstream"))) is fires


class TestCoverage:
    @staticmethod
    def _project(models: int, tested: int) -> Graph:
        caps = [make_capsule(name=f"m{i:03d}") for i in range(models)]
        tests = [t for c in caps[:tested] for t in pk_tests(c)]
        return make_graph(caps, tests=tests)

    @pytest.mark.parametrize(
        ("models", "tested", "target", "fires"),
        [(100, 99, 100, True), (100, 100, 100, False), (5, 4, 80, False), (5, 3, 80, True), (3, 2, 67, True)],
    )
    def test_project_test_coverage_target(self, models: int, tested: int, target: int, fires: bool) -> None:
        rule = _rule("test-coverage-target", min_percent=target)
        result = evaluate(self._project(models, tested), [rule])
        assert bool(result.violations) is fires
        assert result.by_rule["test-coverage-target"].applicable == 1  # judged once per project

    def test_coverage_is_judged_per_project(self) -> None:
        mine = [make_capsule(name="a"), make_capsule(name="b")]
        theirs = [make_capsule(name="c", namespace="other")]
        graph = make_graph([*mine, *theirs], tests=pk_tests(mine[0]) + pk_tests(mine[1]))
        result = evaluate(graph, [_rule("test-coverage-target")])
        assert [v.message.split(":")[0] for v in result.violations] == ["project 'other'"]
        assert result.by_rule["test-coverage-target"].applicable == 2

    @pytest.mark.parametrize(("count", "minimum", "fires"), [(2, 2, False), (1, 2, True), (0, 1, True)])
    def test_per_model_test_coverage_min(self, count: int, minimum: int, fires: bool) -> None:
        model = make_capsule(name="m")
        tests = [make_test(model, TestKind.ACCEPTED_VALUES, f"c{i}") for i in range(count)]
        graph = make_graph([model], tests=tests)
        assert bool(_failed(graph, _rule("test-coverage", min=minimum))) is fires


class TestPrimaryKey:
    def test_unique_and_not_null_must_be_on_one_column(self) -> None:
        model = make_capsule(name="m")
        split = [make_test(model, TestKind.UNIQUE, "a"), make_test(model, TestKind.NOT_NULL, "b")]
        assert _failed(make_graph([model], tests=split), _rule("primary-key-tested")) == ["m"]
        same = [make_test(model, TestKind.UNIQUE, "a"), make_test(model, TestKind.NOT_NULL, "a")]
        assert _failed(make_graph([model], tests=same), _rule("primary-key-tested")) == []

    def test_unique_alone_is_not_a_primary_key_test(self) -> None:
        model = make_capsule(name="m")
        graph = make_graph([model], tests=[make_test(model, TestKind.UNIQUE, "a")])
        assert _failed(graph, _rule("primary-key-tested")) == ["m"]


class TestRejoining:
    @staticmethod
    def _diamond(extra_child: bool) -> Graph:
        a, b, c = (make_capsule(name=n) for n in ("a", "b", "c"))
        edges = [(a, b), (a, c), (b, c)]
        caps = [a, b, c]
        if extra_child:
            d = make_capsule(name="d")
            caps.append(d)
            edges.append((b, d))
        return make_graph(caps, edges)

    def test_fires_when_the_middle_model_feeds_only_the_rejoin(self) -> None:
        assert _failed(self._diamond(extra_child=False), _rule("rejoining-upstream")) == ["c"]

    def test_quiet_when_the_middle_model_has_another_child(self) -> None:
        assert _failed(self._diamond(extra_child=True), _rule("rejoining-upstream")) == []


class TestChainsAndJoins:
    @staticmethod
    def _chain(views: int, materialization: str = "view") -> Graph:
        caps = [make_capsule(name="root", materialization="table")]
        caps += [make_capsule(name=f"v{i}", materialization=materialization) for i in range(views)]
        caps.append(make_capsule(name="sink", materialization="table"))
        return make_graph(caps, list(itertools.pairwise(caps)))

    @pytest.mark.parametrize(("views", "fires"), [(3, False), (4, True)])
    def test_chained_views(self, views: int, fires: bool) -> None:
        assert ("sink" in _failed(self._chain(views), _rule("chained-views"))) is fires

    def test_ephemeral_models_chain_too_but_tables_break_the_chain(self) -> None:
        assert "sink" in _failed(self._chain(4, "ephemeral"), _rule("chained-views"))
        assert _failed(self._chain(4, "table"), _rule("chained-views")) == []

    def test_chain_through_a_cycle_terminates(self) -> None:
        a = make_capsule(name="a", materialization="view")
        b = make_capsule(name="b", materialization="view")
        graph = make_graph([a, b], [(a, b), (b, a)])
        assert _failed(graph, _rule("chained-views")) == []

    @pytest.mark.parametrize(("joins", "fires"), [(7, False), (8, True)])
    def test_too_many_joins(self, joins: int, fires: bool) -> None:
        body = " ".join(f"join s.t{i} t{i} on t{i}.id = o.id" for i in range(joins))
        model = make_capsule(name="m", compiled_sql=f"select o.id from s.o o {body}")
        assert bool(_failed(make_graph([model]), _rule("too-many-joins"))) is fires

    @pytest.mark.parametrize(("text", "fires"), [("abc", True), ("abcd", False), ("   abc  ", True)])
    def test_description_length(self, text: str, fires: bool) -> None:
        model = make_capsule(name="m", description=text)
        assert bool(_failed(make_graph([model]), _rule("model-description-length"))) is fires


class TestProjects:
    def test_two_projects_reading_one_raw_table_are_not_duplicates(self) -> None:
        ours = make_source(name="raw.orders", relation_name="db.raw.orders")
        theirs = make_source(name="raw.orders", relation_name="db.raw.orders", namespace="finance")
        graph = make_graph([ours, theirs])
        assert evaluate(graph, [_rule("duplicate-sources")]).violations == ()

    def test_one_project_declaring_a_table_twice_is(self) -> None:
        one = make_source(name="raw.orders", relation_name="db.raw.orders")
        two = make_source(name="legacy.orders", relation_name="DB.RAW.ORDERS")
        assert len(evaluate(make_graph([one, two]), [_rule("duplicate-sources")]).violations) == 2

    def test_source_groups_are_per_project(self) -> None:
        ours = make_source(name="raw.orders")
        theirs = make_source(name="raw.customers", namespace="finance", description=None)
        result = evaluate(make_graph([ours, theirs]), [_rule("source-table-documented")])
        assert [v.capsule_urn for v in result.violations] == [theirs.urn]
        assert result.by_rule["source-table-documented"].applicable == 2


class TestSelectStar:
    @pytest.mark.parametrize(
        ("sql", "fires"),
        [
            ("with o as (select id from s.orders) select * from o", False),
            ("select * from s.orders", True),
            ("with o as (select * from s.orders) select id from o", True),
            ("select o.*, c.name from s.orders o join s.customers c on o.cid = c.id", True),
            ("select o.id, c.* from s.orders o join cte_free c on o.cid = c.id", True),
            ("select count(*) from s.orders", False),
            ("select * from (select id from s.orders) q", False),
        ],
    )
    def test_parsed_select_star(self, sql: str, fires: bool) -> None:
        model = make_capsule(name="m", compiled_sql=sql)
        assert bool(_failed(make_graph([model]), _rule("no-select-star"))) is fires

    def test_unparsable_sql_is_not_judged(self) -> None:
        model = make_capsule(name="m", compiled_sql="select * from ((( broken")
        result = evaluate(make_graph([model]), [_rule("no-select-star")])
        assert result.by_rule["no-select-star"].applicable == 0


class TestConfigRules:
    def test_unknown_config_is_not_judged(self) -> None:
        model = make_capsule(name="m", materialization="incremental", config=None)
        result = evaluate(make_graph([model]), [_rule("incremental-unique-key")])
        assert result.by_rule["incremental-unique-key"].applicable == 0

    def test_only_incremental_models_need_a_unique_key(self) -> None:
        table = make_capsule(name="t", materialization="table", config={})
        inc = make_capsule(name="i", materialization="incremental", config={"unique_key": []})
        assert _failed(make_graph([table, inc]), _rule("incremental-unique-key")) == ["i"]

    def test_meta_keys_are_configurable_and_nested(self) -> None:
        model = make_capsule(name="m", owner="a", meta={"team": {"slack": "#data"}})
        rule = _rule("model-meta-keys", keys=["owner", "team.slack", "tier"])
        (violation,) = evaluate(make_graph([model]), [rule]).violations
        assert violation.detail_key == "tier"
