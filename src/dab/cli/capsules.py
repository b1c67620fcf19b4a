"""`dab capsules list|show|lineage|impact`: on the configured database or via --api-url."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, cast
from urllib.parse import quote

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from dab.cli._remote import RemoteClient
from dab.cli._render import page_title, print_json, print_rows
from dab.cli._runtime import guarded, load_settings, run, unit_of_work
from dab.services import catalog_capsules
from dab.services.catalog_capsules import CapsuleFilters, CapsuleSort
from dab.services.catalog_impact import capsule_impact
from dab.services.catalog_lineage import LineageDirection, capsule_lineage

app = typer.Typer(
    help="Browse capsules (dbt models, sources, seeds, snapshots, exposures; jobs and datasets).",
    no_args_is_help=True,
)

ApiUrl = Annotated[str | None, typer.Option("--api-url", envvar="DAB_API_URL", help="Ask this dab server")]
ApiKey = Annotated[str | None, typer.Option("--api-key", envvar="DAB_API_KEY", help="API key for --api-url")]
Output = Annotated[str, typer.Option("--format", help="table, json or csv")]
Urn = Annotated[str, typer.Argument(help="Capsule URN, e.g. urn:dab:dbt:model:jaffle_shop:orders")]
LocalQuery = Callable[[AsyncSession], Awaitable[Any]]

CAPSULE_COLUMNS = [
    "urn",
    "name",
    "capsule_type",
    "layer",
    "domain",
    "owner",
    "column_count",
    "pii_column_count",
]


def quoted(urn: str) -> str:
    """A URN as a path segment: ``%`` and ``/`` survive the server's percent-decoding."""
    return quote(urn, safe=":")


def fetch(
    api_url: str | None, api_key: str | None, path: str, params: dict[str, Any], local: LocalQuery
) -> Any:
    """Answer from the server (``--api-url``) or from one unit of work on the configured DB."""
    if api_url:
        wanted = {k: v for k, v in params.items() if v is not None}
        client = RemoteClient(api_url, api_key)
        try:
            return guarded(lambda: client.request("GET", path, params=wanted))
        finally:
            client.close()

    async def _local() -> Any:
        async with unit_of_work(load_settings()) as session:
            return await local(session)

    return run(_local)


def print_detail(detail: dict[str, Any], output: str) -> None:
    if output == "json":
        print_json(detail)
        return
    rows = [{"field": k, "value": v} for k, v in detail.items() if not isinstance(v, list | dict)]
    print_rows(rows, ["field", "value"], output=output, title=detail.get("urn"))


@app.command("list")
def list_capsules(
    layer: Annotated[str | None, typer.Option(help="bronze, silver, gold or unknown")] = None,
    domain: str | None = None,
    capsule_type: Annotated[str | None, typer.Option("--type", help="model, source, seed, ...")] = None,
    tag: str | None = None,
    owner: str | None = None,
    source: Annotated[str | None, typer.Option(help="Metadata source, e.g. dbt")] = None,
    has_pii: Annotated[bool | None, typer.Option("--has-pii/--no-pii")] = None,
    q: Annotated[str | None, typer.Option("--q", "-q", help="Substring of name, URN or description")] = None,
    sort: Annotated[
        CapsuleSort, typer.Option(help="Sort key; prefix with - for descending")
    ] = CapsuleSort.NAME,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    output: Output = "table",
) -> None:
    """List capsules, filtered and sorted."""
    filters = CapsuleFilters(layer, domain, capsule_type, tag, owner, source, has_pii, q)
    params: dict[str, Any] = {
        "layer": layer,
        "domain": domain,
        "capsule_type": capsule_type,
        "tag": tag,
        "owner": owner,
    }
    params |= {
        "source": source,
        "has_pii": has_pii,
        "q": q,
        "sort": sort.value,
        "limit": limit,
        "offset": offset,
    }
    found = fetch(
        api_url,
        api_key,
        "/capsules",
        params,
        lambda s: catalog_capsules.list_capsules(s, filters, sort=sort, limit=limit, offset=offset),
    )
    title = page_title("capsules", found, offset)
    print_rows(found["data"], CAPSULE_COLUMNS, output=output, title=title)


@app.command("show")
def show_capsule(urn: Urn, api_url: ApiUrl = None, api_key: ApiKey = None, output: Output = "table") -> None:
    """Everything known about one capsule."""
    detail = fetch(
        api_url, api_key, f"/capsules/{quoted(urn)}", {}, lambda s: catalog_capsules.get_capsule(s, urn)
    )
    print_detail(detail, output)


@app.command("lineage")
def lineage(
    urn: Urn,
    direction: Annotated[str, typer.Option(help="upstream, downstream or both")] = "both",
    depth: Annotated[int, typer.Option(min=1)] = 3,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    output: Output = "table",
) -> None:
    """Capsules upstream (negative distance) and downstream (positive) of one capsule."""
    if direction not in ("upstream", "downstream", "both"):
        raise typer.BadParameter("use upstream, downstream or both", param_hint="--direction")
    way = cast(LineageDirection, direction)
    max_depth = load_settings().dab_lineage_max_depth
    found = fetch(
        api_url,
        api_key,
        f"/capsules/{quoted(urn)}/lineage",
        {"direction": direction, "depth": depth},
        lambda s: capsule_lineage(s, urn, direction=way, depth=depth, max_depth=max_depth),
    )
    if output == "json":
        print_json(found)
        return
    columns = ["distance", "urn", "name", "capsule_type", "layer", "owner"]
    print_rows(found["nodes"], columns, output=output, title=f"lineage of {urn} ({direction})")


@app.command("impact")
def impact(
    urn: Urn,
    depth: Annotated[int | None, typer.Option(min=1, help="Levels (default: the maximum)")] = None,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    output: Output = "table",
) -> None:
    """Everything downstream of a capsule, how it is reached, and the owners to notify."""
    max_depth = load_settings().dab_lineage_max_depth
    found = fetch(
        api_url,
        api_key,
        f"/capsules/{quoted(urn)}/impact",
        {"depth": depth},
        lambda s: capsule_impact(s, urn, depth=depth, max_depth=max_depth),
    )
    if output == "json":
        print_json(found)
        return
    rows = [{**item, "path": " -> ".join(item["path"])} for item in found["impacted"]]
    columns = ["distance", "urn", "capsule_type", "owner", "path"]
    print_rows(rows, columns, output=output, title=f"impact of {urn}: {found['total']} capsule(s)")
    if output == "table":
        owners = [{"owner": o["owner"], "capsules": ", ".join(o["capsules"])} for o in found["owners"]]
        print_rows(owners, ["owner", "capsules"], output=output, title="owners to notify")
