"""Project-level coverage: the share of a project's models that are tested or documented.

Judged once per project (capsule namespace), on the project's first model by URN, so the
result counts as one check, like the evaluator's coverage models.
"""

from __future__ import annotations

from dab.domain.capsule import Capsule
from dab.rules.checks.base import CheckSpec, Outcome, Param, fail, param
from dab.rules.context import EvalContext, Subject
from dab.rules.model import Rule

MEASURES: tuple[str, ...] = ("tests", "documentation")


def _covered(ctx: EvalContext, capsule: Capsule, measure: str) -> bool:
    if measure == "tests":
        return bool(ctx.graph.tests_by_capsule.get(capsule.urn))
    return bool(capsule.description and capsule.description.strip())


def coverage(ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    capsule = subject.capsule
    if capsule.urn not in ctx.project_leaders:
        return None
    measure = str(param(rule, "measure", "tests"))
    target = int(param(rule, "min_percent", 100))
    models = ctx.models_by_project[capsule.namespace]
    covered = sum(1 for m in models if _covered(ctx, m, measure))
    # integer comparison: 99 of 100 models is below a 100 % target, never rounded up to it
    if covered * 100 >= target * len(models):
        return []
    share = 100.0 * covered / len(models)
    return fail(
        measure,
        f"project '{capsule.namespace}': {measure} coverage {share:.1f}% "
        f"({covered} of {len(models)} models), target {target}%",
    )


SPECS: dict[str, CheckSpec] = {
    "coverage": CheckSpec(
        coverage,
        params={
            "measure": Param("str", "tests", choices=MEASURES),
            "min_percent": Param("int", 100),
        },
    ),
}
