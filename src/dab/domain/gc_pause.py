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
