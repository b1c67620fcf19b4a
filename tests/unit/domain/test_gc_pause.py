"""GC helpers used by ingestion and rule evaluation: thresholds come back, nesting is safe."""

from __future__ import annotations

import gc
import weakref

import pytest

from dab.domain import gc_pause
from dab.domain.gc_pause import (
    freeze_kept,
    freezing_after_pauses,
    gc_frozen,
    gc_paused,
    rare_full_collections,
    rare_young_collections,
)


def test_rare_full_collections_only_raises_the_full_threshold_and_restores_it() -> None:
    before = gc.get_threshold()
    with rare_full_collections():
        inside = gc.get_threshold()
        assert inside[:2] == before[:2] and inside[2] > before[2]
        with rare_full_collections():
            assert gc.get_threshold() == inside
        assert gc.get_threshold() == inside  # the outer block still runs
    assert gc.get_threshold() == before


def test_rare_young_collections_only_raises_the_young_threshold_and_nests_with_rare_full() -> None:
    before = gc.get_threshold()
    with rare_young_collections():
        inside = gc.get_threshold()
        assert inside[0] > before[0] and inside[1:] == before[1:]
        with rare_full_collections():
            both = gc.get_threshold()
            assert both[0] == inside[0] and both[2] > before[2]
            with rare_young_collections():
                assert gc.get_threshold() == both
        assert gc.get_threshold() == inside
    assert gc.get_threshold() == before


def test_pauses_freeze_what_they_allocated_only_inside_freezing_after_pauses() -> None:
    gc.unfreeze()
    with gc_paused():
        kept = [{"n": i} for i in range(1000)]
    assert gc.get_freeze_count() == 0  # a server's pauses never freeze
    with freezing_after_pauses():
        with gc_paused():
            kept = [{"n": i} for i in range(1000)]
        assert gc.get_freeze_count() >= len(kept)  # the next young collection skips them
        assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    with gc_paused():
        kept.append({"n": -1})
    assert gc.get_freeze_count() == 0  # the switch is off again


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_a_frozen_block_leaves_a_servers_start_up_heap_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    monkeypatch.setattr(gc_pause, "_startup_frozen", True)  # what freeze_startup_heap() records
    try:
        startup = [{"n": i} for i in range(1000)]
        gc.freeze()
        with gc_frozen():
            garbage = _Cycle()
            dead = weakref.ref(garbage)
            del garbage
        scanned = {id(o) for o in gc.get_objects()}  # the frozen generation is not listed
        assert id(startup) not in scanned and id(startup[0]) not in scanned
        assert dead() is None  # the block's cyclic garbage was collected, not frozen
    finally:
        gc.unfreeze()


def test_outside_a_server_a_frozen_block_unfreezes_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    monkeypatch.setattr(gc_pause, "_startup_frozen", False)
    with gc_frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_freeze_kept_moves_what_a_frozen_block_built_out_of_the_scans_until_the_block_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gc.unfreeze()
    monkeypatch.setattr(gc_pause, "_startup_frozen", False)
    freeze_kept()
    assert gc.get_freeze_count() == 0  # outside a block: nothing would unfreeze it
    with gc_frozen():
        kept = [[i] for i in range(1000)]  # lists are always tracked
        assert id(kept[0]) in {id(o) for o in gc.get_objects()}  # scanned by collections
        freeze_kept()
        assert id(kept[0]) not in {id(o) for o in gc.get_objects()}  # young collections skip it
        assert gc.get_count()[0] == 0
    assert gc.get_freeze_count() == 0
    assert id(kept[0]) in {id(o) for o in gc.get_objects(generation=2)}  # unfrozen with the rest
