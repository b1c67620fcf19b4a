"""`dab pii inventory|exposure|trace`: on the configured database or via --api-url."""

from __future__ import annotations

from typing import Annotated

import typer

from dab.cli._render import print_json, print_rows
from dab.cli.capsules import ApiKey, ApiUrl, Output, fetch, quoted
from dab.services import compliance_pii
from dab.storage.repositories.pii import InventoryFilters

app = typer.Typer(help="Where PII is, where it flows, where it is exposed.", no_args_is_help=True)
COLUMNS = ["urn", "layer", "domain", "pii_type", "risk", "masked", "method", "evidence"]


@app.command("inventory")
def inventory(
    pii_type: str | None = None,
    layer: str | None = None,
    domain: str | None = None,
    masked: Annotated[bool | None, typer.Option("--masked/--unmasked")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 1000,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    output: Output = "table",
) -> None:
    """Every PII column, masked ones included."""
    filters = InventoryFilters(pii_type, layer, domain, masked)
    params = {"pii_type": pii_type, "layer": layer, "domain": domain, "masked": masked}
    found = fetch(
        api_url,
        api_key,
        "/compliance/pii-inventory",
        params | {"limit": limit, "offset": offset},
        lambda s: compliance_pii.pii_inventory(s, filters, limit=limit, offset=offset),
    )
    title = f"PII columns {offset + 1}-{offset + len(found['data'])} of {found['total']}"
    print_rows(found["data"], COLUMNS, output=output, title=title)


@app.command("exposure")
def exposure(
    pii_type: str | None = None, api_url: ApiUrl = None, api_key: ApiKey = None, output: Output = "table"
) -> None:
    """Unmasked PII in the gold layer or read by an exposure."""
    found = fetch(
        api_url,
        api_key,
        "/compliance/pii-exposure",
        {"pii_type": pii_type},
        lambda s: compliance_pii.pii_exposure(s, pii_type=pii_type),
    )
    rows = [{**i, "path": " > ".join(h["urn"] for h in i["path"]), "reasons": ",".join(i["reasons"])}
            for i in found["data"]]  # fmt: skip
    columns = ["urn", "pii_type", "severity", "reasons", "path", "recommendation"]
    print_rows(rows, columns, output=output, title=f"{found['total']} exposed PII columns")


@app.command("trace")
def trace(
    urn: Annotated[str, typer.Argument(help="Column URN")],
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    output: Output = "table",
) -> None:
    """Upstream to the origin and downstream to every consumer, with the kind of each hop."""
    found = fetch(
        api_url,
        api_key,
        f"/compliance/pii-trace/{quoted(urn)}",
        {},
        lambda s: compliance_pii.pii_trace(s, urn),
    )
    if output == "json":
        print_json(found)
        return
    print_rows(
        found["edges"], ["source", "target", "kind", "function"], output=output, title=f"trace of {urn}"
    )
