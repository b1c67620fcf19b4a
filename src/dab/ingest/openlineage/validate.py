"""Validate OpenLineage events against the schema vendored in this package (no network).

Each event is first told apart by its shape (``run`` -> RunEvent, ``dataset`` -> DatasetEvent,
otherwise JobEvent) and then checked against that definition alone, so an error names the
field that is wrong rather than "matches none of three schemas".
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
import orjson

from dab.errors import InvalidInput

SCHEMA_FILE = "openlineage-2-0-2.json"
KINDS = ("RunEvent", "DatasetEvent", "JobEvent")


@cache
def _validators() -> dict[str, Any]:
    text = resources.files("dab.ingest.openlineage.schema").joinpath(SCHEMA_FILE).read_bytes()
    schema = orjson.loads(text)
    return {
        kind: jsonschema_rs.validator_for(
            {"$schema": schema["$schema"], "$ref": f"#/$defs/{kind}", "$defs": schema["$defs"]},
            validate_formats=True,
        )
        for kind in KINDS
    }


def event_kind(event: Any) -> str:
    if isinstance(event, dict) and "run" in event:
        return "RunEvent"
    if isinstance(event, dict) and "dataset" in event:
        return "DatasetEvent"
    return "JobEvent"


def json_path(prefix: str, parts: Any) -> str:
    """``$[3].run.runId`` from a prefix and the validator's instance path."""
    out = prefix
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate_event(event: Any, prefix: str = "$") -> str:
    """The event's kind; raises InvalidInput naming the JSON path of the first problem."""
    if not isinstance(event, dict):
        raise InvalidInput(f"{prefix}: an OpenLineage event must be a JSON object", location=prefix)
    kind = event_kind(event)
    error = next(iter(_validators()[kind].iter_errors(event)), None)
    if error is not None:
        path = json_path(prefix, error.instance_path)
        raise InvalidInput(f"{path}: {error.message} (OpenLineage {kind})", location=path)
    return kind
