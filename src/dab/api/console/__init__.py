"""The web console under ``/ui/``: one HTML shell and static assets shipped in the package.

Pages are rendered in the browser from the public ``/api/v1`` JSON API, so the console shows
nothing the API cannot; serving the shell and assets needs no key (they hold no data).
"""

from __future__ import annotations

from dab.api.console.routes import mount_console

__all__ = ["mount_console"]
