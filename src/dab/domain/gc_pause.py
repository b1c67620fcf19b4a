"""Pause Python's cyclic garbage collector around bulk, cycle-free allocation.

Parsing artifacts and building hundreds of thousands of row dicts create no reference cycles
but trigger full collections that rescan the whole heap each time: on a 10k-model ingestion
that was about half the parse and most of the write time. Used by the core and the services.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    # Only the caller that disabled it re-enables it, so nested or concurrent pauses are safe.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_frozen_by = 0


def freeze_startup_heap() -> None:
    """Move what a server holds after start-up (~220k objects: the app, its routes and models,
    SQLAlchemy's tables) out of the cyclic GC's scans for good. Each collection of the oldest
    generation rescanned all of it (~0.1-0.4 s), a stall of every request in flight; a cached
    read measured ~0.3 ms less CPU with it. Objects still die by reference counting. A
    ``gc_frozen`` block (an in-process rule evaluation) unfreezes everything at its end: the
    server then scans its start-up heap again until the next start. Once per process: an app
    started again in the same process (tests) would freeze whatever else is alive then.
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


_rare_by = 0
_DEFAULT_FULL = gc.get_threshold()[2]
_RARE_FULL = 1000
"""Generation-1 collections between two full ones (CPython's default is 10)."""


@contextmanager
def rare_full_collections() -> Iterator[None]:
    """Young collections as usual (short-lived cycles still die), full ones ~100x rarer.

    For long loops that keep what they build (column lineage: ~460k edges at 10k models):
    each full collection rescans everything kept so far, and they come ever more often as it
    grows. Nested or concurrent blocks restore the thresholds at the last exit.
    """
    global _rare_by
    if _rare_by == 0:
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, _RARE_FULL)
    _rare_by += 1
    try:
        yield
    finally:
        _rare_by -= 1
        if _rare_by == 0:
            young, middle, _ = gc.get_threshold()
            gc.set_threshold(young, middle, _DEFAULT_FULL)
