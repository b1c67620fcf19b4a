"""`python -m dab` is the `dab` command."""

from dab.cli import app

app()
