"""The tag apply's body and answer without a pydantic pass, where that is provably the same.

Under load pydantic's validation of ``TagApply`` and its encoding of ``TagLinkRead`` were ~3 %
of the server's CPU per apply. A body that is exactly ``{}`` or ``{"added_by": str | None}``
within the field's own length limit is read here; anything else goes to pydantic as before.
The answer is orjson's encoding of the same fields in the model's order, which pydantic's
JSON equals for these types (strings, None, and UTC datetimes written with ``Z``); a value of
another shape is encoded by pydantic (tested against it in ``tests/unit/test_tag_link_codec.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from dab.api.schemas.governance import TagLinkRead
from dab.services.governance_inputs import TagApply

_FIELDS = tuple(TagLinkRead.model_fields)
_MAX_ADDED_BY = next(
    m.max_length for m in TagApply.model_fields["added_by"].metadata if getattr(m, "max_length", None)
)


def plain_added_by(values: Any) -> tuple[str | None] | None:
    """``(added_by,)`` of a body pydantic would accept as is; None to let pydantic decide."""
    if type(values) is not dict or not values.keys() <= {"added_by"}:
        return None
    added_by = values.get("added_by")
    if added_by is None or (type(added_by) is str and len(added_by) <= _MAX_ADDED_BY):
        return (added_by,)
    return None


def encoded(out: dict[str, Any]) -> bytes:
    """``TagLinkRead`` of ``out`` as JSON, byte for byte what ``model_dump_json`` writes."""
    at = out.get("added_at")
    values = {name: out.get(name) for name in _FIELDS}
    plain = isinstance(at, datetime) and at.tzinfo is UTC
    if not plain or not all(v is None or type(v) is str for k, v in values.items() if k != "added_at"):
        return TagLinkRead.model_validate(out).model_dump_json().encode()
    return orjson.dumps(values, option=orjson.OPT_UTC_Z)
