"""SQL facts kept in a file between processes: used when present, harmless when broken."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from dab.rules import sqlfacts
from dab.services.sql_facts_store import FILE_NAME, load_facts, save_facts

SQL = "select a.id from db.s.a join db.s.b on a.id = b.id"


@pytest.fixture(autouse=True)
def _fresh_memo() -> Iterator[None]:
    sqlfacts.forget()
    yield
    sqlfacts.forget()


def test_saved_facts_are_read_back_by_a_new_process(tmp_path: Path) -> None:
    parsed = sqlfacts.sql_facts(SQL, "duckdb")
    save_facts(tmp_path)
    sqlfacts.forget()  # what a new process starts with
    assert load_facts(tmp_path) == 1
    assert sqlfacts.sql_facts(SQL, "duckdb") == parsed


def test_the_file_is_what_answers_not_a_new_parse(tmp_path: Path) -> None:
    key = sqlfacts.digest(SQL, None)
    (tmp_path / FILE_NAME).write_bytes(orjson.dumps([[key, 99, ["x.y"], True, []]]))
    load_facts(tmp_path)
    assert sqlfacts.sql_facts(SQL).join_count == 99
    assert sqlfacts.sql_facts(SQL, "duckdb").join_count == 1  # another dialect: another key


@pytest.mark.parametrize(
    "content",
    [b"not json", b"{}", orjson.dumps([["k"], [1, 2, 3, 4, 5], ["k", "x", [], True, []], None])],
)
def test_a_broken_file_is_ignored_and_rewritten(tmp_path: Path, content: bytes) -> None:
    (tmp_path / FILE_NAME).write_bytes(content)
    load_facts(tmp_path)
    assert sqlfacts.sql_facts(SQL).join_count == 1
    save_facts(tmp_path)
    rows = orjson.loads((tmp_path / FILE_NAME).read_bytes())
    assert [r[0] for r in rows] == [sqlfacts.digest(SQL, None)]


def test_an_unwritable_folder_is_skipped(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    sqlfacts.sql_facts(SQL)
    save_facts(blocker / "cache")  # a file where the folder should be: nothing raised
    assert not (blocker / "cache").exists()
