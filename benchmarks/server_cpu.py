"""CPU seconds (user + system) a server process and its live descendants have used, from /proc.

The load-independent figure of a throughput run: CPU over the run divided by the requests
answered moves much less with other work on the machine than requests per second do."""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _own(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # the name in brackets may hold spaces
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return out


def tree_cpu_seconds(pid: int) -> float:
    """The process and its live children (uvicorn ``--workers N`` runs the workers as children)."""
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        total += _own(current)
        stack.extend(_children(current))
    return total


async def _backend_pids(url: str) -> list[int]:
    import asyncpg  # only the PostgreSQL runs need it

    conn = await asyncpg.connect(url.replace("+asyncpg", "", 1))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return [row["pid"] for row in rows]


def backend_cpu_seconds(url: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend (and autovacuum worker) of ``url``'s database, by
    pid, read from /proc: only meaningful for a server on this machine. A run's database CPU is
    the growth of these between two readings; a backend that ended in between is not counted."""
    import asyncio

    return {pid: _own(pid) for pid in asyncio.run(_backend_pids(url))}


def grown(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())
