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
