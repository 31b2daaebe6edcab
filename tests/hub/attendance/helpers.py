"""Shared helpers for the attendance tests: local times and fact builders."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from hub.attendance.engine import PunchFact

SH = ZoneInfo("Asia/Shanghai")


def at(day: str, hhmm: str) -> datetime:
    """A Shanghai time on a day: at("2025-06-03", "08:31") or "08:31:30"."""
    parts = [int(p) for p in hhmm.split(":")] + [0]
    return datetime.combine(date.fromisoformat(day), time(parts[0], parts[1], parts[2]), tzinfo=SH)


def punches(staff_id: str, day: str, *times: str) -> list[PunchFact]:
    """Punches of one staff member on one day."""
    return [PunchFact(staff_id, at(day, t)) for t in times]
