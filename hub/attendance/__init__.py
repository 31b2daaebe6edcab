"""Attendance (考勤): punches judged by policy, leave, corrections, substitutes, month reports.

`router` (FastAPI, prefix /api/attendance) and `projector_factory(engine)` are imported lazily,
so the pure engine (hub.attendance.engine) never pulls in the web stack.
"""

from __future__ import annotations

from typing import Any

__all__ = ["projector_factory", "router"]


def __getattr__(name: str) -> Any:
    """Lazy access to `router` and `projector_factory`."""
    if name == "router":
        from hub.attendance.api import router

        return router
    if name == "projector_factory":
        from hub.attendance.projector import projector_factory

        return projector_factory
    raise AttributeError(name)
