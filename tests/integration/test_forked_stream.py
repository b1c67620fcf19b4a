"""``services/forked.Stream``: steps in a forked child, taken in order, taken over on failure."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from dab.services import forked

needs_fork = pytest.mark.skipif(not forked.spare_core(), reason="needs fork and a second core")


def _steps(
    log: list[int], work: Callable[[int], Any] = lambda i: (i, os.getpid())
) -> list[Callable[[], Any]]:
    def step(i: int) -> Callable[[], Any]:
        def run() -> Any:
            log.append(i)  # in the child this list is the child's copy
            return work(i)

        return run

    return [step(i) for i in range(5)]


@needs_fork
def test_results_arrive_in_order_from_the_child() -> None:
    here: list[int] = []
    stream = forked.Stream(_steps(here), fork=True)
    try:
        results = [stream.take() for _ in range(5)]
    finally:
        stream.close()
    assert [i for i, _ in results] == [0, 1, 2, 3, 4]
    assert {pid for _, pid in results} != {os.getpid()}
    assert here == []  # nothing ran here


@needs_fork
def test_a_failing_step_and_the_rest_run_here() -> None:
    parent = os.getpid()

    def work(i: int) -> Any:
        if i == 2 and os.getpid() != parent:
            raise RuntimeError("only in the child")
        return i, os.getpid()

    here: list[int] = []
    stream = forked.Stream(_steps(here, work), fork=True)
    try:
        results = [stream.take() for _ in range(5)]
    finally:
        stream.close()
    assert [i for i, _ in results] == [0, 1, 2, 3, 4]
    assert here == [2, 3, 4]
    assert [pid == parent for _, pid in results] == [False, False, True, True, True]


@needs_fork
def test_a_result_that_does_not_pickle_is_computed_here() -> None:
    here: list[int] = []
    stream = forked.Stream(_steps(here, lambda i: (i, lambda: i) if i == 1 else (i, None)), fork=True)
    try:
        results = [stream.take()[0] for _ in range(5)]
    finally:
        stream.close()
    assert results == [0, 1, 2, 3, 4]
    assert here == [1, 2, 3, 4]


def test_an_error_here_is_raised_as_without_a_child() -> None:
    def work(i: int) -> Any:
        if i == 1:
            raise ValueError("step 1")
        return i

    stream = forked.Stream(_steps([], work), fork=True)
    try:
        assert stream.take() == 0
        with pytest.raises(ValueError, match="step 1"):
            stream.take()
    finally:
        stream.close()


def test_without_fork_every_step_runs_here() -> None:
    here: list[int] = []
    stream = forked.Stream(_steps(here), fork=False)
    assert not stream.forked
    assert [stream.take()[0] for _ in range(5)] == [0, 1, 2, 3, 4]
    assert here == [0, 1, 2, 3, 4]
    stream.close()


@needs_fork
def test_closing_early_stops_the_child() -> None:
    stream = forked.Stream([lambda: 1, *[lambda: __import__("time").sleep(30)] * 3], fork=True)
    child = stream._child
    assert stream.take() == 1
    stream.close()
    assert child is not None and not child.is_alive()
