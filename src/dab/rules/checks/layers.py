"""Medallion checks: which layers a capsule may read from."""

from __future__ import annotations

from dab.domain.capsule import Capsule, Layer
from dab.rules.checks.base import CheckSpec, Outcome, Param, label, param
from dab.rules.context import LAYER_RANK, EvalContext, Subject
from dab.rules.model import Failure, Rule


def _reads(ctx: EvalContext, capsule: Capsule) -> list[Capsule]:
    return ctx.parent_capsules(capsule.urn)


def allowed_upstream_layers(ctx: EvalContext, rule: Rule, subject: Subject) -> Outcome:
    capsule = subject.capsule
    allowed = set(param(rule, "layers", ()))
    ignore_unknown = bool(param(rule, "ignore_unknown", True))
    failures: list[Failure] = []
    for parent in _reads(ctx, capsule):
        layer = parent.layer_value
        if layer in allowed or (ignore_unknown and layer == Layer.UNKNOWN.value):
            continue
        failures.append(
            Failure(
                parent.urn,
                f"{capsule.layer_value} {label(capsule)} reads {layer} {label(parent)}; "
                f"allowed upstream layers: {', '.join(sorted(allowed))}",
            )
        )
    return failures


def no_backwards_flow(ctx: EvalContext, _rule: Rule, subject: Subject) -> Outcome:
    capsule = subject.capsule
    rank = LAYER_RANK.get(capsule.layer_value)
    if rank is None:
        return None
    return [
        Failure(
            parent.urn,
            f"{capsule.layer_value} {label(capsule)} reads from the later "
            f"{parent.layer_value} layer ({label(parent)})",
        )
        for parent in _reads(ctx, capsule)
        if LAYER_RANK.get(parent.layer_value, -1) > rank
    ]


SPECS: dict[str, CheckSpec] = {
    "allowed_upstream_layers": CheckSpec(
        allowed_upstream_layers,
        ("capsule",),
        {"layers": Param("str_list", required=True), "ignore_unknown": Param("bool", True)},
    ),
    "no_backwards_flow": CheckSpec(no_backwards_flow),
}
