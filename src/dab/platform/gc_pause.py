"""Pause Python's cyclic garbage collector around bulk, cycle-free allocation.

Building hundreds of thousands of row dicts triggers full collections that rescan the
whole heap each time: on a 10k-model ingestion that was most of the write time.
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
