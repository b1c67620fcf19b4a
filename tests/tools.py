"""Real external consumers (Graphviz, node, promtool, Chromium, ...) used by tests.

Outside CI a missing tool skips the test with the command that installs it; in CI (``CI=true``)
a missing tool fails the test, so a green CI run always means the consumer really ran.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _missing(what: str, how: str) -> None:
    message = f"{what} is not available ({how})"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def require_executable(name: str, how: str) -> str:
    """The path of executable ``name``; ``how`` says how to install it (shown when missing)."""
    path = shutil.which(name)
    if path is None:
        _missing(f"executable {name!r}", how)
        raise AssertionError  # unreachable: skip/fail raise
    return path


def require_module(name: str, how: str) -> None:
    """Fail in CI, skip elsewhere, when the Python module ``name`` cannot be imported."""
    if importlib.util.find_spec(name) is None:
        _missing(f"Python module {name!r}", how)
