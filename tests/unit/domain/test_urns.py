"""Property tests: every URN parses back into the components it was built from."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dab.domain.urns import capsule_urn, column_urn, parse_capsule_urn, parse_column_urn

# Any unicode text except lone surrogates (not encodable as UTF-8) and NUL (see test below).
component = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20)
tricky = st.sampled_from([":", ".", "%", "/", " ", "%2E", "%%3A", "a:b.c", "é/ü", "\t\n", "%zz", "💥"])
part = st.one_of(component, tricky, st.lists(tricky, min_size=1, max_size=4).map("".join))
name_parts = st.lists(part, min_size=1, max_size=3).map(tuple)


class TestUrnRoundTrip:
    @given(source=part, capsule_type=part, namespace=part, parts=name_parts)
    def test_capsule_urn(
        self, source: str, capsule_type: str, namespace: str, parts: tuple[str, ...]
    ) -> None:
        if capsule_type == "column":
            return  # reserved for column URNs
        parsed = parse_capsule_urn(capsule_urn(source, capsule_type, namespace, parts))
        assert (parsed.source, parsed.capsule_type, parsed.namespace) == (source, capsule_type, namespace)
        assert parsed.name_parts == parts

    @given(source=part, namespace=part, parts=name_parts, column=part)
    def test_column_urn(self, source: str, namespace: str, parts: tuple[str, ...], column: str) -> None:
        parsed = parse_column_urn(column_urn(source, namespace, parts, column))
        assert (parsed.source, parsed.namespace, parsed.capsule_name_parts, parsed.column) == (
            source,
            namespace,
            parts,
            column,
        )

    def test_examples(self) -> None:
        urn = column_urn("dbt", "my shop", ("raw", "orders.v1"), "a:b")
        assert urn == "urn:dab:dbt:column:my%20shop:raw.orders%2Ev1.a%3Ab"
        assert parse_column_urn(urn).column == "a:b"


def test_component_with_nul_round_trips() -> None:
    urn = capsule_urn("dbt", "model", "ns", ("\x00ab:",))
    assert parse_capsule_urn(urn).name_parts == ("\x00ab:",)
