"""JSON bytes of an answer built as plain data, dated the way pydantic dates a response model.

Reads are served as orjson bytes (the cached reads, reports, the gate, problem details) while
writes go through FastAPI's pydantic response models. Pydantic writes an aware UTC datetime
with ``Z``, orjson by default with ``+00:00``: without the option the same field of the same
row would read differently after a write and in the next list.
"""

from __future__ import annotations

from typing import Any

import orjson


def json_bytes(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_UTC_Z)
