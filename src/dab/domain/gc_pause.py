"""Pause Python's cyclic garbage collector around bulk, cycle-free allocation.

Parsing artifacts and building hundreds of thousands of row dicts create no reference cycles
but trigger full collections that rescan the whole heap each time: on a 10k-model ingestion
that was about half the parse and most of the write time. Used by the core and the services.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_freeze_on_resume = False


@contextmanager
def freezing_after_pauses() -> Iterator[None]:
    """For a batch command (the CLI's PR gate): inside the block, each ``gc_paused`` block ends
    by freezing what exists then. Otherwise the first young collection after a pause scans every
    object the pause allocated (a decoded manifest, a parsed graph: millions), ~0.5 s of a
    10k-model gate. Frozen objects still die by reference counting. Not for a server: whatever
    else is alive at that moment would not be scanned for cycles until the block ends.
    """
    global _freeze_on_resume
    _freeze_on_resume = True
    try:
        yield
    finally:
        _freeze_on_resume = False
        gc.unfreeze()


@contextmanager
def gc_paused() -> Iterator[None]:
    # Only the caller that disabled it re-enables it, so nested or concurrent pauses are safe.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if _freeze_on_resume:
                gc.freeze()
            gc.enable()


_frozen_by = 0


def freeze_startup_heap() -> None:
    """Move what a server holds after start-up (~220k objects: the app, its routes and models,
    SQLAlchemy's tables) out of the cyclic GC's scans for good. Each collection of the oldest
    generation rescanned all of it (~0.1-0.4 s), a stall of every request in flight; a cached
    read measured ~0.3 ms less CPU with it. Objects still die by reference counting. A
    ``gc_frozen`` block (an in-process rule evaluation) has to unfreeze everything at its end
    (Python cannot unfreeze a part); in a process that froze its start-up heap it then
    collects once and freezes again. Once per process: an app started again in the same
    process (tests) would freeze whatever else is alive then.
    """
    global _startup_frozen
    if not _startup_frozen:
        _startup_frozen = True
        gc.collect()
        gc.freeze()


_startup_frozen = False


@contextmanager
def gc_frozen() -> Iterator[None]:
    """Keep the objects alive now (a parsed graph: millions, no cycles) out of the cyclic GC's
    scans for the block, without disabling it for anybody: full collections during a write
    otherwise rescan the whole graph, pausing the event loop for up to a second each.

    Objects still die by reference counting; nested or concurrent blocks unfreeze at the last exit.
    In a server (start-up heap frozen) the last exit collects once and freezes what is alive, so
    the start-up heap stays out of later scans: one full collection per evaluation instead of
    a rescan of the start-up heap by every full collection until the server restarts.
    """
    global _frozen_by
    if _frozen_by == 0:
        gc.freeze()
    _frozen_by += 1
    try:
        yield
    finally:
        _frozen_by -= 1
        if _frozen_by == 0:
            gc.unfreeze()
            if _startup_frozen:
                gc.collect()  # cycles that died in the block go first: frozen, they would stay
                gc.freeze()


def freeze_kept() -> None:
    """Inside a ``gc_frozen`` block, move what is alive now out of the scans too; the block's
    end unfreezes it with the rest, into the oldest generation. For a loop whose steps keep what
    they build until the end (a rule evaluation: indexes, ~45k violations at 10k models): each
    young collection would otherwise rescan everything the earlier steps kept (~20 ms each, a
    tenth of a warm evaluation). Cyclic garbage not yet collected at that moment waits for the
    next full collection after the block. Outside a block it does nothing (nothing would unfreeze).
    """
    if _frozen_by:
        gc.freeze()


_DEFAULTS = gc.get_threshold()
_raised_by = [0, 0, 0]
"""Open blocks raising each of the three thresholds (young, middle, full)."""


@contextmanager
def _raised_threshold(generation: int, value: int) -> Iterator[None]:
    # Each block touches one generation's threshold only, so blocks on different ones nest in
    # any order; the last exit of a generation's blocks restores its default.
    if _raised_by[generation] == 0:
        thresholds = list(gc.get_threshold())
        thresholds[generation] = value
        gc.set_threshold(*thresholds)
    _raised_by[generation] += 1
    try:
        yield
    finally:
        _raised_by[generation] -= 1
        if _raised_by[generation] == 0:
            thresholds = list(gc.get_threshold())
            thresholds[generation] = _DEFAULTS[generation]
            gc.set_threshold(*thresholds)


_RARE_FULL = 1000
"""Generation-1 collections between two full ones (CPython's default is 10)."""


@contextmanager
def rare_full_collections() -> Iterator[None]:
    """Young collections as usual (short-lived cycles still die), full ones ~100x rarer.

    For long loops that keep what they build (column lineage: ~460k edges at 10k models):
    each full collection rescans everything kept so far, and they come ever more often as it
    grows. Nested or concurrent blocks restore the thresholds at the last exit.
    """
    with _raised_threshold(2, _RARE_FULL):
        yield


_RARE_YOUNG = 50_000
"""Allocations between two young collections (CPython's default is 700)."""


@contextmanager
def rare_young_collections() -> Iterator[None]:
    """Young collections ~70x rarer: for a loop that allocates hundreds of thousands of small,
    mostly acyclic objects it keeps until the end (a rule evaluation: subjects, failures,
    violations). At the default threshold the collections that rescan them were a third of a
    warm 10k-model evaluation; at this one, cyclic garbage (sqlglot trees) still dies every
    50k allocations. Touches only the young threshold, so it nests with ``rare_full_collections``.
    """
    with _raised_threshold(0, _RARE_YOUNG):
        yield
