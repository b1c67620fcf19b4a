"""One spawned child process that runs picklable calls, one at a time, for an asyncio parent.

Why not ``ProcessPoolExecutor``: a call in flight must be killable (a cancelled ingestion has
to roll back, not finish behind the parent's back), and Python 3.11's pool cannot kill a
worker through its public API. The parent never decodes a result on its event loop: sending
and receiving (pickling) run in a worker thread, so the loop only waits.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import anyio

_PARENT_POLL_SECONDS = 0.5


class ChildDied(RuntimeError):
    """The child process ended while running a call (killed, out of memory, crashed)."""


def _exit_with_parent(parent_pid: int) -> None:
    # A parent killed with SIGKILL cannot stop its child: the child stops itself, so an
    # ingestion in flight rolls back instead of committing for a server that no longer exists.
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(1)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError that says what it was."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _serve(
    conn: Connection,
    parent_pid: int,
    initializer: Callable[..., None] | None,
    args: tuple[Any, ...],
    nice: int = 0,
) -> None:
    # Ctrl-C reaches the whole process group, and SIGTERM may too: the parent decides when the
    # child stops (it finishes in-flight work on a graceful shutdown, then kills the child).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if nice:
        # Below the parent's priority: when the cores are busy the kernel runs the parent's
        # event loop first, so its requests do not queue behind this child's CPU work (its
        # own children, e.g. column lineage workers, inherit the priority).
        os.nice(nice)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    if initializer is not None:
        initializer(*args)
    while True:
        try:
            call, call_args = conn.recv()
        except (EOFError, OSError):  # the parent closed its end: nothing more to do
            return
        try:
            outcome: tuple[bool, Any] = (True, call(*call_args))
        except BaseException as exc:  # every failure goes back to the caller
            outcome = (False, _portable(exc))
        conn.send(outcome)


class _Ticket:
    """One call: ``waiting`` for the child, ``running`` in it, or ``abandoned`` before it ran."""

    def __init__(self) -> None:
        self.state = "waiting"


class ChildProcess:
    """Started on first use; after a death (or a kill) the next call starts a new one.

    Usable from any thread and event loop (one instance can serve a whole process): calls
    queue on a thread lock, each waited for in a worker thread.
    """

    def __init__(
        self,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
        name: str = "dab-ingest-worker",
        *,
        nice: int = 0,
    ) -> None:
        self._name = name
        self._initializer = initializer
        self._initargs = initargs
        self._nice = nice
        self._process: Any = None
        self._conn: Connection | None = None
        self._calls = threading.Lock()  # one call in the child at a time
        self._state = threading.Lock()  # guards the fields below and the tickets
        self._running: _Ticket | None = None

    @property
    def busy(self) -> bool:
        return self._running is not None

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def start(self) -> None:
        """Start the child now (it imports its modules while the parent goes on)."""
        self._connection()

    def _connection(self) -> Connection:
        with self._state:
            if self._conn is not None and self._process is not None and self._process.is_alive():
                return self._conn
        context = multiprocessing.get_context("spawn")  # no copy of the parent's threads and locks
        parent_end, child_end = context.Pipe()
        process = context.Process(
            target=_serve,
            args=(child_end, os.getpid(), self._initializer, self._initargs, self._nice),
            name=self._name,
            daemon=False,  # it may start processes of its own (column lineage workers)
        )
        process.start()
        child_end.close()
        atexit.register(self.kill)  # before multiprocessing's own exit hook joins children
        with self._state:
            self._process, self._conn = process, parent_end
        return parent_end

    def _call(self, ticket: _Ticket, call: Callable[..., Any], args: tuple[Any, ...]) -> tuple[bool, Any]:
        with self._calls:
            with self._state:
                if ticket.state == "abandoned":
                    return False, None
                ticket.state, self._running = "running", ticket
            try:
                conn = self._connection()
                conn.send((call, args))
                outcome: tuple[bool, Any] = conn.recv()
                return outcome
            except (EOFError, OSError) as exc:
                self.kill()
                raise ChildDied("the ingestion worker process stopped before answering") from exc
            finally:
                with self._state:
                    self._running = None

    def call(self, call: Callable[..., Any], *args: Any) -> Any:
        """``call(*args)`` in the child, waited for in this thread (a plain thread's loop, not an
        event loop's); its exception is re-raised here. ``kill`` from another thread ends it."""
        ok, value = self._call(_Ticket(), call, args)
        if not ok:
            raise value
        return value

    async def run(self, call: Callable[..., Any], *args: Any) -> Any:
        """``call(*args)`` in the child; its exception is re-raised here. Cancelling the
        caller kills the child if the call had started there (it is abandoned, not finished)."""
        ticket = _Ticket()
        try:
            ok, value = await anyio.to_thread.run_sync(self._call, ticket, call, args, abandon_on_cancel=True)
        except BaseException:
            with self._state:
                started = ticket.state == "running"
                ticket.state = "abandoned"
            if started:
                self.kill()
            raise
        if not ok:
            raise value
        return value

    def kill(self) -> None:
        """Stop the child now (SIGKILL): its open transactions roll back."""
        with self._state:
            process, conn = self._process, self._conn
            self._process = self._conn = None
        if process is not None and process.is_alive():
            process.kill()
            process.join(5)
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
