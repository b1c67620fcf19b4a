"""A small graph of every node label and edge type whose texts are built to break each format:
quotes, backslashes (also trailing), line breaks, ``<>&``, entity codes, unicode, Mermaid's
``end``, and strings that would close a Cypher, DOT, XML or JSON string and start new syntax."""

from __future__ import annotations

from dab.export import Edge, Node

NASTY = (
    "end",
    'quote " and \\" and trailing backslash \\',
    "it's'; MATCH (n) DETACH DELETE n; //",
    '"]; evil [label="x"]; a -> b; //',
    "<script>alert('x')</script> & &amp; #quot; #35; %% --> ]]>",
    "line one\nline two\r\nthree\ttab",
    "unicode: é ✓ 𝄞 中文 \u2028 and `backticks` ${x} {{y}}",
)

DOMAIN = "urn:dab:domain:evil%20domain"
MODEL_A = 'urn:dab:dbt:model:evil:a"b<c>&d\\'
MODEL_B = "urn:dab:dbt:model:evil:end"
EXPOSURE = "urn:dab:dbt:exposure:evil:dash'board"
COLUMN_A = 'urn:dab:dbt:column:evil:a"b<c>&d\\.id'
COLUMN_B = "urn:dab:dbt:column:evil:end.id"
TAG = "urn:dab:tag:general:pii\"'"
PRODUCT = "urn:dab:product:evil<product>"


def hostile_items() -> list[Node | Edge]:
    nodes = [
        Node("Domain", DOMAIN, {"name": NASTY[0], "description": NASTY[1]}),
        Node(
            "Capsule",
            MODEL_A,
            {"name": NASTY[2], "type": "model", "layer": "gold", "domain": NASTY[0], "description": NASTY[5]},
        ),
        Node("Capsule", MODEL_B, {"name": NASTY[0], "type": "model", "layer": "bronze", "owner": NASTY[3]}),
        Node("Exposure", EXPOSURE, {"name": NASTY[4], "type": "exposure", "url": NASTY[6]}),
        Node("Column", COLUMN_A, {"name": NASTY[3], "capsule": MODEL_A, "ordinal": 1, "data_type": NASTY[1]}),
        Node(
            "Column", COLUMN_B, {"name": NASTY[0], "capsule": MODEL_B, "ordinal": 2, "description": NASTY[6]}
        ),
        Node("Tag", TAG, {"name": NASTY[4], "category": NASTY[5]}),
        Node("DataProduct", PRODUCT, {"name": NASTY[6], "owner": NASTY[2], "domain": NASTY[0]}),
    ]
    edges = [
        Edge("FLOWS_TO", MODEL_B, MODEL_A, "Capsule", "Capsule"),
        Edge("FLOWS_TO", MODEL_A, EXPOSURE, "Capsule", "Exposure"),
        Edge("CONTAINS", MODEL_A, COLUMN_A, "Capsule", "Column"),
        Edge("CONTAINS", MODEL_B, COLUMN_B, "Capsule", "Column"),
        Edge("DERIVED_FROM", COLUMN_A, COLUMN_B, "Column", "Column", {"transformation": NASTY[2]}),
        Edge("BELONGS_TO", MODEL_A, DOMAIN, "Capsule", "Domain"),
        Edge("BELONGS_TO", PRODUCT, DOMAIN, "DataProduct", "Domain"),
        Edge("TAGGED_WITH", MODEL_A, TAG, "Capsule", "Tag", {"origin": NASTY[3]}),
        Edge("TAGGED_WITH", COLUMN_A, TAG, "Column", "Tag", {"origin": "api"}),
        Edge("PART_OF", MODEL_A, PRODUCT, "Capsule", "DataProduct", {"role": NASTY[5]}),
    ]
    return [*nodes, *edges]
