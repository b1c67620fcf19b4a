"""One pure computation in a forked child while this process does something else.

For single-threaded batch callers (the CLI's PR gate) on a machine with a second core: the
child starts with this process's memory (copy-on-write, nothing is pickled on the way in) and
sends back only its result. Whatever goes wrong in the child (an exception, a crash, a result
that does not pickle), the computation runs again here, so its errors surface exactly as they
would without a child. Never from a server: forking a threaded process is not safe.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def spare_core() -> bool:
    """Whether a forked child can run beside this process (two cores, and fork exists)."""
    return _cores() >= 2 and "fork" in multiprocessing.get_all_start_methods()


def worth_forking() -> bool:
    """A spare core that is idle now: the 1-minute load average leaves half a core free.

    Forking is not free: both processes copy the pages of the shared heap they write to (every
    reference count they touch), ~1 s of CPU on a 10k-model gate. On an idle CI runner the
    child's work runs beside the parent's and the wall time falls; on a saturated machine the
    extra CPU only makes it longer (measured in PERFORMANCE.md, "PR gate, part 4").
    """
    return spare_core() and os.getloadavg()[0] < _cores() - 0.5


def _run(conn: Connection, work: Callable[[], Any]) -> None:
    # The parent's heap is shared copy-on-write: collections scanning it would copy each page
    # they touch. What the child allocates itself is still collected.
    gc.freeze()
    try:
        outcome: tuple[bool, Any] = (True, work())
    except BaseException:  # the parent runs ``work`` again and raises what it raises
        outcome = (False, None)
    try:
        conn.send(outcome)
    except Exception:  # the result does not pickle
        conn.send((False, None))
    conn.close()


def in_child(work: Callable[[], T]) -> Callable[[], T]:
    """Start ``work`` in a forked child; the returned function waits for and returns its result
    (computed here if the child fails). Without a spare core, ``work`` itself is returned."""
    if not spare_core():
        return work
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_run, args=(send, work), daemon=True)
    sys.stdout.flush()  # the child must not write again what this process has buffered
    sys.stderr.flush()
    child.start()
    send.close()

    def result() -> T:
        try:
            ok, value = receive.recv()
        except (EOFError, OSError):  # the child died
            ok, value = False, None
        finally:
            receive.close()
            child.join()
        return value if ok else work()

    return result
