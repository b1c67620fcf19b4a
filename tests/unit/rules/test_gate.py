"""The PR gate's core: violations introduced and fixed, changed capsules, downstream impact."""

from __future__ import annotations

from dataclasses import replace

from builders import make_capsule, make_graph
from scenarios import broken, conforming

from dab.domain.capsule import CapsuleType, Freshness, RunResult
from dab.rules import builtin_rules, evaluate
from dab.rules.gate import changed_capsules, downstream_impact, gate


def _ids(violations: tuple[object, ...]) -> set[str]:
    return {v.rule_id for v in violations}  # type: ignore[attr-defined]


class TestGate:
    def test_same_project_introduces_nothing(self) -> None:
        graph = conforming().graph()
        result = evaluate(graph, builtin_rules())
        diff = gate(graph, result, graph, result)
        assert (diff.introduced, diff.fixed, diff.changed, diff.removed) == ((), (), (), ())

    def test_a_change_reports_what_it_introduced_and_its_reach(self) -> None:
        base = conforming().graph()
        head = broken("no-select-star")  # int_orders now passes stg_orders through with select *
        rules = builtin_rules()
        diff = gate(base, evaluate(base, rules), head, evaluate(head, rules))
        assert _ids(diff.introduced) == {"no-select-star"}
        assert diff.fixed == ()
        assert [u.rsplit(":", 1)[1] for u in diff.modified] == ["int_orders"]
        assert [u.rsplit(":", 1)[1] for u in diff.impact.models] == ["fct_orders"]
        assert [u.rsplit(":", 1)[1] for u in diff.impact.exposures] == ["weekly_sales"]

    def test_reverting_the_change_reports_it_fixed(self) -> None:
        bad, good = broken("orphan-model"), conforming().graph()
        rules = builtin_rules()
        diff = gate(bad, evaluate(bad, rules), good, evaluate(good, rules))
        assert _ids(diff.fixed) == {"orphan-model"}
        assert diff.introduced == ()
        assert diff.unchanged == 0

    def test_already_present_violations_are_unchanged_not_introduced(self) -> None:
        base = broken("orphan-model")
        head = broken("orphan-model")
        rules = builtin_rules()
        diff = gate(base, evaluate(base, rules), head, evaluate(head, rules))
        assert diff.introduced == () and diff.unchanged == 1


class TestChangesAndImpact:
    def test_added_modified_removed(self) -> None:
        a, b, c, gone = (make_capsule(name=n) for n in ("a", "b", "c", "gone"))
        base = make_graph([a, b, gone], [(a, b)])
        head = make_graph([a, make_capsule(name="b", description="new text"), c], [(a, b), (a, c)])
        added, modified, removed = changed_capsules(base, head)
        assert (added, removed) == ((c.urn,), (gone.urn,))
        assert modified == (b.urn,)  # a only gained a child: a itself is unchanged

    def test_a_new_parent_edge_is_a_modification(self) -> None:
        a, b = make_capsule(name="a"), make_capsule(name="b")
        added, modified, _ = changed_capsules(make_graph([a, b]), make_graph([a, b], [(a, b)]))
        assert (added, modified) == ((), (b.urn,))

    def test_impact_walks_every_depth_from_every_start_once(self) -> None:
        caps = [make_capsule(name=n) for n in ("a", "b", "c", "d")]
        dash = make_capsule(name="dash", capsule_type=CapsuleType.EXPOSURE)
        a, b, c, d = caps
        graph = make_graph([*caps, dash], [(a, b), (b, c), (c, d), (d, dash), (c, a)])
        impact = downstream_impact(graph, [a.urn, c.urn])
        assert impact.models == (b.urn, d.urn)
        assert impact.exposures == (dash.urn,)

    def test_run_results_and_freshness_status_are_not_changes(self) -> None:
        a = make_capsule(name="a", freshness=Freshness(warn_after="1 day"))
        ran = replace(
            a, last_run=RunResult("success"), freshness=Freshness(warn_after="1 day", status="pass")
        )
        assert changed_capsules(make_graph([a]), make_graph([ran])) == ((), (), ())
        stricter = replace(a, freshness=Freshness(warn_after="1 hour"))
        assert changed_capsules(make_graph([a]), make_graph([stricter]))[1] == (a.urn,)
