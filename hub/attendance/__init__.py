"""Attendance (考勤): punches judged by policy, leave, corrections, substitutes, month reports.

`router` (FastAPI, prefix /api/attendance) is imported lazily, so the pure engine
(hub.attendance.engine) never pulls in the web stack.
"""

from __future__ import annotations

from typing import Any

__all__ = ["router"]


def __getattr__(name: str) -> Any:
    """Lazy access to `router`."""
    if name == "router":
        from hub.attendance.api import router

        return router
    raise AttributeError(name)
