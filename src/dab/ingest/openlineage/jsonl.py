"""OpenLineage events from a JSON Lines file: one event per line, blank lines ignored."""

from __future__ import annotations

from typing import Any

import orjson

from dab.errors import InvalidInput
from dab.ingest.openlineage.parser import checked_key


def read_events(data: bytes, name: str = "events") -> list[Any]:
    """Every event of the file, each validated; an error names the line and the JSON path."""
    events = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"{where}: not valid JSON ({exc})", location=where) from exc
        try:
            checked_key(event)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc.detail}", location=f"{where}:{exc.location}") from exc
        events.append(event)
    if not events:
        raise InvalidInput(f"{name}: no OpenLineage events (one JSON object per line)", location=name)
    return events
