"""`hallkeeper login`: log in to the running hub; prints a token for HK_API_TOKEN."""

from __future__ import annotations

from hub.cli.session import login as app

__all__ = ["app"]
