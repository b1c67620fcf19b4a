from __future__ import annotations

from typing import Any

import pytest

from dab.ingest.dbt._columns import build_columns, pii_type_of


class TestPiiType:
    @pytest.mark.parametrize(
        ("meta", "tags", "expected"),
        [
            ({"pii": True, "pii_type": "Email"}, (), "email"),
            ({"pii": True}, (), "unknown"),
            ({"pii_type": "phone"}, (), "phone"),
            ({"contains_pii": True}, (), "unknown"),
            ({"sensitivity": "PII"}, (), "unknown"),
            ({"sensitivity": "public"}, (), None),
            ({}, ("pii",), "unknown"),
            ({}, ("PII:ssn",), "ssn"),
            ({"pii": False}, ("pii:email",), None),
            ({"pii": "false", "pii_type": "email"}, (), None),
            ({}, ("marts",), None),
        ],
    )
    def test_cases(self, meta: dict[str, Any], tags: tuple[str, ...], expected: str | None) -> None:
        assert pii_type_of(meta, tags) == expected


class TestBuildColumns:
    def test_union_case_insensitive(self) -> None:
        manifest = {
            "Email": {"name": "Email", "description": "mail", "meta": {"pii": True, "masked": True}},
            "notes": {"name": "notes", "data_type": "text", "tags": ["b", "a", "b"]},
        }
        catalog = {
            "EMAIL": {"name": "EMAIL", "type": "VARCHAR", "index": 2},
            "ID": {"name": "ID", "type": "INTEGER", "index": 1},
        }
        cols = {c.name: c for c in build_columns("urn:cap", "ns", ("t",), manifest, catalog)}
        assert set(cols) == {"Email", "notes", "ID"}
        assert (cols["Email"].data_type, cols["Email"].ordinal, cols["Email"].pii_type) == (
            "VARCHAR",
            2,
            "unknown",
        )
        assert cols["Email"].is_masked
        assert cols["Email"].urn == "urn:dab:dbt:column:ns:t.Email"
        assert (cols["notes"].data_type, cols["notes"].ordinal, cols["notes"].tags) == (
            "text",
            None,
            ("a", "b"),
        )
        assert cols["ID"].ordinal == 1

    def test_manifest_order_without_catalog(self) -> None:
        cols = build_columns("urn:cap", "ns", ("t",), {"b": {"name": "b"}, "a": {"name": "a"}}, None)
        assert [(c.name, c.ordinal) for c in cols] == [("b", 1), ("a", 2)]
