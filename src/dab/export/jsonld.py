"""JSON-LD with an inline ``@context`` (never a remote URL, so it parses offline).

Lineage maps to PROV-O: a FLOWS_TO edge is ``prov:wasDerivedFrom`` read backwards (the target was
derived from the source), a column's DERIVED_FROM is ``prov:wasDerivedFrom`` with a
``prov:qualifiedDerivation`` carrying the transformation. Capsules are ``dcat:Dataset``, names
``schema:name``, descriptions ``dct:description``, tags ``skos:Concept`` reached by ``dcat:theme``,
product membership ``dct:isPartOf``; everything else is in the dab vocabulary. Each node's ``@id``
is its URN (characters an IRI cannot hold are percent-encoded) and ``urn`` keeps it verbatim.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from dab.export.model import Edge, ExportFormat, Node, RenderOptions

DAB_VOCABULARY = "https://dab.dev/ns#"
CONTEXT: dict[str, Any] = {
    "@vocab": DAB_VOCABULARY,
    "dab": DAB_VOCABULARY,
    "prov": "http://www.w3.org/ns/prov#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "name": "schema:name",
    "description": "dct:description",
    "type": "dab:capsuleType",
    "url": "schema:url",
    "ordinal": {"@id": "dab:ordinal", "@type": "xsd:integer"},
    "flowsTo": {"@reverse": "prov:wasDerivedFrom", "@type": "@id"},
    "derivedFrom": {"@id": "prov:wasDerivedFrom", "@type": "@id"},
    "hasColumn": {"@id": "dab:hasColumn", "@type": "@id"},
    "inDomain": {"@id": "dab:inDomain", "@type": "@id"},
    "taggedWith": {"@id": "dcat:theme", "@type": "@id"},
    "isPartOf": {"@id": "dct:isPartOf", "@type": "@id"},
    "entity": {"@id": "prov:entity", "@type": "@id"},
    "object": {"@id": "dab:object", "@type": "@id"},
}
TYPES: dict[str, list[str]] = {
    "Capsule": ["dab:Capsule", "dcat:Dataset"],
    "Exposure": ["dab:Exposure", "schema:CreativeWork"],
    "Column": ["dab:Column"],
    "Domain": ["dab:Domain"],
    "Tag": ["dab:Tag", "skos:Concept"],
    "DataProduct": ["dab:DataProduct", "dcat:Resource"],
}
EDGE_TERMS = {
    "FLOWS_TO": "flowsTo",
    "DERIVED_FROM": "derivedFrom",
    "CONTAINS": "hasColumn",
    "BELONGS_TO": "inDomain",
    "TAGGED_WITH": "taggedWith",
    "PART_OF": "isPartOf",
}
_NOT_IRI = re.compile(r'[\x00-\x20<>"{}|\\^`\x7f]')


def iri(urn: str) -> str:
    """The URN as an IRI: percent-encode what RFC 3987 does not allow (dab URNs have none).

    Example:
        >>> iri("urn:dab:x:a b")
        'urn:dab:x:a%20b'
    """
    return _NOT_IRI.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), urn)


def _qualified(edge: Edge) -> dict[str, Any]:
    if edge.type == "DERIVED_FROM":
        return {
            "prov:qualifiedDerivation": {
                "@type": "prov:Derivation",
                "entity": iri(edge.target),
                **edge.props,
            }
        }
    return {
        "qualified": {
            "@type": "dab:Relationship",
            "relation": edge.type,
            "object": iri(edge.target),
            **edge.props,
        }
    }


class JsonLdWriter:
    def __init__(self, options: RenderOptions) -> None:  # noqa: ARG002 - nothing to choose
        self._first = True

    def _item(self, value: dict[str, Any]) -> str:
        separator = "" if self._first else ",\n"
        self._first = False
        return separator + orjson.dumps(value).decode()

    def start(self) -> str:
        # No top-level @id: that would make the nodes a named graph instead of the default graph.
        return orjson.dumps({"@context": CONTEXT}).decode()[:-1] + ', "@graph": [\n'

    def node(self, node: Node) -> str:
        return self._item({"@id": iri(node.urn), "@type": TYPES[node.label], "urn": node.urn, **node.props})

    def edge(self, edge: Edge) -> str:
        value: dict[str, Any] = {"@id": iri(edge.source), EDGE_TERMS[edge.type]: iri(edge.target)}
        if edge.props:
            value.update(_qualified(edge))
        return self._item(value)

    def finish(self) -> str:
        return "\n]}\n"


FORMAT = ExportFormat(
    name="json-ld",
    extension="jsonld",
    media_type="application/ld+json",
    description="JSON-LD with an inline context: PROV-O lineage, DCAT datasets (Jena, rdflib, RDF tools)",
    writer=JsonLdWriter,
)
