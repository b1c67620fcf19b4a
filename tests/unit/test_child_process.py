"""The ingestion child runs below the server's CPU priority (a real spawned process)."""

from __future__ import annotations

import os

import anyio

from dab.platform.child_process import ChildProcess
from dab.settings import Settings


def _niceness() -> int:
    return os.nice(0)


def test_a_child_runs_at_the_priority_it_was_given_and_a_replacement_too() -> None:
    child = ChildProcess(nice=7)
    try:
        expected = min(19, _niceness() + 7)
        assert anyio.run(child.run, _niceness) == expected
        child.kill()  # the next call starts a new child: the same priority
        assert anyio.run(child.run, _niceness) == expected
    finally:
        child.kill()


def test_without_nice_the_child_keeps_the_parents_priority() -> None:
    child = ChildProcess()
    try:
        assert anyio.run(child.run, _niceness) == _niceness()
    finally:
        child.kill()


def test_the_children_keep_the_servers_priority_unless_asked() -> None:
    assert Settings(environment="test").dab_ingest_nice == 0
    assert Settings(environment="test", dab_ingest_nice=10).dab_ingest_nice == 10
