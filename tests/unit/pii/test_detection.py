"""Name detection quality on the labelled set, and the precedence of findings."""

from __future__ import annotations

import runpy
from pathlib import Path

from dab.domain.column import Column
from dab.domain.lineage import ColumnLineageEdge
from dab.domain.lineage import TransformationKind as Kind
from dab.pii.detect import Classification, detect_pii

SCRIPT = Path(__file__).parents[3] / "scripts" / "pii_name_eval.py"


def test_labelled_names_precision_and_recall() -> None:
    evaluate = runpy.run_path(str(SCRIPT))["evaluate"]
    precision, recall, errors = evaluate(
        Path(__file__).parents[2] / "fixtures" / "pii" / "labelled_columns.csv"
    )
    assert precision >= 0.95 and recall >= 0.95, errors


def _col(urn: str, name: str, **kw: object) -> Column:
    return Column(urn, "c", name, data_type="varchar", **kw)  # type: ignore[arg-type]


def test_precedence_and_propagation() -> None:
    columns = [
        _col("a", "contact", meta={"pii_type": "email"}),
        _col("b", "x"), _col("c", "y"), _col("d", "n"), _col("e", "z", meta={"pii": False}),
        _col("f", "phone"),
    ]  # fmt: skip
    edges = [
        ColumnLineageEdge("a", "b", Kind.TRANSFORMATION),
        ColumnLineageEdge("b", "c", Kind.MASKING, "md5"),
        ColumnLineageEdge("a", "d", Kind.AGGREGATION),
        ColumnLineageEdge("a", "e", Kind.IDENTITY),
        ColumnLineageEdge("a", "f", Kind.FILTER),
    ]
    found = detect_pii(columns, edges, {"f": Classification(pii=False, reason="a product code")})
    assert (found["a"].method, found["a"].pii_type) == ("metadata", "email")
    assert (found["b"].method, found["b"].masked, found["b"].upstream_urn) == ("lineage", False, "a")
    assert (found["c"].masked, found["c"].masking_function) == (True, "md5")
    assert "d" not in found  # aggregation stops it
    assert found["e"].pii_type is None  # pii: false suppresses
    assert (found["f"].method, found["f"].pii_type) == ("manual", None)  # manual beats the name
