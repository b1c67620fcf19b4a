"""The closed set of check kinds: name -> pure function and accepted parameters."""

from collections.abc import Mapping

from dab.rules.checks import (
    cel,
    columns,
    coverage,
    dag,
    dependencies,
    exposures,
    fields,
    layers,
    metadata,
    sql,
    structure,
    testing,
)
from dab.rules.checks.base import CheckFn, CheckSpec, Outcome, Param

CHECKS: Mapping[str, CheckSpec] = {
    **fields.SPECS,
    **layers.SPECS,
    **dag.SPECS,
    **sql.SPECS,
    **testing.SPECS,
    **columns.SPECS,
    **dependencies.SPECS,
    **exposures.SPECS,
    **metadata.SPECS,
    **coverage.SPECS,
    **structure.SPECS,
    **cel.SPECS,
}

__all__ = ["CHECKS", "CheckFn", "CheckSpec", "Outcome", "Param"]
