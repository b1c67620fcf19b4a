"""`dab products list|show|create|add-capsule|remove-capsule|slo` on the configured database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from dab.cli._render import print_json, print_rows
from dab.cli._runtime import announce_write, guarded, load_settings, run, unit_of_work
from dab.cli.capsules import print_detail
from dab.services import governance_products as products
from dab.services.governance_inputs import MembershipCreate, ProductCreate, parse_input

app = typer.Typer(help="Data products: capsules grouped with SLO targets.", no_args_is_help=True)
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

Product = Annotated[str, typer.Argument(help="The product's id or URN")]
Capsule = Annotated[str, typer.Argument(help="The capsule's id or URN")]
Output = Annotated[str, typer.Option("--format", help="table, json or csv")]
PRODUCT_COLUMNS = ["id", "name", "domain", "owner", "status", "version", "capsule_count"]


def in_session(work: Callable[[AsyncSession], Awaitable[T]], *, writes: bool = False) -> T:
    """One unit of work; a write also tells running servers' caches."""

    async def go() -> T:
        settings = load_settings()
        async with unit_of_work(settings) as session:
            out = await work(session)
        if writes:
            await announce_write(settings)
        return out

    return run(go)


@app.command("list")
def list_products(
    status: Annotated[str | None, typer.Option(help="draft, active or deprecated")] = None,
    domain: Annotated[str | None, typer.Option(help="Domain id, URN or name")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    output: Output = "table",
) -> None:
    """List data products."""
    found = in_session(
        lambda s: products.list_products(s, status=status, domain=domain, limit=limit, offset=offset)
    )
    print_rows(found["data"], PRODUCT_COLUMNS, output=output, title=f"{found['total']} data product(s)")


@app.command("show")
def show_product(product: Product, output: Output = "table") -> None:
    """One data product."""
    print_detail(in_session(lambda s: products.get_product(s, product)), output)


@app.command("create")
def create_product(
    name: str,
    description: str | None = None,
    domain: Annotated[str | None, typer.Option(help="Domain id, URN or name")] = None,
    owner: str | None = None,
    status: Annotated[str, typer.Option(help="draft, active or deprecated")] = "draft",
    version: str = "1.0.0",
    freshness_hours: Annotated[float | None, typer.Option(help="SLO: hours since new data")] = None,
    availability_percent: Annotated[float | None, typer.Option(help="SLO: % of successful runs")] = None,
    quality_threshold: Annotated[float | None, typer.Option(help="SLO: share of passing tests")] = None,
    output: Output = "table",
) -> None:
    """Create a data product; prints it with its id."""
    values = {
        "name": name,
        "description": description,
        "domain_id": domain,
        "owner": owner,
        "status": status,
        "version": version,
        "slo_freshness_hours": freshness_hours,
        "slo_availability_percent": availability_percent,
        "slo_quality_threshold": quality_threshold,
    }
    body = run_parse(ProductCreate, values)
    print_detail(in_session(lambda s: products.create_product(s, body), writes=True), output)


def run_parse(model: type[M], values: dict[str, Any]) -> M:
    """The validated input, or the field's error on one line (exit code 2)."""
    return guarded(lambda: parse_input(model, values))


@app.command("add-capsule")
def add_capsule(
    product: Product,
    capsule: Capsule,
    role: Annotated[str, typer.Option(help="input, output or internal")] = "output",
    added_by: str | None = None,
) -> None:
    """Make a capsule PART_OF the product (an existing member takes the new role)."""
    body = run_parse(MembershipCreate, {"role": role, "added_by": added_by})
    out, created = in_session(lambda s: products.add_product_capsule(s, product, capsule, body), writes=True)
    typer.echo(f"{'added' if created else 'updated'} {out['capsule_urn']} as {out['role']}")


@app.command("remove-capsule")
def remove_capsule(product: Product, capsule: Capsule) -> None:
    """Remove a capsule from the product."""
    in_session(lambda s: products.remove_product_capsule(s, product, capsule), writes=True)
    typer.echo(f"removed {capsule}")


@app.command("slo")
def slo_status(
    product: Product,
    window_days: Annotated[int, typer.Option(min=1, max=366, help="Availability window")] = 30,
    output: Output = "table",
) -> None:
    """SLO status (freshness, availability, quality) with the evidence used."""
    now = datetime.now(UTC)
    found = in_session(lambda s: products.product_slo_status(s, product, now=now, window_days=window_days))
    if output == "json":
        print_json(found)
        return
    rows = [
        {"metric": m, **{k: found[m][k] for k in ("met", "target", "actual", "reason")}}
        for m in ("freshness", "availability", "quality")
    ]
    print_rows(
        rows, ["metric", "met", "target", "actual", "reason"], output=output, title=found["overall_status"]
    )
