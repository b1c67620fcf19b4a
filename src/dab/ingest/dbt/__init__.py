"""dbt artifacts (manifest, catalog, run_results, sources) -> domain Graph.

Pure: reads already-loaded bytes or dicts; no DB, no settings, no framework imports.
"""

from dab.ingest.dbt._load import artifact_bytes, decode_artifact, gunzip, load_artifact
from dab.ingest.dbt._reuse import ParseMemo
from dab.ingest.dbt.content import Content, content_of
from dab.ingest.dbt.layers import LayerRules
from dab.ingest.dbt.parser import parse_dbt
from dab.ingest.dbt.redact import redact_secrets, redact_value
from dab.ingest.dbt.staged import parse_dbt_texts

__all__ = [
    "Content",
    "LayerRules",
    "ParseMemo",
    "artifact_bytes",
    "content_of",
    "decode_artifact",
    "gunzip",
    "load_artifact",
    "parse_dbt",
    "parse_dbt_texts",
    "redact_secrets",
    "redact_value",
]
