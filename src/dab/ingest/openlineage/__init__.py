"""OpenLineage events (RunEvent, DatasetEvent, JobEvent) -> what they assert about the graph.

Pure: validates against the vendored schema and collects jobs, datasets, fields, lineage and
runs; no DB, no settings, no framework imports.
"""

from dab.ingest.openlineage.parser import SOURCE, LineageBatch, collect, parse_events, validate_events
from dab.ingest.openlineage.validate import validate_event

__all__ = ["SOURCE", "LineageBatch", "collect", "parse_events", "validate_event", "validate_events"]
