"""`POST /conformance/check`: the PR gate over uploaded manifests, with the rules in force.

Nothing is stored: the manifests are parsed and evaluated in a worker thread; the database is
read only for custom rules and for the data products the change reaches.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from dab.services.conformance_check import Artifacts, CheckOutcome, check_bytes
from dab.services.rule_sources import extra_rules, load_rule_config
from dab.storage.repositories.product_members import ProductMembershipRepository
from dab.storage.repositories.rules import RuleRepository


async def check_change(
    session: AsyncSession, artifacts: Artifacts, *, rules_dir: Path | None, config_file: Path | None
) -> CheckOutcome:
    stored = await RuleRepository(session).list_definitions()
    extra = extra_rules(rules_dir, stored)
    config = load_rule_config(config_file)
    outcome = await anyio.to_thread.run_sync(lambda: check_bytes(artifacts, extra_rules=extra, config=config))
    diff = outcome.diff
    if diff is None:
        return outcome
    reached = [*diff.changed, *diff.removed, *diff.impact.models, *diff.impact.exposures]
    products = await ProductMembershipRepository(session).products_of(reached)
    return replace(outcome, products=products)
