"""Synthetic dbt artifacts (manifest v12, catalog v1, run-results v6) for benchmarks.

~10% sources, then staging (on one source), intermediate (on 1-3 staging) and marts (on 1-4
intermediate/staging) models, N typed columns each, unique/not_null tests on the first column of
most models, a few exposures, some meta.owner/domain and PII column meta. Compiled SQL is what dbt
writes for such models: CTEs over the parents' relations, renames, casts, masking hashes, joins,
and in half of the marts an aggregation with a window function (its own seeded generator, so the
rest of the project is the same as without it).

    python benchmarks/generate_dbt_project.py --models 10000 --columns 20 --out /tmp/bench
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import Any

import orjson

PROJECT = "bench"
TYPES = ("INTEGER", "BIGINT", "VARCHAR", "DATE", "TIMESTAMP", "DOUBLE", "BOOLEAN", "DECIMAL(18,2)")
DOMAINS = ("sales", "finance", "marketing", "supply", "hr")
PII = (("email", "email"), ("phone", "phone"), ("name", "name"), ("ssn", "national_id"))
SCHEMA = "https://schemas.getdbt.com/dbt/{}.json"


def _metadata(kind: str) -> dict[str, Any]:
    return {
        "dbt_schema_version": SCHEMA.format(kind),
        "dbt_version": "1.11.0",
        "generated_at": "2026-01-01T00:00:00Z",
        "invocation_id": "00000000-0000-0000-0000-000000000000",
        "project_name": PROJECT,
        "adapter_type": "duckdb",
    }


def _columns(rng: random.Random, n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    manifest: dict[str, Any] = {}
    catalog: dict[str, Any] = {}
    for i in range(n):
        name = "id" if i == 0 else f"col_{i}"
        meta: dict[str, Any] = {}
        if i and rng.random() < 0.03:
            suffix, pii_type = rng.choice(PII)
            name = f"{suffix}_{i}"
            meta = {"pii": True, "pii_type": pii_type}
        manifest[name] = {"name": name, "description": f"Column {name}.", "meta": meta, "tags": []}
        catalog[name] = {"name": name, "type": rng.choice(TYPES), "index": i + 1, "comment": None}
    return manifest, catalog


def _model(
    rng: random.Random, layer: str, index: int, deps: list[str], cols: dict[str, Any]
) -> dict[str, Any]:
    prefix = {"staging": "stg", "intermediate": "int", "marts": "fct"}[layer]
    name = f"{prefix}_{index}"
    domain = rng.choice(DOMAINS)
    folder = f"models/{layer}/{domain}" if layer == "marts" else f"models/{layer}"
    meta: dict[str, Any] = {}
    if rng.random() < 0.5:
        meta["owner"] = f"team-{domain}"
    if layer == "marts" and rng.random() < 0.5:
        meta["domain"] = domain
    return {
        "unique_id": f"model.{PROJECT}.{name}",
        "resource_type": "model",
        "package_name": PROJECT,
        "name": name,
        "database": "db",
        "schema": layer,
        "alias": name,
        "relation_name": f'"db"."{layer}"."{name}"',
        "path": f"{layer}/{name}.sql",
        "original_file_path": f"{folder}/{name}.sql",
        "description": f"Model {name}.",
        "tags": [layer],
        "meta": meta,
        "config": {"enabled": True, "materialized": "view" if layer == "staging" else "table", "meta": meta},
        "columns": cols,
        "depends_on": {"nodes": deps, "macros": []},
        "language": "sql",
        "access": "protected",
    }


def _source(index: int, cols: dict[str, Any]) -> dict[str, Any]:
    return {
        "relation_name": f'"db"."raw"."t{index}"',
        "unique_id": f"source.{PROJECT}.raw.t{index}",
        "resource_type": "source",
        "package_name": PROJECT,
        "name": f"t{index}",
        "source_name": "raw",
        "database": "db",
        "schema": "raw",
        "identifier": f"t{index}",
        "original_file_path": "models/staging/_sources.yml",
        "columns": cols,
        "loaded_at_field": "loaded_at",
        "freshness": {"warn_after": {"count": 12, "period": "hour"}, "error_after": {"count": None}},
        "config": {"enabled": True},
    }


def _test(model_id: str, column: str, kind: str) -> tuple[str, dict[str, Any]]:
    name = f"{kind}_{model_id.rsplit('.', 1)[-1]}_{column}"
    uid = f"test.{PROJECT}.{name}"
    return uid, {
        "unique_id": uid,
        "resource_type": "test",
        "package_name": PROJECT,
        "name": name,
        "attached_node": model_id,
        "column_name": column,
        "test_metadata": {"name": kind, "kwargs": {"column_name": column}},
        "depends_on": {"nodes": [model_id]},
        "config": {"enabled": True, "severity": "ERROR"},
    }


def _result(uid: str, status: str) -> dict[str, Any]:
    timing = [
        {"name": "execute", "started_at": "2026-01-01T00:00:00Z", "completed_at": "2026-01-01T00:00:01Z"}
    ]
    return {
        "unique_id": uid,
        "status": status,
        "timing": timing,
        "execution_time": 1.0,
        "failures": 0 if uid.startswith("test.") else None,
        "message": None,
        "adapter_response": {"rows_affected": 1},
    }


def _pick(rng: random.Random, pool: list[str], low: int, high: int) -> list[str]:
    return rng.sample(pool, min(len(pool), rng.randint(low, high)))


def _layers(n_models: int) -> list[str]:
    n_stg = max(1, n_models * 4 // 10)
    n_int = max(0, n_models * 3 // 10)
    return ["staging"] * n_stg + ["intermediate"] * n_int + ["marts"] * (n_models - n_stg - n_int)


def generate_manifest(
    n_models: int, n_columns: int = 20, seed: int = 0
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(manifest v12, catalog v1, run_results v6) of a synthetic project with ``n_models`` models."""
    rng = random.Random(seed)
    nodes: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    cat_nodes: dict[str, Any] = {}
    cat_sources: dict[str, Any] = {}
    results: list[dict[str, Any]] = []
    for i in range(max(1, n_models // 10)):
        cols, cat_cols = _columns(rng, n_columns)
        src = _source(i, cols)
        sources[src["unique_id"]] = src
        cat_sources[src["unique_id"]] = {"unique_id": src["unique_id"], "columns": cat_cols, "metadata": {}}
    pools: dict[str, list[str]] = {"staging": [], "intermediate": []}
    for i, layer in enumerate(_layers(n_models)):
        if layer == "staging":
            deps = [rng.choice(list(sources))]
        elif layer == "intermediate":
            deps = _pick(rng, pools["staging"], 1, 3)
        else:
            deps = _pick(rng, pools["intermediate"] or pools["staging"], 1, 3) + _pick(
                rng, pools["staging"], 0, 1
            )
        cols, cat_cols = _columns(rng, n_columns)
        model = _model(rng, layer, i, sorted(set(deps)), cols)
        parents = [nodes.get(d) or sources[d] for d in model["depends_on"]["nodes"]]
        model["compiled_code"] = compiled_sql(random.Random(i), layer, parents, list(cols))
        uid = model["unique_id"]
        nodes[uid] = model
        pools.setdefault(layer, []).append(uid)
        cat_nodes[uid] = {"unique_id": uid, "columns": cat_cols, "metadata": {}}
        results.append(_result(uid, "success" if rng.random() < 0.98 else "error"))
        if rng.random() < 0.8:
            for kind in ("unique", "not_null"):
                test_id, test = _test(uid, "id", kind)
                nodes[test_id] = test
                results.append(_result(test_id, "pass" if rng.random() < 0.95 else "fail"))
    exposures = _exposures(rng, pools.get("marts", []) or pools["staging"], max(1, n_models // 100))
    manifest = {
        "metadata": _metadata("manifest/v12"),
        "nodes": nodes,
        "sources": sources,
        "exposures": exposures,
        "groups": {},
        "macros": {},
        "metrics": {},
    }
    catalog = {
        "metadata": _metadata("catalog/v1"),
        "nodes": cat_nodes,
        "sources": cat_sources,
        "errors": None,
    }
    run_results = {"metadata": _metadata("run-results/v6"), "results": results, "elapsed_time": 1.0}
    return manifest, catalog, run_results


_TRANSFORMS = ("cast({} as varchar)", "lower({})", "coalesce({}, 0)", "trim({})", "{} * 1")
_AGGREGATES = ("sum({})", "max({})", "min({})", "count(distinct {})", "avg({})")


def _value(rng: random.Random, ref: str) -> str:
    roll = rng.random()
    if roll < 0.6:
        return ref
    if roll < 0.95:
        return rng.choice(_TRANSFORMS).format(ref)
    return f"md5(cast({ref} as varchar))"


def _from(parents: list[dict[str, Any]]) -> tuple[list[str], str, str]:
    """CTE aliases, the WITH list and the FROM clause joining every parent on ``id``."""
    aliases = [f"p{n}" for n in range(len(parents))]
    ctes = ",\n".join(
        f"{a} as (\n    select * from {p['relation_name']}\n)" for a, p in zip(aliases, parents, strict=True)
    )
    joins = "".join(f"\nleft join {a} on p0.id = {a}.id" for a in aliases[1:])
    return aliases, ctes, f"p0{joins}"


def compiled_sql(rng: random.Random, layer: str, parents: list[dict[str, Any]], columns: list[str]) -> str:
    """SQL of a model over its parents' relations, output columns in ``columns`` order."""
    parent_cols = [list(p["columns"]) for p in parents]
    aliases, ctes, from_clause = _from(parents)
    if layer == "staging":
        selects = [
            f"{_value(rng, parent_cols[0][i])} as {name}" if i else "id" for i, name in enumerate(columns)
        ]
        return (
            f"with {ctes},\nrenamed as (\n    select\n        "
            + ",\n        ".join(selects)
            + "\n    from p0\n)\n"
            "select * from renamed"
        )
    aggregate = layer == "marts" and rng.random() < 0.5
    selects = ["p0.id as id"]
    for i, name in enumerate(columns[1:], start=1):
        k = rng.randrange(len(parents))
        ref = f"{aliases[k]}.{parent_cols[k][i]}"
        if aggregate and i == 1:
            expr = f"row_number() over (partition by p0.id order by {ref})"
        elif aggregate:
            expr = rng.choice(_AGGREGATES).format(ref)
        else:
            expr = _value(rng, ref)
        selects.append(f"{expr} as {name}")
    tail = "\ngroup by p0.id" if aggregate else "\nwhere p0.id is not null"
    return f"with {ctes}\nselect\n    " + ",\n    ".join(selects) + f"\nfrom {from_clause}{tail}"


def _exposures(rng: random.Random, marts: list[str], count: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i in range(count):
        uid = f"exposure.{PROJECT}.dashboard_{i}"
        out[uid] = {
            "unique_id": uid,
            "resource_type": "exposure",
            "package_name": PROJECT,
            "name": f"dashboard_{i}",
            "type": "dashboard",
            "maturity": "medium",
            "owner": {"name": "BI", "email": "bi@example.com"},
            "depends_on": {"nodes": _pick(rng, marts, 1, 4)},
            "config": {"enabled": True},
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    manifest, catalog, run_results = generate_manifest(args.models, args.columns, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, doc in (("manifest", manifest), ("catalog", catalog), ("run_results", run_results)):
        (args.out / f"{name}.json").write_bytes(orjson.dumps(doc))
    print(f"wrote {len(manifest['nodes'])} nodes, {len(manifest['sources'])} sources to {args.out}")


if __name__ == "__main__":
    main()
