"""The tag apply's body check and answer encoding agree with pydantic's on every input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from dab.api.schemas.governance import TagLinkRead
from dab.api.tag_link_codec import encoded, plain_added_by
from dab.services.governance_inputs import TagApply

texts = st.text(max_size=300)  # control characters, non-ASCII and surrogates-free unicode, long
moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1))  # noqa: DTZ001 (naive bounds)
stamps = st.one_of(
    moments.map(lambda d: d.replace(tzinfo=UTC)),
    moments.map(lambda d: d.replace(tzinfo=UTC, microsecond=0)),
    moments.map(lambda d: d.replace(tzinfo=timezone(timedelta(hours=2)))),
    moments.map(lambda d: d.replace(tzinfo=timezone(timedelta(0), "GMT"))),
)


def _pydantic(values: Any) -> tuple[str | None] | None:
    try:
        return (TagApply.model_validate(values).added_by,)
    except ValidationError:
        return None


class TestBody:
    @given(
        st.one_of(
            st.fixed_dictionaries({}, optional={"added_by": st.one_of(st.none(), texts, st.integers())}),
            st.dictionaries(st.sampled_from(["added_by", "other"]), st.one_of(st.none(), texts)),
            st.lists(texts),
        )
    )
    def test_what_it_accepts_pydantic_accepts_the_same(self, values: Any) -> None:
        fast = plain_added_by(values)
        if fast is not None:
            assert fast == _pydantic(values)

    @pytest.mark.parametrize(
        "body", [{}, {"added_by": None}, {"added_by": "x" * 255}, {"added_by": "é" * 255}]
    )
    def test_takes_the_common_bodies(self, body: dict[str, Any]) -> None:
        assert plain_added_by(body) == _pydantic(body)

    @pytest.mark.parametrize("body", [{"added_by": "x" * 256}, {"added_by": 1}, {"x": None}, []])
    def test_leaves_the_rest_to_pydantic(self, body: Any) -> None:
        assert plain_added_by(body) is None


class TestAnswer:
    @given(
        st.fixed_dictionaries(
            {
                "tag_id": texts,
                "tag_urn": texts,
                "origin": texts,
                "added_by": st.one_of(st.none(), texts),
                "added_at": stamps,
            },
            optional={"capsule_urn": texts, "column_urn": texts},
        )
    )
    def test_bytes_are_pydantics(self, out: dict[str, Any]) -> None:
        assert encoded(out) == TagLinkRead.model_validate(out).model_dump_json().encode()
