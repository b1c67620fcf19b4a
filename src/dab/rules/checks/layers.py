"""Medallion checks: which layers a capsule may read from."""

from __future__ import annotations

from collections.abc import Sequence

from dab.domain.capsule import Capsule, Layer
from dab.rules.checks.base import CheckSpec, Judged, Param, failing_parents, label, param
from dab.rules.context import EvalContext
from dab.rules.model import Rule


def allowed_upstream_layers(ctx: EvalContext, rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    allowed = set(param(rule, "layers", ()))
    passing = allowed | {Layer.UNKNOWN.value} if bool(param(rule, "ignore_unknown", True)) else allowed
    listed = ", ".join(sorted(allowed))
    layers = ctx.layers
    return len(capsules), failing_parents(
        ctx,
        capsules,
        lambda _capsule, parent: layers[parent.urn] not in passing,
        lambda capsule, parent: (
            f"{layers[capsule.urn]} {label(capsule)} reads {layers[parent.urn]} {label(parent)}; "
            f"allowed upstream layers: {listed}"
        ),
    )


def no_backwards_flow(ctx: EvalContext, _rule: Rule, capsules: Sequence[Capsule]) -> Judged:
    """Applies to capsules of a medallion layer; fails on each parent of a later layer."""
    ranks, layers = ctx.layer_ranks, ctx.layers
    judged = [c for c in capsules if ranks[c.urn] >= 0]
    return len(judged), failing_parents(
        ctx,
        judged,
        lambda capsule, parent: ranks[parent.urn] > ranks[capsule.urn],
        lambda capsule, parent: (
            f"{layers[capsule.urn]} {label(capsule)} reads from the later "
            f"{layers[parent.urn]} layer ({label(parent)})"
        ),
    )


SPECS: dict[str, CheckSpec] = {
    "allowed_upstream_layers": CheckSpec(
        allowed_upstream_layers,
        ("capsule",),
        {"layers": Param("str_list", required=True), "ignore_unknown": Param("bool", True)},
    ),
    "no_backwards_flow": CheckSpec(no_backwards_flow),
}
