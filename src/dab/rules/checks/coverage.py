"""Project-level coverage: the share of a project's models that are tested or documented.

Judged once per project (capsule namespace), on the project's first model by URN, so the
result counts as one check, like the evaluator's coverage models.
"""

from __future__ import annotations

from collections.abc import Sequence

from dab.domain.capsule import Capsule
from dab.rules.checks.base import CheckSpec, Failing, Judged, Param, param
from dab.rules.context import EvalContext
from dab.rules.model import Rule

MEASURES: tuple[str, ...] = ("tests", "documentation")


def _covered(ctx: EvalContext, capsule: Capsule, measure: str) -> bool:
    if measure == "tests":
        return bool(ctx.graph.tests_by_capsule.get(capsule.urn))
    return bool(capsule.description and capsule.description.strip())


def coverage(ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    leaders = ctx.project_leaders
    judged = [c for c in capsules if c.urn in leaders]
    measure = str(param(rule, "measure", "tests"))
    target = int(param(rule, "min_percent", 100))
    failing: list[Failing] = []
    for capsule in judged:
        project = capsule.namespace
        models = ctx.models_by_project[project]
        covered = sum(1 for m in models if _covered(ctx, m, measure))
        # integer comparison: 99 of 100 models is below a 100 % target, never rounded up to it
        if covered * 100 < target * len(models):
            share = 100.0 * covered / len(models)
            message = (
                f"project '{project}': {measure} coverage {share:.1f}% "
                f"({covered} of {len(models)} models), target {target}%"
            )
            failing.append((capsule, None, [(measure, message)]))
    return len(judged), failing


SPECS: dict[str, CheckSpec] = {
    "coverage": CheckSpec(
        coverage,
        params={
            "measure": Param("str", "tests", choices=MEASURES),
            "min_percent": Param("int", 100),
        },
    ),
}
