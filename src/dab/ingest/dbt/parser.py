"""parse_dbt: dbt artifacts (already decoded to dicts) -> domain Graph."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dab.domain.capsule import Capsule, CapsuleType
from dab.domain.column import Column
from dab.domain.gc_pause import gc_paused
from dab.domain.graph import Graph, ProjectInfo, column_order
from dab.domain.lineage import LineageEdge
from dab.errors import InvalidArtifact
from dab.ingest.dbt._capsules import (
    CAPSULE_NODE_TYPES,
    exposure_capsule,
    identify,
    node_capsule,
    source_capsule,
)
from dab.ingest.dbt._columns import build_columns
from dab.ingest.dbt._common import config_of, key_path
from dab.ingest.dbt._context import Context, Identity, group_owners, root_package_of
from dab.ingest.dbt._load import CATALOG, MANIFEST, check_version, require_object
from dab.ingest.dbt._reuse import Built, ParseMemo, context_inputs, reusable, reusable_test
from dab.ingest.dbt._side import Side, read_catalog, read_run_results, read_sources
from dab.ingest.dbt._tests import build_test
from dab.ingest.dbt.layers import LayerRules

_LINEAGE_TYPES = (CapsuleType.MODEL, CapsuleType.SNAPSHOT, CapsuleType.EXPOSURE)


def parse_dbt(
    manifest: dict[str, Any],
    catalog: dict[str, Any] | None = None,
    run_results: dict[str, Any] | None = None,
    sources: dict[str, Any] | None = None,
    *,
    project_name: str | None = None,
    layer_rules: LayerRules | None = None,
    keep: ParseMemo | None = None,
    reuse: ParseMemo | None = None,
    consume: bool = False,
) -> Graph:
    """Build the Graph of one dbt project from its artifacts.

    Fatal problems (wrong artifact, unsupported schema version, missing required objects) raise
    InvalidArtifact; everything else is recorded in ``graph.issues`` and skipped.
    ``keep`` records each node's capsule and columns; ``reuse`` takes them from such a record
    for nodes whose JSON (and catalog entry) is equal, when the project-wide inputs are too.
    ``consume``: the caller gives the decoded artifacts up. Each node's and catalog entry's body
    is released once the last pass that reads it is done (a capsule node's after its capsule is
    built, but for its ``depends_on``; a test node's after its test), so the graph reuses their
    memory instead of adding to it (without ``keep``, which holds the bodies).
    """
    # The parse allocates ~20 objects per column and no reference cycles: pausing the cyclic GC
    # (it would rescan the whole artifact dicts many times) roughly halves the time on big projects.
    with gc_paused():
        version = check_version(manifest, MANIFEST)  # the manifest's errors come first
        require_object(manifest, "nodes", MANIFEST)
        require_object(manifest, "sources", MANIFEST)
        side = Side()
        if catalog is not None:
            read_catalog(side, catalog, consume=consume and keep is None)
        if run_results is not None:
            read_run_results(side, run_results)
        if sources is not None:
            read_sources(side, sources)
        return parse_manifest(
            manifest, side, project_name, layer_rules, keep, reuse, consume, version=version
        )


def parse_manifest(
    manifest: dict[str, Any],
    side: Side,
    project_name: str | None,
    layer_rules: LayerRules | None,
    keep: ParseMemo | None = None,
    reuse: ParseMemo | None = None,
    consume: bool = False,
    *,
    version: int | None = None,
) -> Graph:
    """``parse_dbt`` once the other artifacts are read into ``side`` (``read_catalog``, ...)."""
    if version is None:
        version = check_version(manifest, MANIFEST)
    nodes = require_object(manifest, "nodes", MANIFEST)
    require_object(manifest, "sources", MANIFEST)
    ctx = _context(manifest, side, project_name, layer_rules, keep, reuse, consume and keep is None)
    _add_nodes(ctx, nodes)
    return _after_nodes(ctx, manifest, version)


class NotStreamable(Exception):
    """The manifest cannot be parsed a piece of ``nodes`` at a time: parse it whole."""


def parse_manifest_streamed(
    outline: dict[str, Any],
    pieces: Iterable[dict[str, Any]],
    side: Side,
    project_name: str | None,
    layer_rules: LayerRules | None,
    *,
    version: int,
) -> Graph:
    """``parse_manifest(consume=True)`` of a manifest whose ``nodes`` come in ``pieces``
    (``outline``: every other key, ``nodes`` empty at its place; ``_pieces.outline_and_nodes``).

    Each piece's capsules are built, and its nodes reduced, before the next piece is decoded:
    the whole decoded ``nodes`` (~1.6 GB at 100k models) is never held, nor the holes its
    release left between the graph's objects. Raises ``NotStreamable`` when the project's name
    needs every node (no ``metadata.project_name``: before any node is used) and when a node id
    comes again in a later piece (the whole decode keeps the later body at the first place);
    ``side`` is then partly consumed, so the caller starts over from the texts.
    """
    nodes = require_object(outline, "nodes", MANIFEST)
    require_object(outline, "sources", MANIFEST)
    name = (outline.get("metadata") or {}).get("project_name")
    if not isinstance(name, str) or not name or nodes:
        raise NotStreamable
    ctx = _context(outline, side, project_name, layer_rules, None, None, True)
    for piece in pieces:
        if not nodes.keys().isdisjoint(piece):
            raise NotStreamable
        _add_nodes(ctx, piece)
        nodes.update(piece)
        del piece
    return _after_nodes(ctx, outline, version)


def _context(
    manifest: dict[str, Any],
    side: Side,
    project_name: str | None,
    layer_rules: LayerRules | None,
    keep: ParseMemo | None,
    reuse: ParseMemo | None,
    consume: bool,
) -> Context:
    ctx = Context(
        root_package=root_package_of(manifest),
        project_name=project_name,
        rules=layer_rules or LayerRules(),
        graph=Graph(),
        group_owners=group_owners(manifest),
        catalog=side.catalog,
        runs=side.runs,
        source_results=side.source_results,
        strings=side.strings,
    )
    inputs = context_inputs(ctx)
    if keep is not None:
        keep.inputs = inputs
    ctx.keep = keep
    ctx.consume = consume
    ctx.reuse = reuse if reuse is not None and inputs is not None and reuse.inputs == inputs else None
    return ctx


def _after_nodes(ctx: Context, manifest: dict[str, Any], version: int) -> Graph:
    """The passes after the capsules of ``nodes``: sources, exposures, lineage, tests."""
    nodes = manifest["nodes"]
    _add_sources(ctx, manifest["sources"])
    exposures = manifest.get("exposures")
    if isinstance(exposures, dict):
        _add_exposures(ctx, exposures)
    _add_lineage(ctx, nodes, exposures if isinstance(exposures, dict) else {})
    _add_tests(ctx, nodes)
    _check_catalog(ctx)
    ctx.graph.project = _project(manifest, ctx, version)
    if ctx.columns_index is not None:
        ctx.graph.index_columns(ctx.columns_index)
    return ctx.graph


def _enabled(node: Mapping[str, Any]) -> bool:
    return config_of(node).get("enabled", True) is not False


CapsuleMaker = Callable[[Context, Identity, dict[str, Any]], Capsule]


def _node_maker(capsule_type: CapsuleType) -> CapsuleMaker:
    def make(ctx: Context, ident: Identity, node: dict[str, Any]) -> Capsule:
        return node_capsule(ctx, ident, capsule_type, node)

    return make


_NODE_MAKERS = {t: _node_maker(t) for t in CAPSULE_NODE_TYPES.values()}


def _add_capsule(
    ctx: Context, uid: str, capsule_type: CapsuleType, node: dict[str, Any], make: CapsuleMaker
) -> None:
    found = reusable(ctx.reuse, ctx, uid, node)
    if found is None:
        ident = identify(ctx, capsule_type, node)
        capsule = make(ctx, ident, node)
        columns = _columns(ctx, uid, ident, capsule, node)
        found = Built(
            node,
            ctx.catalog.get(uid),
            ident,
            capsule,
            by_urn={c.urn: c for c in columns},
            by_name={_one(ctx, c.name.lower()): c.urn for c in columns},
            ordered=sorted(columns, key=column_order),
        )
    else:
        ctx.reused.add(uid)
    if ctx.consume and uid in ctx.catalog:
        ctx.catalog[uid] = {}  # read by the columns only; the key stays for _check_catalog
    ctx.ids[uid] = found.ident
    if ctx.keep is not None:
        ctx.keep.built[uid] = found
    capsule = found.capsule
    if capsule.urn in ctx.graph.capsules:
        ctx.warn(key_path("nodes", uid), f"duplicate capsule URN {capsule.urn}; node skipped")
        return
    ctx.graph.capsules[capsule.urn] = capsule
    ctx.columns_by_name[capsule.urn] = found.by_name  # shared with the memo: never changed later
    known = len(ctx.graph.columns)
    ctx.graph.columns.update(found.by_urn)
    if len(ctx.graph.columns) != known + len(found.ordered):
        ctx.columns_index = None  # a column URN taken twice (a seed and a model of one name)
    elif found.ordered and ctx.columns_index is not None:
        ctx.columns_index[capsule.urn] = found.ordered


def _columns(
    ctx: Context, uid: str, ident: Identity, capsule: Capsule, node: Mapping[str, Any]
) -> list[Column]:
    catalog_entry = ctx.catalog.get(uid)
    catalog_columns = catalog_entry.get("columns") if isinstance(catalog_entry, dict) else None
    return build_columns(
        capsule.urn,
        ident.namespace,
        ident.name_parts,
        node.get("columns") if isinstance(node.get("columns"), dict) else None,
        catalog_columns if isinstance(catalog_columns, dict) else None,
        ctx.strings,
    )


def _add_nodes(ctx: Context, nodes: dict[str, Any]) -> None:
    for uid, node in nodes.items():
        if not isinstance(node, dict):
            ctx.warn(key_path("nodes", uid), "node is not an object; skipped")
            continue
        capsule_type = CAPSULE_NODE_TYPES.get(str(node.get("resource_type")))
        if capsule_type is None or not _enabled(node):
            continue
        _add_capsule(ctx, uid, capsule_type, node, _NODE_MAKERS[capsule_type])
        if ctx.consume:  # all that is read of a capsule's node later (_add_lineage)
            nodes[uid] = {"depends_on": node.get("depends_on")}


def _add_sources(ctx: Context, sources: dict[str, Any]) -> None:
    for uid, node in sources.items():
        if not isinstance(node, dict):
            ctx.warn(key_path("sources", uid), "source is not an object; skipped")
            continue
        if not _enabled(node):
            continue
        _add_capsule(ctx, uid, CapsuleType.SOURCE, node, source_capsule)


def _add_exposures(ctx: Context, exposures: dict[str, Any]) -> None:
    for uid, node in exposures.items():
        if not isinstance(node, dict) or not _enabled(node):
            continue
        _add_capsule(ctx, uid, CapsuleType.EXPOSURE, node, exposure_capsule)


def _add_lineage(ctx: Context, nodes: dict[str, Any], exposures: dict[str, Any]) -> None:
    seen: set[tuple[str, str]] = set()
    for section, table in (("nodes", nodes), ("exposures", exposures)):
        for uid, node in table.items():
            ident = ctx.ids.get(uid)
            if ident is None or ctx.graph.capsules[ident.urn].capsule_type not in _LINEAGE_TYPES:
                continue
            for index, dep in enumerate(_dependencies(node, section, uid)):
                upstream = ctx.ids.get(dep)
                if upstream is None:
                    path = key_path(section, uid, "depends_on", "nodes", f"[{index}]")
                    ctx.warn(path, f"dependency {dep} is not a capsule; edge skipped")
                    continue
                pair = (upstream.urn, ident.urn)
                if pair not in seen and pair[0] != pair[1]:
                    seen.add(pair)
                    ctx.graph.edges.append(LineageEdge(source_urn=pair[0], target_urn=pair[1]))


def _dependencies(node: Mapping[str, Any], section: str, uid: str) -> list[str]:
    """``depends_on.nodes``: unique ids; any other shape is the artifact's error (422)."""
    depends_on = node.get("depends_on")
    if depends_on is None:
        return []
    if not isinstance(depends_on, dict):
        path = key_path(section, uid, "depends_on")
        raise InvalidArtifact(
            f"expected an object, got {type(depends_on).__name__}", artifact=MANIFEST, json_path=path
        )
    deps = depends_on.get("nodes")
    if deps is None:
        return []
    if not isinstance(deps, list):
        path = key_path(section, uid, "depends_on", "nodes")
        raise InvalidArtifact(
            f"expected an array, got {type(deps).__name__}", artifact=MANIFEST, json_path=path
        )
    for index, dep in enumerate(deps):
        if not isinstance(dep, str):
            path = key_path(section, uid, "depends_on", "nodes", f"[{index}]")
            raise InvalidArtifact(
                f"expected a unique_id string, got {type(dep).__name__}", artifact=MANIFEST, json_path=path
            )
    return deps


def _one(ctx: Context, lowered: str) -> str:
    """The parse's one copy of a lower-cased name (``str.lower`` makes a new one each time)."""
    return ctx.strings.setdefault(lowered, lowered)


_RELEASED: dict[str, Any] = {}
"""What a consumed node is left as once nothing reads it any more (the last pass)."""


def _add_tests(ctx: Context, nodes: dict[str, Any]) -> None:
    for uid, node in nodes.items():
        if ctx.consume:  # the last pass over the nodes: the tests built reuse their memory
            nodes[uid] = _RELEASED
        if not isinstance(node, dict) or node.get("resource_type") != "test" or not _enabled(node):
            continue
        test = reusable_test(ctx.reuse, ctx, uid, node) or build_test(ctx, uid, node)
        if test is None:
            continue
        if ctx.keep is not None:
            ctx.keep.tests[uid] = (node, test)
        ctx.graph.tests[test.urn] = test


def _check_catalog(ctx: Context) -> None:
    for uid in ctx.catalog:
        if uid not in ctx.ids:
            ctx.warn(f'$.nodes["{uid}"]', "catalog entry has no enabled manifest node", CATALOG)


def _project(manifest: dict[str, Any], ctx: Context, version: int) -> ProjectInfo:
    metadata = manifest["metadata"]

    def _str(key: str) -> str | None:
        value = metadata.get(key)
        return value if isinstance(value, str) and value else None

    return ProjectInfo(
        name=ctx.project_name or ctx.root_package,
        adapter_type=_str("adapter_type"),
        dbt_version=_str("dbt_version"),
        manifest_schema_version=version,
        generated_at=_str("generated_at"),
        invocation_id=_str("invocation_id"),
    )
