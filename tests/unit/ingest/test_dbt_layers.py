from __future__ import annotations

from typing import Any

import pytest

from dab.domain.capsule import Layer
from dab.errors import InvalidInput
from dab.ingest.dbt import LayerRules


def infer(rules: LayerRules, **kwargs: Any) -> tuple[str | None, str | None]:
    args: dict[str, Any] = {"resource_type": "model", "name": "x", "meta": {}, "tags": (), "path": None}
    args.update(kwargs)
    found = rules.infer_layer(**args)
    return found.value, found.evidence


class TestInferLayer:
    rules = LayerRules()

    def test_meta_wins(self) -> None:
        got = infer(self.rules, meta={"layer": "Silver"}, tags=("gold",), path="models/marts/x.sql")
        assert got == ("silver", "meta.layer")

    def test_tags_before_folder(self) -> None:
        assert infer(self.rules, tags=("gold",), path="models/staging/x.sql") == ("gold", "tag:gold")
        assert infer(self.rules, tags=("layer:silver",)) == ("silver", "tag:layer:silver")

    @pytest.mark.parametrize(
        ("path", "layer", "folder"),
        [
            ("models/staging/x.sql", "bronze", "staging"),
            ("models/base/x.sql", "bronze", "base"),
            ("models/intermediate/finance/x.sql", "silver", "intermediate"),
            ("models/marts/finance/x.sql", "gold", "marts"),
            ("models/Reporting/x.sql", "gold", "Reporting"),
        ],
    )
    def test_folder(self, path: str, layer: str, folder: str) -> None:
        assert infer(self.rules, path=path) == (layer, f"folder:{folder}")

    @pytest.mark.parametrize(
        ("name", "layer", "prefix"),
        [("stg_orders", "bronze", "stg_"), ("int_x", "silver", "int_"), ("fct_sales", "gold", "fct_")],
    )
    def test_prefix(self, name: str, layer: str, prefix: str) -> None:
        assert infer(self.rules, name=name, path="models/x.sql") == (layer, f"prefix:{prefix}")

    def test_sources_and_seeds_default_to_bronze(self) -> None:
        assert infer(self.rules, resource_type="source", name="orders") == ("bronze", "type:source")
        assert infer(self.rules, resource_type="seed", name="countries") == ("bronze", "type:seed")

    def test_unknown_and_exposures(self) -> None:
        assert infer(self.rules, name="orders", path="models/orders.sql") == ("unknown", None)
        assert infer(self.rules, resource_type="exposure", name="stg_dash")[0] == "unknown"


class TestInferDomain:
    rules = LayerRules()

    def test_order(self) -> None:
        d = self.rules.infer_domain(
            meta={"domain": "sales"}, tags=("domain:hr",), path="models/marts/fin/x.sql"
        )
        assert (d.value, d.evidence) == ("sales", "meta.domain")
        d = self.rules.infer_domain(meta={}, tags=("domain:hr",), path="models/marts/fin/x.sql")
        assert (d.value, d.evidence) == ("hr", "tag:domain:hr")
        d = self.rules.infer_domain(meta={}, tags=(), path="models/marts/fin/x.sql")
        assert (d.value, d.evidence) == ("fin", "folder:marts/fin")
        assert self.rules.infer_domain(meta={}, tags=(), path="models/marts/x.sql").value is None


class TestFromMapping:
    def test_overrides_given_keys_only(self) -> None:
        rules = LayerRules.from_mapping(
            {"folders": {"gold": ["serving"]}, "prefixes": {"silver": ["wrk_"]}, "types": {"seed": "silver"}}
        )
        assert rules.folders == {"serving": Layer.GOLD}
        assert infer(rules, name="wrk_a") == ("silver", "prefix:wrk_")
        assert infer(rules, name="stg_a") == ("unknown", None)
        assert infer(rules, resource_type="seed") == ("silver", "type:seed")
        assert rules.tags == LayerRules().tags

    def test_empty_mapping_is_default(self) -> None:
        assert LayerRules.from_mapping({}) == LayerRules()

    @pytest.mark.parametrize(
        "config",
        [
            {"folders": {"platinum": ["x"]}},
            {"colours": {}},
            {"prefixes": ["stg_"]},
            {"folders": {"gold": [1]}},
        ],
    )
    def test_invalid(self, config: dict[str, Any]) -> None:
        with pytest.raises(InvalidInput):
            LayerRules.from_mapping(config)
