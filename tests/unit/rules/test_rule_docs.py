"""Every built-in rule is documented in docs/RULES.md under the anchor its doc_url points to."""

from __future__ import annotations

import re
from pathlib import Path

from dab.rules import builtin_rules

RULES_MD = Path(__file__).parents[3] / "docs" / "RULES.md"


def test_every_builtin_rule_has_its_section_and_table_row() -> None:
    text = RULES_MD.read_text("utf-8")
    headings = set(re.findall(r"^### ([a-z0-9-]+)$", text, flags=re.MULTILINE))
    for rule in builtin_rules():
        assert rule.doc_url == f"docs/RULES.md#{rule.rule_id}"
        assert rule.rule_id in headings, f"docs/RULES.md has no section for {rule.rule_id}"
        assert f"[`{rule.rule_id}`](#{rule.rule_id})" in text
