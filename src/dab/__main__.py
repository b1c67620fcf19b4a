"""`python -m dab` is the `dab` command."""

from dab.cli import run_dab

run_dab()
