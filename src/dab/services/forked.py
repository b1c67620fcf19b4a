"""One pure computation in a forked child while this process does something else.

For single-threaded batch callers (the CLI's PR gate) on a machine with a second core: the
child starts with this process's memory (copy-on-write, nothing is pickled on the way in) and
sends back only its result. Whatever goes wrong in the child (an exception, a crash, a result
that does not pickle), the computation runs again here, so its errors surface exactly as they
would without a child. Never from a server: forking a threaded process is not safe.

``Stream`` does the same for a sequence of steps whose results arrive one by one (a first
ingestion's row batches, ``services/first_write.py``), for processes that run one job and
fork only while their other threads (aiosqlite's, idle worker threads) wait on their queues.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
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


def _stream(conn: Connection, steps: Sequence[Callable[[], Any]]) -> None:
    gc.freeze()  # as in ``_run``: the shared heap's pages stay shared
    # The steps' results (row batches: millions of tuples and strings) hold no cycles, and the
    # child ends with them: collections scanning them were ~1 s of a 10k-model first write.
    gc.disable()
    for step in steps:
        try:
            outcome: tuple[bool, Any] = (True, step())
        except BaseException:  # the parent runs this step (and the rest) itself
            outcome = (False, None)
        try:
            conn.send(outcome)
        except Exception:  # the result does not pickle, or the parent is gone
            with contextlib.suppress(Exception):
                conn.send((False, None))
            break
        if not outcome[0]:
            break
    conn.close()


class Stream:
    """``steps`` run in order in a forked child, their results taken here one by one (``take``).

    From the first step the child does not deliver (it raised, its result does not pickle, the
    child died), this process runs the steps itself, so a failure surfaces exactly as without a
    child. Steps must not depend on having run in the same process as the ones before them.
    The child runs without the cyclic GC: steps must not rely on it to free their garbage.
    """

    def __init__(self, steps: Sequence[Callable[[], Any]], *, fork: bool) -> None:
        self._steps = steps
        self._next = 0
        self._receive: Connection | None = None
        self._child: Any = None
        if fork and spare_core():
            context = multiprocessing.get_context("fork")
            self._receive, send = context.Pipe(duplex=False)
            self._child = context.Process(target=_stream, args=(send, steps), daemon=True)
            sys.stdout.flush()  # the child must not write again what this process has buffered
            sys.stderr.flush()
            self._child.start()
            send.close()

    @property
    def forked(self) -> bool:
        return self._child is not None

    def take(self) -> Any:
        """The next step's result (blocks while the child computes it: call from a worker thread)."""
        step = self._steps[self._next]
        self._next += 1
        if self._receive is not None:
            try:
                ok, value = self._receive.recv()
            except (EOFError, OSError):  # the child died
                ok, value = False, None
            if ok:
                return value
            self.close()
        return step()

    def close(self) -> None:
        """Stop the child (still running when this process stopped early) and reap it."""
        if self._receive is not None:
            self._receive.close()
            self._receive = None
        if self._child is not None:
            if self._child.is_alive():
                self._child.kill()
            self._child.join()
            self._child = None
