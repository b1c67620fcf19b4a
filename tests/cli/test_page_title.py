"""List titles say when a text search's total is only a lower bound."""

from __future__ import annotations

from dab.cli._render import page_title


def test_an_exact_total_is_printed_as_is() -> None:
    found = {"data": [{}, {}], "total": 2, "total_exact": True}
    assert page_title("columns", found, 0) == "columns 1-2 of 2"
    assert page_title("tags", {"data": [{}], "total": 9}, 4) == "tags 5-5 of 9"  # lists without the flag


def test_a_capped_total_reads_as_at_least() -> None:
    found = {"data": [{}] * 50, "total": 1000, "total_exact": False}
    assert page_title("capsules", found, 1000) == "capsules 1001-1050 of 1000+"
